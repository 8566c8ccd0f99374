"""Exact answers at the edges of the policy: origin patterns and boundaries, method case,
the request-header list grammar and its length limit, safelists and forbidden names,
credentialed wildcards, the max_age warning threshold, and how request values are logged.

Each test states one behaviour with the exact value a client sees, so that any change
to it fails here.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Dict, Optional

import pytest

from hug_cors import Answer, CORSConfigurationWarning, CORSMiddleware, CORSPolicy
from hug_cors._policy import loggable, merge_vary
from tests.helpers import ORIGIN, build_api, call, configuration_error, cors_headers, preflight

PREFLIGHT_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network"
)


def header(answer: Answer, name: str) -> Optional[str]:
    """The value of ``name`` in a policy's answer, or None if it is not there."""
    values = [value for key, value in answer.headers if key == name]
    assert len(values) <= 1
    return values[0] if values else None


def domain(length: int, parent: str = "example.com") -> str:
    """A valid host name of exactly ``length`` characters under ``parent``, in labels of
    at most 63 characters."""
    name = parent
    while len(name) < length:
        room = length - len(name)  # for one more label and its dot
        label = min(room - 1, 63)
        if room - label - 1 == 1:  # leave room for a label of at least one character
            label -= 1
        name = "a" * label + "." + name
    assert len(name) == length
    assert ".." not in name
    return name


def request_headers(length: int, separator: str, prefix: str) -> str:
    """An Access-Control-Request-Headers value of exactly ``length`` characters: distinct
    names ``{prefix}000``, ``{prefix}001``... joined by ``separator``, the last one padded."""
    names = [f"{prefix}{i:03d}" for i in range(length // (6 + len(separator)) - 1)]
    body = separator.join(names)
    padding = length - len(body) - len(separator)
    value = separator.join([*names, prefix[:2] + "p" * (padding - 2)])
    assert len(value) == length
    return value


# --- The origin pattern http://*.localhost:* -----------------------------------------


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://a.localhost:3000", True),
        ("http://a.b.localhost", True),  # the default port too, and any depth
        ("http://a.localhost", True),
        ("http://a.localhost:1", True),
        ("http://a.localhost:65535", True),
        ("http://localhost:3000", False),  # never the parent itself
        ("http://localhost", False),
        ("https://a.localhost:1", False),  # the scheme is part of the pattern
        ("http://a.localhost:80", False),  # browsers never send the default port
        ("http://a.localhost:0", False),
        ("http://a.localhost:65536", False),
        ("http://a.localhost:", False),
        ("http://A.localhost:3000", False),  # browsers send lower case only
        ("http://.localhost:3000", False),
        ("http://alocalhost:3000", False),
        ("http://a.localhost.:3000", False),
        ("http://a.localhost.example.com:3000", False),
        ("null", False),
    ],
)
def test_any_subdomain_of_localhost_on_any_port(origin: str, allowed: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # loopback: plain http with credentials is fine
        policy = CORSPolicy(allow_origins=["HTTP://*.LocalHost:*"])
    assert policy.allowed_origins == {"http://*.localhost:*"}
    answer = policy.actual(origin)
    if allowed:
        assert answer == (
            (
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Credentials", "true"),
            ),
            "Origin",
            None,
        )
    else:
        assert answer == ((), "Origin", f"origin {origin!r} is not allowed")


# --- Method names: case ---------------------------------------------------------------


def test_an_answer_reads_as_a_three_tuple_and_carries_its_fields_by_lower_case_name() -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], expose_headers=["X-Total"])
    answer = policy.actual(ORIGIN)
    headers, vary, refusal = answer
    assert answer == (headers, vary, refusal)
    assert list(answer.fields.items()) == [
        ("access-control-allow-origin", ORIGIN),
        ("access-control-allow-credentials", "true"),
        ("access-control-expose-headers", "x-total"),
        ("vary", "Origin"),
    ]
    same = Answer(headers, "Origin")
    assert same == answer
    assert hash(same) == hash(answer)
    assert answer != Answer(headers)
    assert answer != "Origin"
    assert Answer((), "").fields == {}  # no Vary field for an empty vary


