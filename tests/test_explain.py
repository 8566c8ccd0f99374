"""``explain`` and ``python -m hug_cors explain``, a browser's CORS checks without one.

Through the public API only: ``hug_cors.explain``, ``hug_cors.browser_accepts``
(the browser-side check on its own) and the command line, run both as a subprocess and
through ``main()``.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import hug
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hug_cors import Answer, CORSMiddleware, CORSPolicy, Explanation, browser_accepts, explain
from hug_cors.__main__ import main
from tests.helpers import examples

APP = "https://app.example.com"
EVIL = "https://evil.example"
SAFELISTED_RESPONSE = (
    "cache-control",
    "content-language",
    "content-length",
    "content-type",
    "expires",
    "last-modified",
    "pragma",
)
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "explain_request.py"


def usual(**config: Any) -> CORSPolicy:
    """One front end, credentialed; overrides in ``config``."""
    settings = {"allow_origins": [APP], "allow_headers": ["X-Token"], "max_age": 600}
    settings.update(config)
    return CORSPolicy(**settings)


def verdict(result: Explanation) -> str:
    return str(result).splitlines()[-1]


# Simple requests: no preflight


def test_an_allowed_simple_get_needs_no_preflight_and_is_readable() -> None:
    result = explain(usual(expose_headers=["X-Total-Count"]), APP)
    assert result.allowed
    assert not result.preflight_needed
    assert result.refusal is None
    assert result.fix is None
    assert result.reason is None
    assert result.unsafe_headers == ()
    assert result.readable_headers == (*SAFELISTED_RESPONSE, "x-total-count")
    report = str(result)
    assert "OPTIONS" not in report
    assert "No preflight" in report
    assert f"  Access-Control-Allow-Origin: {APP}" in report  # the header lines that came back
    assert "  Access-Control-Expose-Headers: x-total-count" in report
    assert report.startswith(f"CORS check of GET from {APP!r}, without credentials")
    assert verdict(result) == "Browser verdict: allowed"


def test_a_refused_origin_is_blocked_and_the_fix_names_allow_origins() -> None:
    result = explain(usual(), EVIL)
    assert not result.allowed
    assert not result.preflight_needed
    assert result.refusal == f"origin {EVIL!r} is not allowed"
    assert result.fix == f"add {EVIL!r} to allow_origins"
    assert result.reason == "the response has no Access-Control-Allow-Origin header"
    assert result.readable_headers == ()
    assert verdict(result) == (
        "Browser verdict: BLOCKED — the response has no Access-Control-Allow-Origin header "
        f"(hug-cors refused it: origin {EVIL!r} is not allowed)"
    )
    assert "the handler ran" in str(result)  # a simple request does reach the server
    assert f"Fix: add {EVIL!r} to allow_origins" in str(result)


def test_the_null_origin_gets_a_cautious_fix() -> None:
    result = explain(usual(), "null")
    assert not result.allowed
    assert result.fix is not None
    assert result.fix.startswith("add 'null' to allow_origins, if you must")


@pytest.mark.parametrize(
    ("origin", "note"),
    [
        (f"{APP}/", "it has a trailing slash"),
        ("https://app.example.com:443", f"it sends {APP!r}"),
        ("HTTPS://APP.example.com", f"it sends {APP!r}"),
        ("https://*.example.com", "such as 'https://app.example.com'"),
        ("http://localhost:*", "such as 'http://localhost:3000'"),
        ("https://*.example.com:8443", "such as 'https://app.example.com:8443'"),
    ],
)
def test_an_origin_no_browser_sends_is_pointed_out(origin: str, note: str) -> None:
    result = explain(usual(), origin)
    assert not result.allowed
    assert result.steps[0].startswith("Note: ")
    assert note in result.steps[0]
    assert result.fix is not None
    assert note in result.fix


def test_a_malformed_origin_that_a_wildcard_allows_only_gets_the_note() -> None:
    result = explain(CORSPolicy(), f"{APP}/")
    assert result.allowed
    assert "trailing slash" in result.steps[0]


# Preflights


def test_a_preflighted_put_with_an_allowed_header_passes() -> None:
    result = explain(usual(), APP, "PUT", ["X-Token: abc"], route_methods=["GET", "PUT"])
    assert result.allowed
    assert result.preflight_needed
    assert result.unsafe_headers == ("x-token",)
    report = str(result)
    assert "OPTIONS with\n      Origin: https://app.example.com" in report
    assert "Access-Control-Request-Method: PUT" in report
    assert "Access-Control-Request-Headers: x-token" in report
    assert "Access-Control-Allow-Methods: GET, OPTIONS, PUT" in report
    assert "Access-Control-Max-Age: 600" in report
    # 200 with an empty body, not 204: waitress closes the connection after an HTTP/1.1 204.
    assert "The middleware answers 200 OK (empty body):\n" in report
    assert "204" not in report
    assert "so the preflight passes" in report
    assert "X-Token: abc" in report  # sent with the actual request
    assert verdict(result) == "Browser verdict: allowed"


def test_a_preflighted_put_with_a_header_not_allowed_is_blocked_before_it_is_sent() -> None:
    result = explain(
        usual(), APP, "PUT", ["X-Token: abc", "X-Request-Id: 1"], route_methods=["GET", "PUT"]
    )
    assert not result.allowed
    assert result.preflight_needed
    assert result.refusal == "header 'x-request-id' is not allowed"
    assert result.fix == "add 'X-Request-Id' to allow_headers"
    assert result.reason == "the preflight response has no Access-Control-Allow-Origin header"
    assert "the PUT is never sent" in str(result)
    assert "Access-Control-Request-Headers: x-request-id,x-token" in str(result)  # as Chromium
    assert "The middleware answers 200 OK (empty body), with no CORS header:" in str(result)


def test_every_refused_header_is_named_in_the_fix_as_the_script_spells_it() -> None:
    result = explain(usual(), APP, "PUT", ["X-B", "X-A", "x-a"], route_methods=["PUT"])
    assert result.fix == "add 'X-A' and 'X-B' to allow_headers"
    assert result.unsafe_headers == ("x-a", "x-b")


def test_request_headers_are_sent_sorted_lower_case_and_comma_joined() -> None:
    result = explain(CORSPolicy(), APP, "GET", ["X-Zed", "X-Alpha", "X-ALPHA"])
    assert result.allowed
    assert result.unsafe_headers == ("x-alpha", "x-zed")
    assert "Access-Control-Request-Headers: x-alpha,x-zed\n" in str(result)
    assert "Access-Control-Allow-Headers: x-alpha, x-zed" in str(result)  # echoed


def test_authorization_is_never_covered_by_a_wildcard() -> None:
    blocked = explain(CORSPolicy(allow_headers=["*"]), APP, "GET", ["Authorization: Bearer x"])
    assert not blocked.allowed
    assert blocked.refusal == "header 'authorization' is not allowed"
    assert blocked.fix == (
        "add 'Authorization' to allow_headers (a '*' there never covers Authorization)"
    )
    listed = CORSPolicy(allow_headers=["*", "Authorization"])
    assert explain(listed, APP, "GET", ["Authorization: Bearer x", "X-Any"]).allowed


def test_the_browser_itself_refuses_authorization_under_a_wildcard() -> None:
    answer = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Headers", "*")]
    assert browser_accepts(answer, APP, "GET", ["x-any"]) is None
    assert browser_accepts(answer, APP, "GET", ["authorization"]) == (
        "request header authorization is not in the preflight response's "
        "Access-Control-Allow-Headers ('*' never covers authorization)"
    )


# Safelisted request headers: the value decides


@pytest.mark.parametrize(
    "header",
    [
        "Content-Type: text/plain",
        "Content-Type: text/plain;charset=UTF-8",
        "Content-Type: application/x-www-form-urlencoded",
        "Content-Type: multipart/form-data; boundary=xyz",
        "Content-Type: TEXT/PLAIN",
        "Accept: application/json",
        "Accept",
        "Accept-Language: en-GB,en;q=0.9",
        "Content-Language: de",
    ],
)
def test_a_safelisted_header_value_needs_no_preflight(header: str) -> None:
    result = explain(usual(allow_headers=[]), APP, "POST", [header])
    assert result.allowed
    assert not result.preflight_needed
    assert result.unsafe_headers == ()


@pytest.mark.parametrize(
    ("header", "unsafe"),
    [
        ("Content-Type: application/json", "content-type"),
        ("Content-Type", "content-type"),  # no value: taken to be JSON
        ('Content-Type: text/plain; x="a(b)"', "content-type"),  # an unsafe byte
        ("Accept: " + "a" * 129, "accept"),  # over 128 bytes
        ("Accept: text/(html)", "accept"),
        ("Accept-Language: en_GB", "accept-language"),
        ("X-Token", "x-token"),
    ],
)
def test_other_header_values_need_a_preflight(header: str, unsafe: str) -> None:
    result = explain(CORSPolicy(allow_origins=[APP]), APP, "POST", [header])
    assert result.preflight_needed
    assert result.unsafe_headers == (unsafe,)
    assert f"Access-Control-Request-Headers: {unsafe}\n" in str(result)
    assert result.allowed  # allow_headers=None allows any well-formed name


def test_a_json_content_type_passes_even_when_allow_headers_forgets_it() -> None:
    result = explain(
        usual(allow_headers=["X-Token"]), APP, "POST", ["Content-Type: application/json"]
    )
    assert result.preflight_needed
    assert result.allowed


def test_headers_a_script_cannot_set_are_dropped() -> None:
    result = explain(usual(allow_headers=[]), APP, "GET", ["Cookie: a=b", "Sec-Fetch-Mode: x"])
    assert result.allowed
    assert not result.preflight_needed
    assert "scripts cannot set Cookie" in str(result)
    assert "scripts cannot set Sec-Fetch-Mode" in str(result)
    assert "a=b" not in str(result).split("The browser sends the GET")[1]


# Methods


def test_a_method_the_route_does_not_serve_is_blocked_with_the_route_in_the_fix() -> None:
    result = explain(usual(), APP, "DELETE", route_methods=["GET", "PUT"])
    assert not result.allowed
    assert result.refusal == "method 'DELETE' is not allowed"
    assert result.fix == (
        "the route serves GET, PUT, not DELETE: add a DELETE handler to it, or add 'DELETE' "
        "to allow_methods"
    )


def test_an_unknown_route_is_said_to_be_unknown_and_explained_as_no_route() -> None:
    result = explain(usual(), APP, "PUT")
    assert not result.allowed
    assert any(step.startswith("The route is unknown") for step in result.steps)
    assert result.fix is not None
    assert "--route-methods" in result.fix
    assert explain(usual(), APP, "OPTIONS").allowed  # a route always answers OPTIONS
    # GET passes anyway, so the route does not matter and is not mentioned.
    with_header = explain(usual(), APP, "GET", ["X-Token"])
    assert with_header.allowed
    assert not any("route is unknown" in step for step in with_header.steps)


def test_configured_methods_apply_whatever_the_route() -> None:
    policy = usual(allow_methods=["PUT"])
    assert explain(policy, APP, "PUT").allowed
    assert explain(policy, APP, "PUT", route_methods=[]).allowed
    blocked = explain(policy, APP, "PATCH", route_methods=["PATCH"])
    assert not blocked.allowed
    assert blocked.fix == "add 'PATCH' to allow_methods"


def test_fetch_upper_cases_standard_methods_but_not_patch() -> None:
    result = explain(usual(), APP, "put", route_methods=["PUT"])
    assert result.allowed
    assert "upper-cases the method 'put' to PUT" in str(result)
    assert "Access-Control-Request-Method: PUT" in str(result)

    patch = explain(usual(), APP, "patch", route_methods=["PATCH"])
    assert not patch.allowed
    assert patch.fix == (
        "methods are case-sensitive and browsers send 'patch' as written: write 'PATCH' in "
        "the script"
    )
    other = explain(usual(), APP, "patch", route_methods=["GET"])
    assert other.fix is not None
    assert other.fix.startswith("methods are case-sensitive")
    assert other.fix.endswith(
        "; then the route serves GET, not PATCH: add a PATCH handler "
        "to it, or add 'PATCH' to allow_methods"
    )


@pytest.mark.parametrize("method", ["CONNECT", "trace", "TRACK"])
def test_forbidden_methods_are_never_sent(method: str) -> None:
    result = explain(CORSPolicy(), APP, method)
    assert not result.allowed
    assert not result.preflight_needed
    assert result.reason == f"browsers never send a {method.upper()} request"
    assert result.fix == "use another method"
    assert "nothing is sent" in str(result)


# Credentials


def test_credentials_with_the_wildcard_are_blocked() -> None:
    result = explain(CORSPolicy(), APP, credentials=True)
    assert not result.allowed
    assert result.refusal is None  # the policy answered; the browser refuses its answer
    assert result.reason == (
        "Access-Control-Allow-Origin is '*', which browsers never accept for a request with "
        "credentials"
    )
    assert result.fix is not None
    assert f"list the origin instead of '*', allow_origins=[{APP!r}]" in result.fix
    assert "with cookies and HTTP authentication" in str(result)
    assert explain(CORSPolicy(), APP, credentials=False).allowed


def test_credentials_with_the_wildcard_are_blocked_at_the_preflight_too() -> None:
    result = explain(CORSPolicy(), APP, "PUT", ["X-Token"], credentials=True, route_methods=["PUT"])
    assert not result.allowed
    assert result.preflight_needed
    assert "the PUT is never sent" in str(result)
    assert result.fix is not None
    assert "list the origin instead of '*'" in result.fix


def test_credentials_without_allow_credentials_are_blocked() -> None:
    result = explain(usual(allow_credentials=False), APP, credentials=True)
    assert not result.allowed
    assert result.reason == (
        "Access-Control-Allow-Credentials is missing; it must be 'true' for a request with "
        "credentials"
    )
    assert result.fix is not None
    assert result.fix.startswith("pass allow_credentials=True")


def test_listed_origins_carry_credentials_through_a_preflight() -> None:
    result = explain(usual(), APP, "PUT", ["X-Token"], credentials=True, route_methods=["PUT"])
    assert result.allowed
    assert str(result).count("Access-Control-Allow-Credentials: true") == 2


def test_wildcard_methods_and_headers_are_echoed_with_credentials_and_pass() -> None:
    policy = usual(allow_methods=["*"], allow_headers=["*"])
    result = explain(policy, APP, "PURGE", ["X-Anything"], credentials=True)
    assert result.allowed
    assert "Access-Control-Allow-Methods: PURGE" in str(result)
    assert "Access-Control-Allow-Headers: x-anything" in str(result)


# Exposed headers


def test_exposed_headers_are_listed_as_readable() -> None:
    result = explain(usual(expose_headers=["X-Total-Count", "ETag"]), APP, credentials=True)
    assert result.readable_headers == (*SAFELISTED_RESPONSE, "x-total-count", "etag")
    assert "x-total-count, etag." in str(result)


def test_an_exposed_wildcard_without_credentials_reads_everything() -> None:
    result = explain(CORSPolicy(expose_headers=["*"]), APP)
    assert result.readable_headers == ("*",)
    assert "every response header but Set-Cookie" in str(result)


def test_an_exposed_wildcard_with_credentials_lists_the_responses_own_headers() -> None:
    policy = usual(expose_headers=["*"])
    result = explain(policy, APP, credentials=True, response_headers=["X-Total-Count", "ETag"])
    assert result.readable_headers == (*SAFELISTED_RESPONSE, "x-total-count", "etag")
    unknown = explain(policy, APP, credentials=True)
    assert unknown.readable_headers == SAFELISTED_RESPONSE
    assert any("none were given (response_headers)" in step for step in unknown.steps)


# Private network access


def test_private_network_access_is_preflighted_and_needs_the_option() -> None:
    blocked = explain(usual(), APP, private_network=True)
    assert blocked.preflight_needed
    assert not blocked.allowed
    assert blocked.refusal == "private network access is not allowed"
    assert blocked.fix == "pass allow_private_network=True"
    allowed = explain(usual(allow_private_network=True), APP, private_network=True)
    assert allowed.allowed
    assert "Access-Control-Request-Private-Network: true" in str(allowed)
    assert "Access-Control-Allow-Private-Network: true" in str(allowed)


# What explain accepts


def test_a_middleware_is_explained_through_its_policy() -> None:
    middleware = CORSMiddleware(hug.API("explain_middleware"), allow_origins=[APP])
    assert explain(middleware, APP).allowed
    assert not explain(middleware, EVIL).allowed


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"policy": object()}, TypeError, "must be a CORSPolicy or a CORSMiddleware"),
        ({"headers": "X-Token"}, TypeError, "write ['X-Token']"),
        ({"headers": [b"X-Token"]}, TypeError, "is not a str"),
        ({"headers": ["X Token: a"]}, ValueError, "no valid header name"),
        ({"headers": [": a"]}, ValueError, "no valid header name"),
        ({"headers": ["X-Token: a\r\nX-Evil: b"]}, ValueError, "CR, LF or NUL"),
        ({"method": "GET /"}, ValueError, "is not a method name"),
        ({"route_methods": "GET,PUT"}, TypeError, "write ['GET', 'PUT']"),
    ],
)
def test_a_request_no_script_can_make_is_an_error(kwargs: Any, error: type, message: str) -> None:
    arguments = {"policy": usual(), "origin": APP, **kwargs}
    with pytest.raises(error) as raised:
        explain(**arguments)
    assert message in str(raised.value)


def test_a_policy_whose_answer_the_browser_rejects_gets_no_configuration_fix() -> None:
    class Broken(CORSPolicy):
        __slots__ = ()

        def actual(self, origin: Optional[str], response_header_names: Any = tuple) -> Answer:
            return Answer((("Access-Control-Allow-Origin", "https://other.example"),))

    result = explain(Broken(allow_origins=[APP]), APP)
    assert not result.allowed
    other = "'https://other.example'"
    assert result.reason == f"Access-Control-Allow-Origin {other} is not the origin {APP!r}"
    assert result.fix is None


# browser_accepts: Fetch's CORS check on its own


@pytest.mark.parametrize(
    ("headers", "kwargs", "reason"),
    [
        ([], {}, "the response has no Access-Control-Allow-Origin header"),
        ([], {"method": "PUT"}, "the preflight response has no Access-Control-Allow-Origin header"),
        (
            [("Access-Control-Allow-Origin", APP), ("access-control-allow-origin", APP)],
            {},
            f"Access-Control-Allow-Origin '{APP}, {APP}' is not the origin {APP!r}",
        ),
        (
            [("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Credentials", "TRUE")],
            {"credentials": True},
            "Access-Control-Allow-Credentials is 'TRUE'; it must be 'true' for a request with "
            "credentials",
        ),
        (
            [("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Methods", "*")],
            {"method": "PUT", "credentials": True},
            "Access-Control-Allow-Credentials is missing; it must be 'true' for a request with "
            "credentials",
        ),
        (
            [
                ("Access-Control-Allow-Origin", APP),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Allow-Methods", "*"),
            ],
            {"method": "PUT", "credentials": True},
            "method PUT is not in the preflight response's Access-Control-Allow-Methods ('*' "
            "does not count with credentials)",
        ),
        (
            [("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Methods", "put")],
            {"method": "PUT"},
            "method PUT is not in the preflight response's Access-Control-Allow-Methods",
        ),
        (
            [
                ("Access-Control-Allow-Origin", APP),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Allow-Headers", "*"),
            ],
            {"method": "GET", "unsafe_headers": ["X-Token"], "credentials": True},
            "request header x-token is not in the preflight response's "
            "Access-Control-Allow-Headers ('*' does not count with credentials)",
        ),
        (
            [("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Headers", "x-other")],
            {"method": "GET", "unsafe_headers": ["X-Token"]},
            "request header x-token is not in the preflight response's "
            "Access-Control-Allow-Headers",
        ),
        (
            [("Access-Control-Allow-Origin", APP)],
            {"method": "GET", "private_network": True},
            "Access-Control-Allow-Private-Network is missing; it must be 'true'",
        ),
        (
            [("Access-Control-Allow-Origin", APP), ("Access-Control-Allow-Private-Network", "1")],
            {"method": "GET", "private_network": True},
            "Access-Control-Allow-Private-Network is '1'; it must be 'true'",
        ),
    ],
)
def test_the_browser_rejects(headers: List[Tuple[str, str]], kwargs: Any, reason: str) -> None:
    assert browser_accepts(headers, APP, **kwargs) == reason


@pytest.mark.parametrize(
    ("headers", "kwargs"),
    [
        ([("Access-Control-Allow-Origin", "*")], {}),
        ([("access-control-allow-origin", APP)], {}),
        (
            [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "*")],
            {"method": "PURGE"},
        ),
        ([("Access-Control-Allow-Origin", APP)], {"method": "POST"}),  # safelisted
        (
            [
                ("Access-Control-Allow-Origin", APP),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Allow-Methods", "GET, PUT"),
                ("Access-Control-Allow-Headers", "X-Token , ,x-other"),
            ],
            {"method": "PUT", "unsafe_headers": ["x-token", "X-Other"], "credentials": True},
        ),
    ],
)
def test_the_browser_accepts(headers: List[Tuple[str, str]], kwargs: Any) -> None:
    assert browser_accepts(headers, APP, **kwargs) is None


# The browser model agrees with the policy: whatever the policy does not refuse, the
# browser accepts, except a credentialed request to a policy without credentials.

ORIGINS = st.sampled_from([APP, EVIL, "http://localhost:3000", "null"])
NAMES = st.sampled_from(["X-Token", "Authorization", "Content-Type", "Accept", "X-Other"])


@settings(max_examples=examples(300), deadline=None, database=None)
@given(
    allow_origins=st.sampled_from([None, [APP], ["*"], ["http://localhost:*", APP]]),
    allow_credentials=st.sampled_from([None, False]),
    allow_methods=st.sampled_from([None, ["PUT"], ["*"], ["DELETE", "PATCH"]]),
    allow_headers=st.one_of(
        st.none(), st.lists(st.sampled_from(["*", "X-Token", "Authorization"]))
    ),
    origin=ORIGINS,
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "patch", "OPTIONS"]),
    headers=st.lists(
        st.one_of(NAMES, st.tuples(NAMES, st.sampled_from(["text/plain", "a/b"])).map(": ".join))
    ),
    credentials=st.booleans(),
    route_methods=st.one_of(st.none(), st.lists(st.sampled_from(["GET", "PUT", "DELETE"]))),
)
def test_the_browser_accepts_what_the_policy_allows(
    allow_origins: Optional[List[str]],
    allow_credentials: Optional[bool],
    allow_methods: Optional[List[str]],
    allow_headers: Optional[List[str]],
    origin: str,
    method: str,
    headers: List[str],
    credentials: bool,
    route_methods: Optional[List[str]],
) -> None:
    policy = CORSPolicy(
        allow_origins, allow_credentials, allow_methods=allow_methods, allow_headers=allow_headers
    )
    result = explain(
        policy, origin, method, headers, credentials=credentials, route_methods=route_methods
    )
    policy_allows = result.refusal is None and (not credentials or policy.allow_credentials)
    assert result.allowed == policy_allows, str(result)
    assert result.allowed == (result.fix is None)  # every blocked request gets a fix
    assert result.allowed == (result.reason is None)


# The command line


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hug_cors", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_cli_exits_0_when_the_browser_allows_the_request() -> None:
    done = run_cli(
        "explain", "--allow-origin", APP, "--allow-header", "X-Token", "--origin", APP,
        "--method", "PUT", "--header", "X-Token: abc", "--credentials", "--route-methods",
        "GET,PUT",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "Access-Control-Request-Headers: x-token" in done.stdout
    assert done.stdout.rstrip().endswith("Browser verdict: allowed")


def test_the_cli_exits_1_when_the_browser_blocks_the_request() -> None:
    done = run_cli("explain", "--allow-origin", APP, "--origin", EVIL)
    assert done.returncode == 1
    assert f"Fix: add {EVIL!r} to allow_origins" in done.stdout
    assert "Browser verdict: BLOCKED — " in done.stdout


def test_the_cli_exits_2_with_the_librarys_message_for_a_configuration_error() -> None:
    done = run_cli("explain", "--allow-origin", f"{APP}/", "--origin", APP)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr == (
        f"python -m hug_cors explain: error: allow_origins: '{APP}/' is not an origin: it has "
        "a trailing slash. An origin is scheme://host[:port] with nothing after it; use "
        f"{APP!r}.\n"
    )


def test_the_cli_help_is_useful() -> None:
    top = run_cli("--help")
    assert top.returncode == 0
    assert "explain" in top.stdout
    explain_help = run_cli("explain", "--help")
    assert explain_help.returncode == 0
    for flag in ("--allow-origin", "--allow-credentials", "--no-allow-credentials", "--origin"):
        assert flag in explain_help.stdout
    help_text = explain_help.stdout.replace("\n", " ")
    assert "exit status: 0 if the browser allows the request, 1 if it blocks it" in help_text
    assert "3 if the command itself fails" in help_text
    missing = run_cli()
    assert missing.returncode == 2
    assert "COMMAND" in missing.stderr


@pytest.mark.parametrize(
    ("args", "status", "expected"),
    [
        (["--origin", APP], 0, "Access-Control-Allow-Origin: *"),
        (["--origin", APP, "--credentials"], 1, "list the origin instead of '*'"),
        (["--allow-origin", APP, "--no-allow-credentials", "--origin", APP, "--credentials"],
         1, "pass allow_credentials=True"),
        (["--allow-origin", "*", "--allow-credentials", "--origin", APP], 2,
         "allow_credentials=True with allow_origins=['*']"),
        (["--max-age", "-1", "--origin", APP], 2, "max_age: -1 is negative"),
        (["--allow-origin-regex", "https://(", "--origin", APP], 2, "does not compile"),
        (["--allow-method", "TRACE", "--origin", APP], 2, "allow_methods: 'TRACE' is forbidden"),
        (["--expose-header", "Set-Cookie", "--origin", APP], 2, "'set-cookie' is never readable"),
        (["--origin", APP, "--header", "Bad Name"], 2, "no valid header name"),
        (["--allow-origin-regex", r"https://[a-z]+\.example\.com", "--origin", APP], 0,
         f"Access-Control-Allow-Origin: {APP}"),
        (["--allow-method", "PATCH", "--origin", APP, "--method", "PATCH"], 0,
         "Access-Control-Allow-Methods: PATCH"),
        (["--origin", APP, "--method", "DELETE", "--route-methods", "get, delete"], 0,
         "Access-Control-Allow-Methods: DELETE, GET, OPTIONS"),
        (["--allow-origin", APP, "--allow-private-network", "--origin", APP,
          "--private-network"], 0, "Access-Control-Allow-Private-Network: true"),
        (["--allow-origin", APP, "--expose-header", "*", "--origin", APP, "--credentials",
          "--response-header", "X-Total-Count"], 0, "Access-Control-Expose-Headers: x-total-count"),
    ],
)  # fmt: skip
def test_the_cli_main(
    capsys: pytest.CaptureFixture[str], args: List[str], status: int, expected: str
) -> None:
    assert main(["explain", *args]) == status
    out, err = capsys.readouterr()
    assert expected in (out if status < 2 else err)
    if status == 2:
        assert out == ""
        assert err.startswith("python -m hug_cors explain: error: ")


def test_the_cli_prints_configuration_warnings_without_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # main() must catch them itself
        status = main(["explain", "--allow-origin", "http://app.example.com", "--origin", APP])
    assert status == 1
    out, err = capsys.readouterr()
    assert err == (
        "warning: allow_origins: 'http://app.example.com' is plain http with credentials: "
        "anyone on the network can inject a script into it and act as your users. Use https.\n"
    )
    assert out.rstrip().endswith(f"(hug-cors refused it: origin {APP!r} is not allowed)")


def test_the_cli_rejects_bad_usage() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["explain", "--allow-origin", APP])  # no --origin
    assert exited.value.code == 2


def test_a_crash_exits_3_and_is_not_taken_for_a_blocked_request(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Explanation:
        raise RuntimeError("a bug")

    monkeypatch.setattr("hug_cors.__main__.explain", broken)
    assert main(["explain", "--origin", APP]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert "RuntimeError: a bug" in err  # the traceback, for the bug report
    assert err.endswith("internal error, a bug in hug-cors; no verdict\n")


# Hostile arguments: the report is all that reaches the terminal, and the status is true

# The environment variables that decide how the command's output is encoded, set per test.
ENCODING_VARIABLES = ("PYTHONIOENCODING", "PYTHONUTF8", "PYTHONCOERCECLOCALE", "LC_ALL")


def run_raw(*args: Union[str, bytes], **env: str) -> subprocess.CompletedProcess[bytes]:
    """``python -m hug_cors explain`` with ``args`` (bytes: as the shell passes them) and
    ``env``; its output as bytes, undecoded and with no newline translation."""
    inherited = {k: v for k, v in os.environ.items() if k not in ENCODING_VARIABLES}
    return subprocess.run(
        [sys.executable, "-m", "hug_cors", "explain", *args],
        capture_output=True,
        timeout=60,
        check=False,
        env={**inherited, **env},
    )


def only_printable(text: str) -> bool:
    """No control character but the line ends: nothing a terminal would act on."""
    return all(character == "\n" or character.isprintable() for character in text)


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["--origin", b"https://a\xff.example"], "from 'https://a\\udcff.example'"),
        (["--origin", APP, "--header", b"X-Token: \xff"], "X-Token: '\\udcff'"),
    ],
)
def test_an_argument_byte_that_is_not_utf8_is_shown_escaped(
    args: List[Union[str, bytes]], shown: str
) -> None:
    # Python reads the byte as a lone surrogate, which strict UTF-8 (a UTF-8 terminal)
    # cannot encode: printed as it is, it crashed with status 1, "blocked".
    done = run_raw(*args, PYTHONIOENCODING="utf-8:strict")
    assert done.stderr == b""
    assert done.returncode == 0  # allowed: the default policy allows any origin
    out = done.stdout.decode("ascii")  # nothing else left in the report
    assert shown in out.splitlines()[0]
    assert out.splitlines()[-1] == "Browser verdict: allowed"


@pytest.mark.parametrize(
    ("env", "encoding", "origin"),
    [
        ({"PYTHONIOENCODING": "latin-1"}, "latin-1", "'https://caf\\xe9.example'"),
        ({"PYTHONIOENCODING": "ascii"}, "ascii", "'https://caf\\xe9.example'"),
        # The C locale, without the UTF-8 mode Python would otherwise switch to: the
        # argument's two UTF-8 bytes are not ASCII, and are read as two surrogates.
        (
            {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
            "ascii",
            "'https://caf\\udcc3\\udca9.example'",
        ),
    ],
)
def test_a_terminal_that_cannot_show_a_character_gets_an_escape(
    env: Dict[str, str], encoding: str, origin: str
) -> None:
    done = run_raw("--allow-origin", APP, "--origin", "https://caf\u00e9.example", **env)
    assert done.stderr == b""
    assert done.returncode == 1  # the true verdict, not a crash
    lines = done.stdout.decode(encoding).splitlines()
    assert lines[0] == f"CORS check of GET from {origin}, without credentials"
    assert lines[-1].startswith(
        "Browser verdict: BLOCKED \\u2014 the response has no Access-Control-Allow-Origin header"
    )


def test_a_newline_in_the_origin_cannot_forge_a_verdict() -> None:
    forged = "\n Browser verdict: allowed"
    done = run_cli("explain", "--allow-origin", APP, "--origin", APP + forged)
    assert done.stderr == ""
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert not any(line.lstrip().startswith(forged.strip()) for line in lines)
    assert [line for line in lines if "Browser verdict" in line.split(":")[0]] == lines[-1:]
    assert lines[-1].startswith("Browser verdict: BLOCKED — ")
    assert lines[0].startswith(f"CORS check of GET from {APP + forged!r}, without")
    assert f"      Origin: {APP + forged!r}" in lines  # the header line, escaped too


def test_escape_sequences_and_control_characters_never_reach_the_terminal() -> None:
    origin = "https://a.example\x1b[2J\x1b]0;owned\x07"
    header = "X-Note: \x1b[31mred\x0bBrowser verdict: allowed\u2028\x9b"
    done = run_raw(
        "--origin", origin, "--method", "PUT", "--header", header, "--route-methods", "PUT"
    )
    assert done.returncode == 0, done.stderr  # allowed: any origin, method and header
    out, err = done.stdout.decode(), done.stderr.decode()
    assert "\x1b" not in out
    assert err == ""
    assert only_printable(out), out
    assert f"  Origin: {origin!r}" in out
    assert "  X-Note: '\\x1b[31mred\\x0bBrowser verdict: allowed\\u2028\\x9b'" in out
    assert out.splitlines()[-1] == "Browser verdict: allowed"


def test_a_request_error_escapes_the_value_as_the_log_does() -> None:
    done = run_raw("--origin", APP, "--header", "X\x1b[2J\u00e9: a")
    assert done.returncode == 2
    assert done.stdout == b""
    err = done.stderr.decode("ascii")  # quoted, ASCII: as loggable() writes it
    assert "headers: 'X\\x1b[2J\\xe9: a' has no valid header name" in err


# The example


def test_the_example_explains_an_allowed_and_a_blocked_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    reports = out.split("\n\n")
    assert len(reports) == 2
    assert reports[0].endswith("Browser verdict: allowed")
    assert "Fix: add 'X-Request-Id' to allow_headers" in reports[1]
    assert "Browser verdict: BLOCKED" in reports[1]
