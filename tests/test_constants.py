"""The tables and grammars the code holds as constants, one row per entry, through what
they decide: the method, header and origin lists of the Fetch standard and RFC 9110,
the limits, and Falcon's responder names. A wrong entry in any of them fails a row here."""

from __future__ import annotations

import string
import warnings
from typing import Dict, Optional

import falcon
import pytest

from hug_cors import CORSConfigurationWarning, CORSPolicy
from hug_cors._policy import merge_vary
from hug_cors._route_index import served_methods
from tests.helpers import configuration_error

ORIGIN = "https://app.example.com"


def granted(policy: CORSPolicy, method: str, headers: Optional[str] = None) -> Dict[str, str]:
    """The headers of a preflight's answer, empty when it is refused."""
    return dict(policy.preflight(ORIGIN, method, headers).headers)


# Methods: safelisted (Fetch), forbidden (Fetch), standard (normalised to upper case).


@pytest.mark.parametrize(
    ("method", "passes"),
    [
        *[("GET", True), ("HEAD", True), ("POST", True), ("PUT", True)],
        *[("PATCH", False), ("DELETE", False), ("OPTIONS", False), ("get", False)],
    ],
)
def test_the_safelisted_methods_always_pass(method: str, passes: bool) -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], allow_methods=["PUT"])
    assert bool(granted(policy, method)) is passes


@pytest.mark.parametrize("method", ["CONNECT", "TRACE", "TRACK", "connect", "trace", "track"])
def test_the_forbidden_methods_are_refused_at_construction(method: str) -> None:
    refused = configuration_error(
        lambda: CORSPolicy(allow_methods=[method]), "allow_methods", method
    )
    assert refused.fix == "Remove it."  # forbidden, not malformed


@pytest.mark.parametrize("method", ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"])
def test_the_standard_methods_are_upper_cased(method: str) -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], allow_methods=[method.lower()])
    assert granted(policy, method)


@pytest.mark.parametrize("method", ["purge", "Propfind", "search"])
def test_other_methods_keep_their_case(method: str) -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], allow_methods=[method])
    assert granted(policy, method)
    assert not granted(policy, method.upper())


# Request headers: safelisted (always allowed), Authorization (never covered by "*").


@pytest.mark.parametrize(
    ("name", "passes"),
    [
        *[("accept", True), ("accept-language", True), ("content-language", True)],
        *[("content-type", True), ("x-token", True), ("range", False), ("authorization", False)],
    ],
)
def test_the_safelisted_request_headers_are_always_allowed(name: str, passes: bool) -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], allow_headers=["X-Token"])
    assert bool(granted(policy, "POST", name)) is passes


@pytest.mark.parametrize(("name", "passes"), [("authorization", False), ("x-anything", True)])
def test_a_wildcard_of_headers_never_covers_authorization(name: str, passes: bool) -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], allow_headers=["*"], allow_credentials=False)
    assert bool(granted(policy, "POST", name)) is passes


def test_a_wildcard_of_exposed_headers_never_exposes_the_safelisted_or_cookies() -> None:
    never = ["cache-control", "content-language", "content-length", "content-type"]
    never += ["expires", "last-modified", "pragma", "set-cookie", "set-cookie2"]
    policy = CORSPolicy(allow_origins=[ORIGIN], expose_headers=["*"])
    answer = policy.actual(ORIGIN, lambda: [*never, "X-Total-Count"])
    assert dict(answer.headers)["Access-Control-Expose-Headers"] == "x-total-count"


# The token grammar of RFC 9110 (header and method names).

TOKEN_CHARACTERS = "!#$%&'*+-.^_`|~" + string.digits + string.ascii_lowercase


@pytest.mark.parametrize("character", list(TOKEN_CHARACTERS))
def test_every_token_character_makes_a_header_name(character: str) -> None:
    name = "x" + character
    answer = granted(CORSPolicy(allow_origins=[ORIGIN]), "POST", name)
    assert answer["Access-Control-Allow-Headers"] == name


@pytest.mark.parametrize("character", [*'"()/:;<=>?@[\\]{} \x7f', "\u00e9"])
def test_no_separator_makes_a_header_name(character: str) -> None:
    name = "x" + character + "y"
    assert not granted(CORSPolicy(allow_origins=[ORIGIN]), "POST", name)


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [
        ("x-a,x-b", "x-a, x-b"),  # as browsers send it
        ("X-A , x-b", "x-a, x-b"),  # spaces around commas, any case
        ("x-a,\tx-b,,", "x-a, x-b"),  # tabs, empty elements
        (" x-a ", "x-a"),
        ("x-a;x-b", None),
        ("x-a x-b", None),
    ],
)
def test_the_list_grammar_of_requested_headers(sent: str, echoed: Optional[str]) -> None:
    answer = granted(CORSPolicy(allow_origins=[ORIGIN]), "POST", sent)
    assert answer.get("Access-Control-Allow-Headers") == echoed