def test_a_preflight_answer_is_kept_and_the_same_as_a_fresh_one() -> None:
    """A listed origin's preflight is answered from what was kept the first time: the same
    answer a policy that never saw the request gives, for a route's methods as any set."""
    policy = CORSPolicy(allow_origins=[ORIGIN], allow_headers=["X-Token"], max_age=60)
    asked = (ORIGIN, "PUT", "x-token", None, {"GET", "PUT"})
    first = policy.preflight(*asked)
    assert policy.preflight(*asked) is first
    assert first == CORSPolicy(
        allow_origins=[ORIGIN], allow_headers=["X-Token"], max_age=60
    ).preflight(*asked)
    assert dict(first.headers)["Access-Control-Allow-Methods"] == "GET, OPTIONS, PUT"
    refused = policy.preflight(ORIGIN, "PUT", "x-other", None, {"GET", "PUT"})
    assert refused.refusal == "header 'x-other' is not allowed"
    assert policy.preflight(ORIGIN, "DELETE", "x-token", None, {"GET", "PUT"}).refusal == (
        "method 'DELETE' is not allowed"
    )


def test_a_flood_of_preflights_keeps_a_bounded_number_of_answers() -> None:
    """Made-up header lists from a listed origin turn the kept answers over; memory stays
    flat, and the answers stay right."""
    import tracemalloc

    policy = CORSPolicy(allow_origins=[ORIGIN])
    tracemalloc.start()
    try:
        for n in range(3_000):  # full, then turned over
            policy.preflight(ORIGIN, "POST", f"x-made-up-{n}")
        settled, _ = tracemalloc.get_traced_memory()
        for n in range(3_000, 13_000):
            policy.preflight(ORIGIN, "POST", f"x-made-up-{n}")
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Keeping the 10,000 answers of the flood would take several MB.
    assert after - settled < 512 * 1024, f"{after - settled} bytes more"
    answer = policy.preflight(ORIGIN, "POST", "x-made-up-1")
    assert dict(answer.headers)["Access-Control-Allow-Headers"] == "x-made-up-1"


def test_preflights_with_long_made_up_values_keep_nothing() -> None:
    """A client can send a listed Origin with huge header lists (a server allows header
    lines of many KB): those answers are not kept, so the policy's memory stays small."""
    import tracemalloc

    policy = CORSPolicy(allow_origins=[ORIGIN])
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for n in range(1_000):  # 1,000 lists of ~4,000 characters: 4 MB if kept
            names = ",".join(f"x-{n}-{k}" for k in range(400))[:4000].rstrip(",-")
            assert policy.preflight(ORIGIN, "POST", names).refusal is None
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 512 * 1024, f"{after - before} bytes more"


def test_a_non_standard_method_keeps_its_case_and_is_matched_case_sensitively() -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], allow_methods=["purge"])
    assert policy.allow_methods == ("purge",)
    allowed = policy.preflight(ORIGIN, "purge")
    assert allowed.refusal is None
    assert header(allowed, "Access-Control-Allow-Methods") == "purge"
    refused = policy.preflight(ORIGIN, "PURGE")
    assert refused == ((), PREFLIGHT_VARY, "method 'PURGE' is not allowed")


def test_standard_methods_are_upper_cased_and_others_kept_as_written() -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], allow_methods=["put", "Purge", "patch"])
    assert policy.allow_methods == ("PUT", "Purge", "PATCH")
    allowed = policy.preflight(ORIGIN, "PUT")
    assert header(allowed, "Access-Control-Allow-Methods") == "PUT, Purge, PATCH"
    assert policy.preflight(ORIGIN, "put").refusal == "method 'put' is not allowed"
    assert policy.preflight(ORIGIN, "PURGE").refusal == "method 'PURGE' is not allowed"


def test_a_method_through_the_middleware_keeps_its_case() -> None:
    api = build_api(allow_origins=[ORIGIN], allow_methods=["purge"])
    answered = cors_headers(preflight(api, "/demo/1", "purge"))
    assert answered["access-control-allow-methods"] == "purge"
    assert cors_headers(preflight(api, "/demo/1", "PURGE")) == {}


# --- Empty and blank configured origins ------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "message"),
    [
        ("", "allow_origins: '' is not an origin: it has no scheme."),
        ("  ", "allow_origins: '  ' is not an origin: it has white space around it."),
        ("\t", "allow_origins: '\\t' is not an origin: it has white space around it."),
    ],
)
def test_empty_and_blank_origins_are_refused_at_construction(origin: str, message: str) -> None:
    refused = configuration_error(
        lambda: CORSPolicy(allow_origins=[origin]), "allow_origins", origin
    )
    assert refused.problem == message
    refused = configuration_error(
        lambda: CORSMiddleware(build_api(None), allow_origins=["https://ok.example", origin]),
        "allow_origins",
        origin,
    )
    assert refused.problem == message


