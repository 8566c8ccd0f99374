"""Every configuration error and warning, word for word.

A developer reads these messages to fix a configuration: each names the parameter, shows
the value and says what to write instead. They are part of the interface, so a change to
any of them fails here.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Callable, Dict, Tuple

import hug
import pytest

from hug_cors import (
    CORSConfigurationError,
    CORSConfigurationTypeError,
    CORSConfigurationWarning,
    CORSMiddleware,
    CORSPolicy,
    route_policy,
)

FORM = "An origin is scheme://host[:port] with nothing after it; use "
PATTERNS = (
    "Patterns may only take the forms 'https://*.example.com' (any subdomain) and "
    "'http://localhost:*' (any port)."
)
ANCHOR = (
    "and with credentials every website could act as your users. Anchor it to your domain, "
    r"as in r'https://[a-z0-9-]+\.example\.com', or pass allow_credentials=False."
)


def refusal(build: Callable[[], object]) -> Tuple[type, str]:
    """The built-in type (TypeError, ValueError, AttributeError) and the message of the
    error that ``build()`` raises. A configuration error's message is its problem and its
    fix, and its type says whether the value was of the wrong type."""
    with pytest.raises((CORSConfigurationError, AttributeError)) as raised:
        build()
    error = raised.value
    if isinstance(error, AttributeError):
        return AttributeError, str(error)
    assert str(error) == f"{error.problem} {error.fix}"
    assert error.problem
    assert error.fix
    assert isinstance(error, TypeError) == isinstance(error, CORSConfigurationTypeError)
    return (TypeError if isinstance(error, TypeError) else ValueError), str(error)


ORIGIN_ERRORS = [
    (" https://a.example", "has white space around it", "'https://a.example'"),
    ("", "has no scheme", "'https://app.example.com'"),
    ("a.example", "has no scheme", "'https://a.example'"),
    ("https:/a.example/x", "has no scheme", "'https://a.example'"),
    ("HTTPS:/App.example/x", "has no scheme", "'https://app.example'"),
    ("https://a.example/", "has a trailing slash", "'https://a.example'"),
    ("https://a.example/x/y", "has a path, query or fragment ('/x/y')", "'https://a.example'"),
    ("https://a.example?q#f", "has a path, query or fragment ('?q#f')", "'https://a.example'"),
    ("https://a.example://b", "has a path, query or fragment ('//b')", "'https://a.example'"),
    ("https://*.example.com:8443/", "has a trailing slash", "'https://*.example.com:8443'"),
    ("https://a.example:99999/", "has a trailing slash", "'https://a.example'"),
    ("https://user@a.example", "has user information before the host", "'https://a.example'"),
    ("ht!tp://a.example", "has a bad scheme 'ht!tp'", "'https://a.example'"),
    (
        "https://a.example:99999",
        "has a bad port '99999' (a port is 1 to 65535, or * in a pattern)",
        "'https://a.example'",
    ),
    (
        "https://*.a.example:0",
        "has a bad port '0' (a port is 1 to 65535, or * in a pattern)",
        "'https://*.a.example'",
    ),
    (
        "http://[::1]]:8000",
        "has a bad port ']:8000' (a port is 1 to 65535, or * in a pattern)",
        "'http://[::1]'",
    ),
    (
        "https://bücher.example",
        "has a host browsers send in ASCII",
        "'https://xn--bcher-kva.example'",
    ),
]


@pytest.mark.parametrize(("origin", "problem", "fix"), ORIGIN_ERRORS)
def test_an_origin_that_is_not_one_is_refused_with_the_fix(
    origin: str, problem: str, fix: str
) -> None:
    expected = f"allow_origins: {origin!r} is not an origin: it {problem}. {FORM}{fix}."
    assert refusal(lambda: CORSPolicy(allow_origins=[origin])) == (ValueError, expected)


# Configuration -> (exception, message).
ERRORS: Dict[str, tuple] = {
    "no host": (
        {"allow_origins": ["https://exa mple.example"]},
        ValueError,
        f"allow_origins: 'https://exa mple.example' has no valid host. {PATTERNS}",
    ),
    "no host, upper case": (
        {"allow_origins": ["HTTPS://EXA MPLE.example"]},
        ValueError,
        f"allow_origins: 'HTTPS://EXA MPLE.example' has no valid host. {PATTERNS}",
    ),
    "a top-level domain": (
        {"allow_origins": ["https://*.com"]},
        ValueError,
        "allow_origins: 'https://*.com' would allow every site under the top-level domain "
        "'com'. Name the parent domain, as in 'https://*.example.com'.",
    ),
    "'*' and an origin": (
        {"allow_origins": ["*", "https://a.example"]},
        ValueError,
        "allow_origins: ['*', 'https://a.example'] mixes '*' with other origins. '*' alone "
        "allows every origin; list origins without it.",
    ),
    "'*' and a regex": (
        {"allow_origins": ["*"], "allow_origin_regex": r"https://a\.example"},
        ValueError,
        "allow_origins: ['*'] with allow_origin_regex mixes '*' with other origins. '*' "
        "alone allows every origin; list origins without it.",
    ),
    "a string for a list": (
        {"allow_origins": "https://a.example"},
        TypeError,
        "allow_origins must be a list of strings, not str 'https://a.example': "
        "write allow_origins=['https://a.example'].",
    ),
    "a number for a list": (
        {"allow_methods": 42},
        TypeError,
        "allow_methods must be a list of strings, not int 42: write allow_methods=[42].",
    ),
    "bytes in a list": (
        {"allow_origins": [b"https://a.example"]},
        TypeError,
        "allow_origins: b'https://a.example' is a bytes; every item must be a string.",
    ),
    "None in a list": (
        {"expose_headers": [None]},
        TypeError,
        "expose_headers: None is a NoneType; every item must be a string.",
    ),
    "credentials with '*'": (
        {"allow_credentials": True},
        ValueError,
        "allow_credentials=True with allow_origins=['*'] would let every website read "
        "responses made with your users' cookies, and browsers refuse it anyway. List the "
        "origins that need credentials, allow_origins=['https://app.example.com'], or pass "
        "allow_credentials=False.",
    ),
    "credentials not a boolean": (
        {"allow_origins": ["https://a.example"], "allow_credentials": "yes"},
        TypeError,
        "allow_credentials must be True, False or a list of origins, not 'yes': "
        "write allow_credentials=True or allow_credentials=['https://app.example.com'].",
    ),
    "private network not a boolean": (
        {"allow_private_network": 1},
        TypeError,
        "allow_private_network must be True or False, not 1: "
        "write allow_private_network=True or allow_private_network=False.",
    ),
    "max_age a string": (
        {"max_age": "600"},
        TypeError,
        "max_age must be a whole number of seconds or None, not '600': write max_age=600.",
    ),
    "max_age a boolean": (
        {"max_age": True},
        TypeError,
        "max_age must be a whole number of seconds or None, not True: write max_age=600.",
    ),
    "max_age negative": (
        {"max_age": -1},
        ValueError,
        "max_age: -1 is negative; use 0 (no caching) or more seconds.",
    ),
    "regex of another type": (
        {"allow_origin_regex": 5},
        TypeError,
        "allow_origin_regex must be a string or re.Pattern, not 5: "
        r"write allow_origin_regex=r'https://[a-z0-9-]+\.example\.com'.",
    ),
    "regex matching any https origin": (
        {"allow_origin_regex": "https://.*"},
        ValueError,
        "allow_origin_regex: 'https://.*' matches any origin "
        f"('https://hug-cors-canary.invalid' too), {ANCHOR}",
    ),
    "regex matching any http origin": (
        {"allow_origin_regex": r"http://.*\.invalid"},
        ValueError,
        "allow_origin_regex: 'http://.*\\\\.invalid' matches any origin "
        f"('http://hug-cors-canary.invalid' too), {ANCHOR}",
    ),
    "a method that is no token": (
        {"allow_methods": ["GET POST"]},
        ValueError,
        "allow_methods: 'GET POST' is not a method name; write 'PUT'.",
    ),
    "a forbidden method": (
        {"allow_methods": ["trace"]},
        ValueError,
        "allow_methods: 'trace' is forbidden: browsers never send it and it enables "
        "cross-site tracing. Remove it.",
    ),
    "a header that is no token": (
        {"allow_headers": ["X Token"]},
        ValueError,
        "allow_headers: 'X Token' is not a header name: use letters, digits and "
        "!#$%&'*+-.^_`|~ only, one name per item, as in 'X-Request-Id'.",
    ),
    "exposing Set-Cookie": (
        {"expose_headers": ["Set-Cookie2", "set-cookie"]},
        ValueError,
        "expose_headers: 'set-cookie' is never readable by scripts; browsers filter it out "
        "of every response. Remove it.",
    ),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_a_bad_configuration_is_refused_with_the_fix(case: str) -> None:
    config, error, message = ERRORS[case]
    assert refusal(lambda: CORSPolicy(**config)) == (error, message)


def test_a_regex_that_does_not_compile_shows_the_compilers_reason() -> None:
    with pytest.raises(re.error) as compiling:
        re.compile("https://(a")
    assert refusal(lambda: CORSPolicy(allow_origin_regex="https://(a")) == (
        ValueError,
        f"allow_origin_regex: 'https://(a' does not compile ({compiling.value}). It is matched "
        r"with fullmatch against the whole origin, as in r'https://[a-z0-9-]+\.example\.com'.",
    )


WARNINGS = {
    "null": (
        {"allow_origins": ["null"]},
        "allow_origins: 'null' is the origin of sandboxed iframes, local files and some "
        "redirects, which any website can produce; allow it only if you must.",
    ),
    "plain http with credentials": (
        {"allow_origins": ["http://app.example"]},
        "allow_origins: 'http://app.example' is plain http with credentials: anyone on the "
        "network can inject a script into it and act as your users. Use https.",
    ),
    "max_age past the browsers' cap": (
        {"max_age": 7201},
        "max_age: 7201 is more than browsers honour (Chromium caps it at 7200 seconds, "
        "Firefox at 86400); use max_age=7200.",
    ),
}


@pytest.mark.parametrize("case", list(WARNINGS))
def test_a_risky_configuration_warns_once_with_the_fix(case: str) -> None:
    config, message = WARNINGS[case]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CORSPolicy(**config)
    assert [(w.category, str(w.message)) for w in caught] == [(CORSConfigurationWarning, message)]


def api() -> Any:
    return hug.API(f"messages_{id(object())}")


MIDDLEWARE_ERRORS: Dict[str, tuple] = {
    "debug not a boolean": (
        lambda: CORSMiddleware(api(), debug="yes"),
        TypeError,
        "debug must be True or False, not 'yes': write debug=True or debug=False.",
    ),
    "handle_uncaught_errors without a hug API": (
        lambda: CORSMiddleware(None, handle_uncaught_errors=True),
        ValueError,
        "handle_uncaught_errors needs the hug.API: the error handler goes on the Falcon app "
        "that hug builds. A router does not say which app serves it, and Falcon 3 and later "
        "answer an uncaught exception with a 500 that carries the CORS headers by "
        "themselves; pass the hug.API as api, or leave handle_uncaught_errors out.",
    ),
    "an unknown parameter to configure()": (
        lambda: CORSMiddleware(api()).configure(allow_origin=["https://a.example"]),
        TypeError,
        "configure() got an unknown parameter 'allow_origin'; it takes allow_origins, "
        "allow_credentials, max_age, allow_methods, allow_headers, expose_headers, "
        "allow_origin_regex, allow_private_network, allow_origin_func, allow_origin_func_ttl, "
        "route_policies, debug, reject_cross_origin_writes, handle_uncaught_errors.",
    ),
    "route_policy with a policy and keywords": (
        lambda: route_policy(CORSPolicy(), max_age=5),
        TypeError,
        "route_policy takes a CORSPolicy (or None) or keyword arguments, not both: "
        "write route_policy(CORSPolicy(...)) or route_policy(allow_origins=[...]).",
    ),
    "route_policy given no policy": (
        lambda: route_policy("x"),
        TypeError,
        "route_policy must be a CORSPolicy or None (no CORS), not 'x': "
        "write CORSPolicy(allow_origins=[...]).",
    ),
    "route_policies not a dict": (
        lambda: CORSMiddleware(api(), route_policies=[("/a", None)]),
        TypeError,
        "route_policies must be a dict of path pattern to CORSPolicy or None, not "
        "[('/a', None)]: write route_policies={'/public/*': CORSPolicy(...)}.",
    ),
    "a pattern without its slash": (
        lambda: CORSMiddleware(api(), route_policies={"admin/*": None}),
        ValueError,
        "route_policies: 'admin/*' is not a path pattern; patterns start with '/' and may "
        "use '*', as in '/admin/*'.",
    ),
    "a pattern that is not a string": (
        lambda: CORSMiddleware(api(), route_policies={3: None}),
        ValueError,
        "route_policies: 3 is not a path pattern; patterns start with '/' and may use '*', "
        "as in '/admin/*'.",
    ),
    "a pattern ending in a slash": (
        lambda: CORSMiddleware(api(), route_policies={"/admin/": None}),
        ValueError,
        "route_policies: '/admin/' ends with '/', which no route does (hug strips it from "
        "every path); write '/admin' for the route, or '/admin/*' for the paths below it.",
    ),
    "a pattern ending in a slash after a capital": (
        lambda: CORSMiddleware(api(), route_policies={"/reports/XLSX/": None}),
        ValueError,
        "route_policies: '/reports/XLSX/' ends with '/', which no route does (hug strips it "
        "from every path); write '/reports/XLSX' for the route, or '/reports/XLSX/*' for the "
        "paths below it.",
    ),
    "a pattern's policy of another type": (
        lambda: CORSMiddleware(api(), route_policies={"/admin/*": "none"}),
        TypeError,
        "route_policies['/admin/*'] must be a CORSPolicy or None (no CORS), not 'none': "
        "write CORSPolicy(allow_origins=[...]).",
    ),
}


@pytest.mark.parametrize("case", list(MIDDLEWARE_ERRORS))
def test_a_bad_middleware_configuration_is_refused_with_the_fix(case: str) -> None:
    build, error, message = MIDDLEWARE_ERRORS[case]
    assert refusal(build) == (error, message)


def test_an_api_of_another_kind_is_refused_with_the_fix() -> None:
    thing = object()
    assert refusal(lambda: CORSMiddleware(thing)) == (
        TypeError,
        f"api must be a hug.API, a falcon.App, a Falcon router or None, not {thing!r}: write "
        "CORSMiddleware(hug.API(__name__), ...); for plain Falcon, "
        "app.add_middleware(CORSMiddleware(app, ...)), or on Falcon 2.0 "
        "CORSMiddleware(router, ...) with falcon.API(router=router, ...).",
    )


IMMUTABLE: Dict[str, tuple] = {
    "setting a policy's attribute": (
        lambda: setattr(CORSPolicy(), "max_age", 5),
        "a CORSPolicy is immutable; build a new one to change max_age",
    ),
    "deleting a policy's attribute": (
        lambda: delattr(CORSPolicy(), "max_age"),
        "a CORSPolicy is immutable; max_age cannot be deleted",
    ),
    "setting a middleware's attribute": (
        lambda: setattr(CORSMiddleware(api()), "max_age", 5),
        "a CORSMiddleware is immutable; use configure() to change max_age",
    ),
    "deleting a middleware's attribute": (
        lambda: delattr(CORSMiddleware(api()), "max_age"),
        "a CORSMiddleware is immutable; max_age cannot be deleted",
    ),
}


@pytest.mark.parametrize("case", list(IMMUTABLE))
def test_changing_an_attribute_says_how_to_change_the_configuration(case: str) -> None:
    change, message = IMMUTABLE[case]
    assert refusal(change) == (AttributeError, message)