@pytest.mark.parametrize("separator", [",", ", ", " ,", "\t,\t", " , "])
def test_the_list_grammar_of_vary(separator: str) -> None:
    assert merge_vary(f"Accept-Encoding{separator}origin", "Origin") == (
        f"Accept-Encoding{separator}origin"
    )


# Limits.


@pytest.mark.parametrize(("length", "passes"), [(4096, True), (4097, False)])
def test_the_longest_list_of_requested_headers(length: int, passes: bool) -> None:
    name = "x" * length
    answer = granted(CORSPolicy(allow_origins=[ORIGIN]), "POST", name)
    assert bool(answer) is passes


@pytest.mark.parametrize(("length", "passes"), [(64, True), (65, False)])
def test_the_longest_method_a_wildcard_allows(length: int, passes: bool) -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], allow_methods=["*"], allow_credentials=False)
    assert bool(granted(policy, "X" * length)) is passes


@pytest.mark.parametrize(("seconds", "warns"), [(7200, False), (7201, True)])
def test_the_longest_max_age_browsers_honour(seconds: int, warns: bool) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CORSPolicy(allow_origins=[ORIGIN], max_age=seconds)
    assert any(issubclass(w.category, CORSConfigurationWarning) for w in caught) is warns


# Origins: default ports, loopback hosts, and the grammar of a serialized origin.


@pytest.mark.parametrize(
    ("configured", "serialized"),
    [
        ("https://a.example:443", "https://a.example"),
        ("http://localhost:80", "http://localhost"),
        ("ws://a.example:80", "ws://a.example"),
        ("wss://a.example:443", "wss://a.example"),
        ("https://a.example:80", "https://a.example:80"),  # not https's default
        ("http://localhost:443", "http://localhost:443"),
        ("https://a.example:01", "https://a.example:1"),
        ("https://a.example:65535", "https://a.example:65535"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("https://a_b.example", "https://a_b.example"),
        ("git+ssh://a.example", "git+ssh://a.example"),
    ],
)
def test_configured_origins_are_serialized_as_browsers_send_them(
    configured: str, serialized: str
) -> None:
    assert set(CORSPolicy(allow_origins=[configured]).allowed_origins) == {serialized}


@pytest.mark.parametrize(
    "configured",
    [
        "https://a.example:0",
        "https://a.example:65536",
        "https://a.example:123456",
        "http://[::g]:8080",
        "https://-a.example",
        "https://a-.example",
        "1http://a.example",
        "https://" + "a" * 254,
    ],
)
def test_malformed_origins_are_refused(configured: str) -> None:
    configuration_error(lambda: CORSPolicy(allow_origins=[configured]), "allow_origins", configured)


@pytest.mark.parametrize(
    ("origin", "warns"),
    [
        ("http://localhost:3000", False),
        ("http://127.0.0.1:3000", False),
        ("http://[::1]:3000", False),
        ("http://app.localhost:3000", False),
        ("http://app.example.com", True),
        ("http://localhost.example.com", True),
    ],
)
def test_only_loopback_hosts_may_use_plain_http_with_credentials(origin: str, warns: bool) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CORSPolicy(allow_origins=[origin])
    assert any("plain http" in str(w.message) for w in caught) is warns


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://a.example.com", True),
        ("https://a.example.com:8443", False),
        ("https://A.example.com", False),  # browsers send lower case
        ("https://a.example.com:443", False),  # and no default port
        ("https://a.example.com:0443", False),
        ("https://-.example.com", False),  # not a host
    ],
)
def test_request_origins_a_pattern_matches(origin: str, allowed: bool) -> None:
    policy = CORSPolicy(allow_origins=["https://*.example.com"])
    assert (policy.actual(origin).refusal is None) is allowed


# Falcon's responder names.


@pytest.mark.parametrize("method", sorted(falcon.COMBINED_METHODS))
def test_each_of_falcons_methods_is_served_by_its_responder(method: str) -> None:
    resource = type("Resource", (), {"on_" + method.lower(): lambda self, req, resp: None})()
    assert served_methods(resource) == {method, "OPTIONS"}