# --- Ports and host lengths: configured origins ----------------------------------------


@pytest.mark.parametrize(
    ("configured", "normalised"),
    [
        ("https://app.example.com:1", "https://app.example.com:1"),
        ("https://app.example.com:65535", "https://app.example.com:65535"),
        ("https://app.example.com:01", "https://app.example.com:1"),  # as URLs parse it
        ("https://app.example.com:443", "https://app.example.com"),
        ("https://app.example.com:", "https://app.example.com"),  # an empty port
        ("https://a", "https://a"),  # one-character host
        ("https://a.b", "https://a.b"),  # one-character labels
        ("https://*.a.b", "https://*.a.b"),
        ("https://" + "a" * 63 + ".example.com", "https://" + "a" * 63 + ".example.com"),
        ("https://" + domain(253), "https://" + domain(253)),
    ],
)
def test_configured_origins_at_the_port_and_host_boundaries(
    configured: str, normalised: str
) -> None:
    assert CORSPolicy(allow_origins=[configured]).allowed_origins == {normalised}


@pytest.mark.parametrize(
    ("configured", "message"),
    [
        (
            "https://app.example.com:0",
            "allow_origins: 'https://app.example.com:0' is not an origin: it has a bad "
            "port '0' (a port is 1 to 65535, or * in a pattern). An origin is "
            "scheme://host[:port] with nothing after it; use 'https://app.example.com'.",
        ),
        (
            "https://app.example.com:65536",
            "allow_origins: 'https://app.example.com:65536' is not an origin: it has a bad "
            "port '65536' (a port is 1 to 65535, or * in a pattern). An origin is "
            "scheme://host[:port] with nothing after it; use 'https://app.example.com'.",
        ),
        (
            "https://" + domain(254),
            f"allow_origins: {'https://' + domain(254)!r} has no valid host.",
        ),
    ],
)
def test_configured_origins_past_the_port_and_host_boundaries(
    configured: str, message: str
) -> None:
    refused = configuration_error(
        lambda: CORSPolicy(allow_origins=[configured]), "allow_origins", configured
    )
    assert message in (str(refused), refused.problem)  # the whole message, or what is wrong


# --- Ports and host lengths: request origins -------------------------------------------


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example.com:1", True),
        ("https://app.example.com:65535", True),
        ("https://app.example.com:8080", True),
        ("https://app.example.com", True),
        ("https://app.example.com:0", False),
        ("https://app.example.com:65536", False),
        ("https://app.example.com:01", False),  # browsers never send a leading zero
        ("https://app.example.com:443", False),  # nor the default port
        ("https://app.example.com:", False),
        ("https://app.example.com:100000", False),
    ],
)
def test_request_origins_at_the_port_boundaries(origin: str, allowed: bool) -> None:
    policy = CORSPolicy(allow_origins=["https://app.example.com:*"])
    answer = policy.actual(origin)
    assert answer.refusal == (None if allowed else f"origin {origin!r} is not allowed")
    assert header(answer, "Access-Control-Allow-Origin") == (origin if allowed else None)


@pytest.mark.parametrize(
    ("configured", "origin", "allowed"),
    [
        ("https://a", "https://a", True),
        ("https://a", "https://b", False),
        ("https://*.example.com", "https://a.example.com", True),
        ("https://*.example.com", "https://_.example.com", True),
        ("https://*.example.com", "https://-.example.com", False),
        ("https://*.example.com", "https://" + domain(253), True),
        ("https://*.example.com", "https://" + "a" * 63 + ".example.com", True),
        ("https://app.example.com:1", "https://app.example.com:1", True),
        ("https://app.example.com:1", "https://app.example.com:01", False),
        ("https://app.example.com:65535", "https://app.example.com:65535", True),
    ],
)
def test_request_origins_at_the_host_boundaries(
    configured: str, origin: str, allowed: bool
) -> None:
    policy = CORSPolicy(allow_origins=[configured])
    assert policy.allows_origin(origin) is allowed
    assert policy.actual(origin).refusal == (
        None if allowed else f"origin {origin!r} is not allowed"
    )


# --- The length limit of Access-Control-Request-Headers --------------------------------


@pytest.mark.parametrize(
    ("separator", "prefix"),
    [(",", "x-h"), (", ", "X-H")],
    ids=["browser form", "spaced form"],
)
def test_request_headers_of_at_most_4096_characters_are_accepted(
    separator: str, prefix: str
) -> None:
    value = request_headers(4096, separator, prefix)
    answer = CORSPolicy(allow_origins=[ORIGIN]).preflight(ORIGIN, "GET", value)
    assert answer.refusal is None
    expected = ", ".join(name.lower() for name in value.split(separator))
    assert header(answer, "Access-Control-Allow-Headers") == expected


@pytest.mark.parametrize(
    ("separator", "prefix"),
    [(",", "x-h"), (", ", "X-H")],
    ids=["browser form", "spaced form"],
)
def test_request_headers_of_4097_characters_are_refused_never_echoed(
    separator: str, prefix: str
) -> None:
    value = request_headers(4097, separator, prefix)
    answer = CORSPolicy(allow_origins=[ORIGIN]).preflight(ORIGIN, "GET", value)
    assert answer == (
        (),
        PREFLIGHT_VARY,
        f"Access-Control-Request-Headers '{value[:100]}...' is not a list of header names "
        "of at most 4096 characters",
    )


def test_the_request_headers_length_limit_through_the_middleware() -> None:
    api = build_api(allow_origins=[ORIGIN])
    longest = request_headers(4096, ",", "x-h")
    answered = cors_headers(preflight(api, "/demo/1", "PUT", headers=longest))
    assert answered["access-control-allow-headers"] == longest.replace(",", ", ")
    too_long = request_headers(4097, ",", "x-h")
    assert cors_headers(preflight(api, "/demo/1", "PUT", headers=too_long)) == {}


# --- The grammar of Access-Control-Request-Headers -------------------------------------


@pytest.mark.parametrize(
    ("requested", "echoed"),
    [
        ("x-a,x-b", "x-a, x-b"),  # what browsers send
        ("X-A, X-B", "x-a, x-b"),
        ("X-A,X-B", "x-a, x-b"),
        ("x-a , x-b", "x-a, x-b"),
        ("x-a,\tx-b", "x-a, x-b"),
        ("x-a\t", "x-a"),
        (" x-a", "x-a"),
        ("x-a,,x-b", "x-a, x-b"),  # empty elements are ignored
        ("x-a,\t,x-b", "x-a, x-b"),
        ("x-a,", "x-a"),  # a trailing comma too
        ("x-a ,", "x-a"),
        (",x-a", "x-a"),
        ("x-a, x-a", "x-a"),  # repeats are dropped, first order kept
        ("x-b,x-a,x-b", "x-b, x-a"),
        ("!#$%&'*+-.^_`|~0", "!#$%&'*+-.^_`|~0"),
        (",", None),  # nothing asked for: allowed, no Access-Control-Allow-Headers
        (" ", None),
        ("\t", None),
        ("", None),
    ],
)
def test_well_formed_request_header_lists(requested: str, echoed: Optional[str]) -> None:
    answer = CORSPolicy(allow_origins=[ORIGIN]).preflight(ORIGIN, "GET", requested)
    assert answer.refusal is None
    assert header(answer, "Access-Control-Allow-Headers") == echoed


@pytest.mark.parametrize(
    "requested",
    [
        "x-a x-b",  # a space inside an element
        "x\ta",  # a tab inside an element
        "x-a;x-b",
        "x-a:1",
        "x(a)",
        "x-a/b",
        'x-"a"',
        "x-a\n",
        "x-a,\nx-b",
        "x-a\r\nx-b",
        "x-a\x0b",
        "x-a\x0c",
        "x-a\x00",
        "x-a\xa0",  # non-breaking space is not white space here
        "x-\xe9",
        "x-\u212a",  # KELVIN SIGN, which lower() maps to an ASCII k
    ],
)
def test_malformed_request_header_lists_are_refused(requested: str) -> None:
    answer = CORSPolicy(allow_origins=[ORIGIN]).preflight(ORIGIN, "GET", requested)
    assert answer == (
        (),
        PREFLIGHT_VARY,
        f"Access-Control-Request-Headers {requested!a} is not a list of header names "
        "of at most 4096 characters",
    )


# --- Exposing the response's headers with credentials ---------------------------------


def test_credentialed_expose_all_with_nothing_to_expose_sends_no_expose_header() -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], expose_headers=["*"])
    assert policy.actual(ORIGIN, lambda: []) == (
        (
            ("Access-Control-Allow-Origin", ORIGIN),
            ("Access-Control-Allow-Credentials", "true"),
        ),
        "Origin",
        None,
    )


@pytest.mark.parametrize(
    ("config", "reads"),
    [
        ({"allow_origins": [ORIGIN], "expose_headers": ["*"]}, True),
        ({"allow_origins": [ORIGIN], "expose_headers": ["*"], "allow_credentials": False}, False),
        ({"expose_headers": ["*"]}, False),  # the wildcard origin: "*" is a wildcard
        ({"allow_origins": [ORIGIN], "expose_headers": ["X-Total-Count"]}, False),
    ],
)
def test_only_a_credentialed_expose_all_reads_the_response_headers(
    config: Dict[str, Any], reads: bool
) -> None:
    policy = CORSPolicy(**config)
    assert policy.exposes_response_headers is reads
    asked = []
    policy.actual(ORIGIN, lambda: asked.append(True) or ["X-Page"])
    assert asked == ([True] if reads else [])


def test_credentialed_expose_all_through_the_middleware() -> None:
    api = build_api(allow_origins=[ORIGIN], expose_headers=["*"])
    # /demo has only safelisted headers (Content-Type): nothing to expose.
    assert cors_headers(call(api, "GET", "/demo", {"Origin": ORIGIN})) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-credentials": "true",
    }
    assert cors_headers(call(api, "GET", "/count", {"Origin": ORIGIN})) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-credentials": "true",
        "access-control-expose-headers": "x-total-count",
    }


@pytest.mark.parametrize(
    ("response_header", "exposed"),
    [
        ("Cache-Control", False),
        ("Content-Language", False),
        ("Content-Length", False),
        ("Content-Type", False),
        ("Expires", False),
        ("Last-Modified", False),
        ("Pragma", False),
        ("Set-Cookie", False),
        ("Set-Cookie2", False),
        ("Content-Encoding", True),
        ("Date", True),
        ("ETag", True),
        ("Vary", True),
        ("X-Total-Count", True),
        ("bad name", False),  # not a header name
        ("x-nl\n", False),
        ("", False),
    ],
)
def test_which_response_headers_a_credentialed_expose_all_names(
    response_header: str, exposed: bool
) -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], expose_headers=["*"])
    answer = policy.actual(ORIGIN, lambda: [response_header, "X-Page"])
    expected = f"{response_header.lower()}, x-page" if exposed else "x-page"
    assert header(answer, "Access-Control-Expose-Headers") == expected


@pytest.mark.parametrize(
    ("expose", "forbidden"),
    [
        (["Set-Cookie"], "set-cookie"),
        (["set-cookie2"], "set-cookie2"),
        (["X-Page", "SET-COOKIE2", "Set-Cookie"], "set-cookie"),
    ],
)
def test_exposing_set_cookie_is_refused(expose: list, forbidden: str) -> None:
    message = (
        f"expose_headers: '{forbidden}' is never readable by scripts; browsers filter it "
        "out of every response. Remove it."
    )
    refused = configuration_error(
        lambda: CORSPolicy(allow_origins=[ORIGIN], expose_headers=expose),
        "expose_headers",
        forbidden,
    )
    assert str(refused) == message


def test_other_cookie_like_names_may_be_exposed() -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], expose_headers=["Cookie", "Set-Cookie3"])
    assert header(policy.actual(ORIGIN), "Access-Control-Expose-Headers") == ("cookie, set-cookie3")


# --- A plain OPTIONS with credentials and allow_methods=["*"] --------------------------


def test_plain_options_with_credentials_lists_the_routes_methods_for_a_star() -> None:
    api = build_api(allow_origins=[ORIGIN], allow_methods=["*"])
    response = call(api, "OPTIONS", "/demo", {"Origin": ORIGIN})
    assert response.headers_dict["allow"] == "GET, OPTIONS, POST"
    answered = cors_headers(response)
    assert answered["access-control-allow-origin"] == ORIGIN
    assert answered["access-control-allow-credentials"] == "true"
    # With credentials "*" is a method name to browsers, not a wildcard: the route's
    # methods are listed instead, as the Allow header does.
    assert answered["access-control-allow-methods"] == "GET, OPTIONS, POST"
    item = cors_headers(call(api, "OPTIONS", "/demo/1", {"Origin": ORIGIN}))
    assert item["access-control-allow-methods"] == "DELETE, GET, OPTIONS, PUT"


def test_plain_options_without_credentials_answers_the_star() -> None:
    api = build_api(allow_origins=[ORIGIN], allow_methods=["*"], allow_credentials=False)
    answered = cors_headers(call(api, "OPTIONS", "/demo", {"Origin": ORIGIN}))
    assert answered == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-methods": "*",
    }


# --- loggable: how request values appear in refusals and logs --------------------------


@pytest.mark.parametrize(
    ("value", "logged"),
    [
        ("", "''"),
        ("a" * 100, "'" + "a" * 100 + "'"),  # the limit: kept whole
        ("a" * 101, "'" + "a" * 100 + "...'"),  # one more: cut at 100, then "..."
        ("a" * 1000, "'" + "a" * 100 + "...'"),
        ("it's", '"it\'s"'),
        ('say "hi"', "'say \"hi\"'"),
        ("both ' and \"", "'both \\' and \"'"),
        ("\\", "'\\\\'"),
        ("\r\n\t\x00\x1b\x7f", "'\\r\\n\\t\\x00\\x1b\\x7f'"),
        ("\xe9\u20ac\U0001f600", "'\\xe9\\u20ac\\U0001f600'"),
        ("\xe9" * 101, "'" + "\\xe9" * 100 + "...'"),  # cut counts characters, not escapes
    ],
)
def test_loggable_quotes_escapes_and_cuts(value: str, logged: str) -> None:
    assert loggable(value) == logged
    assert loggable(value).isascii()


def test_refusals_quote_the_request_value_with_loggable() -> None:
    origin = "https://evil.example/\r\n" + "x" * 200
    assert CORSPolicy(allow_origins=[ORIGIN]).actual(origin).refusal == (
        "origin 'https://evil.example/\\r\\n" + "x" * 77 + "...' is not allowed"
    )


# --- Safelisted and forbidden methods --------------------------------------------------


@pytest.mark.parametrize(
    ("method", "allowed"),
    [
        ("GET", True),
        ("HEAD", True),
        ("POST", True),
        ("PUT", True),  # the one configured
        ("DELETE", False),
        ("PATCH", False),
        ("OPTIONS", False),
        ("get", False),
        ("head", False),
        ("post", False),
    ],
)
def test_get_head_and_post_always_pass_a_preflight(method: str, allowed: bool) -> None:
    answer = CORSPolicy(allow_origins=[ORIGIN], allow_methods=["PUT"]).preflight(ORIGIN, method)
    if allowed:
        assert answer.refusal is None
        assert header(answer, "Access-Control-Allow-Methods") == "PUT"
    else:
        assert answer == ((), PREFLIGHT_VARY, f"method {method!r} is not allowed")


def test_safelisted_methods_pass_on_a_route_that_does_not_serve_them() -> None:
    api = build_api(allow_origins=[ORIGIN])  # the route's methods: GET, PUT, DELETE
    for method in ("HEAD", "POST"):
        answered = cors_headers(preflight(api, "/demo/1", method))
        assert answered["access-control-allow-methods"] == "DELETE, GET, OPTIONS, PUT"
    assert cors_headers(preflight(api, "/demo/1", "PATCH")) == {}


@pytest.mark.parametrize(
    "method", ["CONNECT", "TRACE", "TRACK", "connect", "trace", "track", "Trace", "tRaCk"]
)
def test_connect_trace_and_track_are_refused_at_construction_in_any_case(method: str) -> None:
    message = (
        f"allow_methods: {method!r} is forbidden: browsers never send it and it enables "
        "cross-site tracing. Remove it."
    )
    refused = configuration_error(
        lambda: CORSPolicy(allow_origins=[ORIGIN], allow_methods=["GET", method]),
        "allow_methods",
        method,
    )
    assert str(refused) == message


def test_methods_next_to_the_forbidden_ones_are_accepted() -> None:
    methods = ["OPTIONS", "PATCH", "TRACES", "TRACKING", "CONNECTED"]
    assert CORSPolicy(allow_origins=[ORIGIN], allow_methods=methods).allow_methods == tuple(methods)


# --- The wildcard method and its length limit ------------------------------------------


@pytest.mark.parametrize(
    ("method", "allowed"),
    [
        ("M" * 64, True),
        ("M" * 65, False),
        ("PURGE", True),
        ("purge", True),
        ("X-Custom", True),
        ("!#$%&'*+-.^_`|~0", True),
        ("PUR GE", False),
        ("PURGE\n", False),
        ("GET,PUT", False),
        ("P\xdcRGE", False),
        ("PURGE\x00", False),
        ("", False),
    ],
)
def test_the_wildcard_method_allows_any_method_token_of_at_most_64_characters(
    method: str, allowed: bool
) -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], allow_methods=["*"])
    answer = policy.preflight(ORIGIN, method)
    if allowed:
        assert answer.refusal is None
        assert header(answer, "Access-Control-Allow-Methods") == method  # echoed
    else:
        assert answer == ((), PREFLIGHT_VARY, f"method {method!a} is not allowed")


def test_the_wildcard_method_without_credentials_answers_the_star() -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], allow_methods=["*"], allow_credentials=False)
    assert header(policy.preflight(ORIGIN, "M" * 64), "Access-Control-Allow-Methods") == "*"
    assert policy.preflight(ORIGIN, "M" * 65).refusal == f"method '{'M' * 65}' is not allowed"


def test_a_listed_method_longer_than_64_characters_is_allowed() -> None:
    long_method = "M" * 65
    policy = CORSPolicy(allow_origins=[ORIGIN], allow_methods=[long_method])
    assert header(policy.preflight(ORIGIN, long_method), "Access-Control-Allow-Methods") == (
        long_method
    )


@pytest.mark.parametrize("method", ["GET POST", "GET,PUT", "", "PUT\n", "P\xdcT", "(PUT)"])
def test_a_configured_method_must_be_a_token(method: str) -> None:
    message = f"allow_methods: {method!r} is not a method name; write 'PUT'."
    refused = configuration_error(
        lambda: CORSPolicy(allow_origins=[ORIGIN], allow_methods=[method]), "allow_methods", method
    )
    assert str(refused) == message


# --- Safelisted request headers and Authorization --------------------------------------


@pytest.mark.parametrize(
    ("requested", "allowed"),
    [
        ("accept", True),
        ("accept-language", True),
        ("content-language", True),
        ("content-type", True),
        ("Content-Type", True),
        ("accept-encoding", False),
        ("content-length", False),
        ("content-disposition", False),
        ("authorization", False),
        ("x-token", False),
    ],
)
def test_safelisted_request_headers_are_always_allowed(requested: str, allowed: bool) -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], allow_headers=[])
    answer = policy.preflight(ORIGIN, "GET", requested)
    if allowed:
        assert answer.refusal is None
        assert header(answer, "Access-Control-Allow-Headers") == requested.lower()
    else:
        assert answer == ((), PREFLIGHT_VARY, f"header {requested!r} is not allowed")


@pytest.mark.parametrize(
    ("credentials", "allow_headers", "requested", "answered", "refusal"),
    [
        (False, ["*"], "x-token", "*", None),
        (False, ["*"], "proxy-authorization", "*", None),
        (False, ["*"], "authorization", None, "header 'authorization' is not allowed"),
        (False, ["*"], "X-Token, Authorization", None, "header 'authorization' is not allowed"),
        (False, ["*", "Authorization"], "authorization", "*, authorization", None),
        (False, ["*", "Authorization"], "x-token", "*, authorization", None),
        (True, ["*"], "x-token", "x-token", None),
        (True, ["*"], "authorization", None, "header 'authorization' is not allowed"),
        (True, ["*", "Authorization"], "authorization,x-token", "authorization, x-token", None),
    ],
)
def test_the_wildcard_header_never_covers_authorization(
    credentials: bool,
    allow_headers: list,
    requested: str,
    answered: Optional[str],
    refusal: Optional[str],
) -> None:
    policy = CORSPolicy(
        allow_origins=[ORIGIN], allow_credentials=credentials, allow_headers=allow_headers
    )
    answer = policy.preflight(ORIGIN, "GET", requested)
    assert answer.refusal == refusal
    assert header(answer, "Access-Control-Allow-Headers") == answered


# --- Header names: the token grammar ---------------------------------------------------

VALID_NAMES = ["X-Token", "x_token", "A", "0", "!#$%&'*+-.^_`|~"]
INVALID_NAMES = [
    "",
    " ",
    "X Token",
    " X-Token",
    "X-Token ",
    "X-Token\n",
    "X\tToken",
    "X:Token",
    "X,Token",
    "X;Token",
    "X/Token",
    "X=Token",
    "X?Token",
    "X@Token",
    "X[Token]",
    "X{Token}",
    "X\\Token",
    'X"Token"',
    "X(Token)",
    "X\x7f",
    "X-T\xf6ken",
]


@pytest.mark.parametrize("name", VALID_NAMES)
def test_a_valid_header_name_is_accepted_and_allowed(name: str) -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], allow_headers=[name], expose_headers=[name])
    assert policy.allow_headers == (name.lower(),)
    answer = policy.preflight(ORIGIN, "GET", name)
    assert answer.refusal is None
    assert header(answer, "Access-Control-Allow-Headers") == name.lower()
    assert header(policy.actual(ORIGIN), "Access-Control-Expose-Headers") == name.lower()


@pytest.mark.parametrize("parameter", ["allow_headers", "expose_headers"])
@pytest.mark.parametrize("name", INVALID_NAMES)
def test_an_invalid_header_name_is_refused_at_construction(parameter: str, name: str) -> None:
    message = (
        f"{parameter}: {name!r} is not a header name: use letters, digits and "
        "!#$%&'*+-.^_`|~ only, one name per item, as in 'X-Request-Id'."
    )
    refused = configuration_error(
        lambda: CORSPolicy(allow_origins=[ORIGIN], **{parameter: [name]}), parameter, name
    )
    assert str(refused) == message


# --- The max_age warning threshold -----------------------------------------------------


@pytest.mark.parametrize("max_age", [0, 600, 7200])
def test_max_age_up_to_7200_does_not_warn(max_age: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        policy = CORSPolicy(allow_origins=[ORIGIN], max_age=max_age)
    assert header(policy.preflight(ORIGIN, "GET"), "Access-Control-Max-Age") == str(max_age)


@pytest.mark.parametrize("max_age", [7201, 86400])
def test_max_age_above_7200_warns_and_is_still_sent(max_age: int) -> None:
    message = (
        f"max_age: {max_age} is more than browsers honour (Chromium caps it at 7200 seconds, "
        "Firefox at 86400); use max_age=7200."
    )
    with pytest.warns(CORSConfigurationWarning, match=re.escape(message)):
        policy = CORSPolicy(allow_origins=[ORIGIN], max_age=max_age)
    assert header(policy.preflight(ORIGIN, "GET"), "Access-Control-Max-Age") == str(max_age)


# --- Vary ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "merged"),
    [
        (None, PREFLIGHT_VARY),
        ("Accept-Encoding", "Accept-Encoding, " + PREFLIGHT_VARY),
        (
            "Accept-Encoding, origin",
            "Accept-Encoding, origin, Access-Control-Request-Method, "
            "Access-Control-Request-Headers, Access-Control-Request-Private-Network",
        ),
        (
            " Cookie ,access-control-request-headers ",
            "Cookie ,access-control-request-headers, "
            "Origin, Access-Control-Request-Method, Access-Control-Request-Private-Network",
        ),
        ("*", "*"),
    ],
)
def test_vary_gains_each_missing_name_once_and_keeps_the_apps(
    existing: Optional[str], merged: str
) -> None:
    assert merge_vary(existing, PREFLIGHT_VARY) == merged


def test_the_wildcard_answers_every_origin_alike_so_it_adds_no_vary_origin() -> None:
    api = build_api()
    for headers in ({"Origin": ORIGIN}, {"Origin": "https://other.example"}, {}):
        response = call(api, "GET", "/demo", headers)
        assert "vary" not in response.headers_dict
        assert cors_headers(response) == {"access-control-allow-origin": "*"}
    answer = preflight(api, "/demo/1", "PUT")
    assert answer.headers_dict["vary"] == PREFLIGHT_VARY.replace("Origin, ", "", 1)
    assert cors_headers(call(api, "GET", "/vary", {"Origin": ORIGIN})) == {
        "access-control-allow-origin": "*"
    }
    assert call(api, "GET", "/vary", {"Origin": ORIGIN}).headers_dict["vary"] == "Accept-Encoding"


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example", True),
        ("https://a.b.example:8443", True),
        ("https://app.example.", False),  # a trailing dot
        ("https://app..example", False),  # an empty label
        ("https://app.example:443", False),  # a default port, which browsers elide
        ("https://app.example:65536", False),
        ("HTTPS://app.example", False),  # upper case
        ("https://app.example/", False),
        ("null", False),
    ],
)
def test_only_origins_a_browser_sends_reach_the_regex(origin: str, allowed: bool) -> None:
    policy = CORSPolicy(allow_origin_regex="https://[a-z.]+(:[0-9]+)?", allow_credentials=False)
    assert policy.allows_origin(origin) is allowed


def test_the_answers_header_names_are_spelled_as_the_standard_does() -> None:
    """A framework that sends header names as given (the policy serves any framework)
    sends these."""
    assert CORSPolicy().actual(ORIGIN).headers == (("Access-Control-Allow-Origin", "*"),)
    granted = CORSPolicy().preflight(ORIGIN, "GET").headers
    assert granted[0] == ("Access-Control-Allow-Origin", "*")
    listed = CORSPolicy(allow_origins=[ORIGIN], allow_credentials=False)
    assert listed.actual(ORIGIN).headers == (("Access-Control-Allow-Origin", ORIGIN),)
