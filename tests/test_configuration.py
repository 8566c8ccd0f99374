"""The public API: configuration is checked, normalised and frozen at construction.

A configuration that cannot be right raises :class:`CORSConfigurationError` (a
``ValueError``; for a value of the wrong type, also a ``TypeError``) whose fields and
message name the parameter, show the bad value and say how to fix it; one that is
legal but risky warns with :class:`CORSConfigurationWarning`; a constructed
middleware or policy never changes.
"""

from __future__ import annotations

import inspect
import itertools
import pickle
import re
import types
import warnings
from typing import Any, Dict, List, Type

import falcon
import hug
import pytest

from hug_cors import (
    CORSConfigurationError,
    CORSConfigurationTypeError,
    CORSConfigurationWarning,
    CORSMiddleware,
    CORSPolicy,
)
from tests.helpers import ORIGIN, build_api, call, configuration_error, cors_headers, preflight

_names = itertools.count()


def new_api() -> hug.API:
    return hug.API(f"hug_cors_configuration_{next(_names)}")


def allowed_origin(api: hug.API, origin: str) -> Any:
    """The Access-Control-Allow-Origin a GET from ``origin`` gets, or None."""
    return call(api, "GET", "/demo", {"Origin": origin}).headers_dict.get(
        "access-control-allow-origin"
    )


def build_quietly(**config: Any) -> CORSMiddleware:
    """``CORSMiddleware(api, **config)``, failing if it emits any warning at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return CORSMiddleware(new_api(), **config)


# --- Rejected configurations -------------------------------------------------------------
#
# Each case: the configuration, the exception type, and the fragments its message must
# contain: the parameter's name, the bad value as written, and the fix.

REJECTED = [
    pytest.param(
        {"allow_origins": ["https://app.example.com/"]},
        ValueError,
        ["allow_origins", "'https://app.example.com/'", "'https://app.example.com'"],
        id="origin-with-trailing-slash",
    ),
    pytest.param(
        {"allow_origins": ["https://app.example.com/app"]},
        ValueError,
        ["allow_origins", "'https://app.example.com/app'", "'https://app.example.com'"],
        id="origin-with-path",
    ),
    pytest.param(
        {"allow_origins": ["https://app.example.com?lang=en"]},
        ValueError,
        ["allow_origins", "'https://app.example.com?lang=en'", "'https://app.example.com'"],
        id="origin-with-query",
    ),
    pytest.param(
        {"allow_origins": ["https://app.example.com#top"]},
        ValueError,
        ["allow_origins", "'https://app.example.com#top'", "'https://app.example.com'"],
        id="origin-with-fragment",
    ),
    pytest.param(
        {"allow_origins": ["https://user:secret@app.example.com"]},
        ValueError,
        [
            "allow_origins",
            "'https://user:secret@app.example.com'",
            "'https://app.example.com'",
        ],
        id="origin-with-userinfo",
    ),
    pytest.param(
        {"allow_origins": ["app.example.com"]},
        ValueError,
        ["allow_origins", "'app.example.com'", "'https://app.example.com'"],
        id="origin-missing-scheme",
    ),
    pytest.param(
        {"allow_origins": ["https:/app.example.com"]},
        ValueError,
        ["allow_origins", "'https:/app.example.com'", "'https://app.example.com'"],
        id="origin-with-one-slash-after-scheme",
    ),
    pytest.param(
        {"allow_origins": ["https//app.example.com"]},
        ValueError,
        ["allow_origins", "'https//app.example.com'", "'https://app.example.com'"],
        id="origin-missing-colon-after-scheme",
    ),
    pytest.param(
        {"allow_origins": [" https://app.example.com"]},
        ValueError,
        ["allow_origins", "' https://app.example.com'", "'https://app.example.com'"],
        id="origin-with-leading-space",  # "a.com, b.com".split(",")
    ),
    pytest.param(
        {"allow_origins": ["https://app.example.com "]},
        ValueError,
        ["allow_origins", "'https://app.example.com '", "'https://app.example.com'"],
        id="origin-with-trailing-space",
    ),
    pytest.param(
        {"allow_origins": ["https://app.example.com\n"]},
        ValueError,
        ["allow_origins", "'https://app.example.com\\n'", "'https://app.example.com'"],
        id="origin-with-trailing-newline",  # a line read from a file
    ),
    pytest.param(
        {"allow_origins": ["https://app.example.com:99999"]},
        ValueError,
        ["allow_origins", "'https://app.example.com:99999'", "'https://app.example.com'"],
        id="origin-with-port-out-of-range",
    ),
    pytest.param(
        {"allow_origins": ["https://app.example.com:abc"]},
        ValueError,
        ["allow_origins", "'https://app.example.com:abc'", "'https://app.example.com'"],
        id="origin-with-non-numeric-port",
    ),
    pytest.param(
        {"allow_origins": ["*", ORIGIN]},
        ValueError,
        ["allow_origins", repr(["*", ORIGIN]), "'*' alone"],
        id="star-mixed-with-origins",
    ),
    pytest.param(
        {"allow_origins": ["https://app*.example.com"]},
        ValueError,
        ["allow_origins", "'https://app*.example.com'", "'https://*.example.com'"],
        id="glob-inside-a-label",
    ),
    pytest.param(
        {"allow_origins": ["https://*.*.example.com"]},
        ValueError,
        ["allow_origins", "'https://*.*.example.com'", "'https://*.example.com'"],
        id="glob-on-two-labels",
    ),
    pytest.param(
        {"allow_origins": ["*://example.com"]},
        ValueError,
        ["allow_origins", "'*://example.com'", "'https://example.com'"],
        id="glob-scheme",
    ),
    pytest.param(
        {"allow_origins": ["https://*.com"]},
        ValueError,
        ["allow_origins", "'https://*.com'", "'https://*.example.com'"],
        id="glob-on-a-bare-top-level-domain",
    ),
    pytest.param(
        {"allow_origins": ["https://bücher.example"]},
        ValueError,
        ["allow_origins", "'https://bücher.example'", "'https://xn--bcher-kva.example'"],
        id="non-ascii-host-suggests-punycode",
    ),
    pytest.param(
        {"allow_origins": ORIGIN},
        TypeError,
        ["allow_origins", repr(ORIGIN), f"allow_origins=[{ORIGIN!r}]"],
        id="allow_origins-plain-string",
    ),
    pytest.param(
        {"allow_methods": "PUT"},
        TypeError,
        ["allow_methods", "'PUT'", "allow_methods=['PUT']"],
        id="allow_methods-plain-string",
    ),
    pytest.param(
        {"allow_headers": "X-Token"},
        TypeError,
        ["allow_headers", "'X-Token'", "allow_headers=['X-Token']"],
        id="allow_headers-plain-string",
    ),
    pytest.param(
        {"expose_headers": "X-Total-Count"},
        TypeError,
        ["expose_headers", "'X-Total-Count'", "expose_headers=['X-Total-Count']"],
        id="expose_headers-plain-string",
    ),
    pytest.param(
        {"allow_origins": [b"https://app.example.com"]},
        TypeError,
        ["allow_origins", "b'https://app.example.com'", "string"],
        id="allow_origins-bytes-item",
    ),
    pytest.param(
        {"allow_origins": [ORIGIN, None]},
        TypeError,
        ["allow_origins", "None", "string"],
        id="allow_origins-none-item",
    ),
    pytest.param(
        {"allow_methods": ["PUT", 7]},
        TypeError,
        ["allow_methods", "7", "string"],
        id="allow_methods-int-item",
    ),
    pytest.param(
        {"allow_headers": [("X-Token",)]},
        TypeError,
        ["allow_headers", "('X-Token',)", "string"],
        id="allow_headers-tuple-item",
    ),
    pytest.param(
        {"allow_origins": ["*"], "allow_credentials": True},
        ValueError,
        ["allow_credentials", "True", "allow_origins=[", "allow_credentials=False"],
        id="explicit-credentials-with-star",
    ),
    pytest.param(
        {"allow_origins": None, "allow_credentials": True},
        ValueError,
        ["allow_credentials", "True", "allow_origins=[", "allow_credentials=False"],
        id="explicit-credentials-with-default-star",
    ),
    pytest.param(
        {"allow_origins": [ORIGIN], "allow_credentials": "yes"},
        TypeError,
        ["allow_credentials", "'yes'", "allow_credentials=True or allow_credentials=["],
        id="allow_credentials-not-bool",
    ),
    pytest.param(
        {"allow_origins": [ORIGIN], "allow_credentials": 1},
        TypeError,
        ["allow_credentials", "1", "allow_credentials=True or allow_credentials=["],
        id="allow_credentials-int",
    ),
    pytest.param(
        {"allow_private_network": "true"},
        TypeError,
        ["allow_private_network", "'true'", "allow_private_network=False"],
        id="allow_private_network-not-bool",
    ),
    pytest.param(
        {"allow_methods": ["GET", "CONNECT"]},
        ValueError,
        ["allow_methods", "'CONNECT'", "Remove it"],
        id="forbidden-method-CONNECT",
    ),
    pytest.param(
        {"allow_methods": ["trace"]},
        ValueError,
        ["allow_methods", "'trace'", "Remove it"],
        id="forbidden-method-trace-lower-case",
    ),
    pytest.param(
        {"allow_methods": ["Track"]},
        ValueError,
        ["allow_methods", "'Track'", "Remove it"],
        id="forbidden-method-Track-mixed-case",
    ),
    pytest.param(
        {"allow_methods": ["GET PUT"]},
        ValueError,
        ["allow_methods", "'GET PUT'", "'PUT'"],
        id="method-with-space",
    ),
    pytest.param(
        {"allow_methods": [""]},
        ValueError,
        ["allow_methods", "''", "'PUT'"],
        id="empty-method",
    ),
    pytest.param(
        {"allow_headers": ["X Token"]},
        ValueError,
        ["allow_headers", "'X Token'", "one name per item"],
        id="allow_headers-name-with-space",
    ),
    pytest.param(
        {"allow_headers": ["X-Token:"]},
        ValueError,
        ["allow_headers", "'X-Token:'", "one name per item"],
        id="allow_headers-name-with-colon",
    ),
    pytest.param(
        {"allow_headers": ["a,b"]},
        ValueError,
        ["allow_headers", "'a,b'", "one name per item"],
        id="allow_headers-comma-list-in-one-item",
    ),
    pytest.param(
        {"expose_headers": ["X Token"]},
        ValueError,
        ["expose_headers", "'X Token'", "one name per item"],
        id="expose_headers-name-with-space",
    ),
    pytest.param(
        {"expose_headers": ["X-Token:"]},
        ValueError,
        ["expose_headers", "'X-Token:'", "one name per item"],
        id="expose_headers-name-with-colon",
    ),
    pytest.param(
        {"expose_headers": ["a,b"]},
        ValueError,
        ["expose_headers", "'a,b'", "one name per item"],
        id="expose_headers-comma-list-in-one-item",
    ),
    pytest.param(
        {"max_age": -1},
        ValueError,
        ["max_age", "-1", "use 0"],
        id="negative-max_age",
    ),
    pytest.param(
        {"max_age": "600"},
        TypeError,
        ["max_age", "'600'", "max_age=600"],
        id="max_age-string",
    ),
    pytest.param(
        {"max_age": 1.5},
        TypeError,
        ["max_age", "1.5", "max_age=600"],
        id="max_age-float",
    ),
    pytest.param(
        {"max_age": True},
        TypeError,
        ["max_age", "True", "max_age=600"],
        id="max_age-bool",
    ),
    pytest.param(
        {"allow_origin_regex": r"https://([a-z]+\.example\.com"},
        ValueError,
        ["allow_origin_regex", r"'https://([a-z]+\\.example\\.com'", "fullmatch"],
        id="allow_origin_regex-does-not-compile",
    ),
    pytest.param(
        {"allow_origin_regex": 42},
        TypeError,
        ["allow_origin_regex", "42", "allow_origin_regex=r'https://"],
        id="allow_origin_regex-int",
    ),
    pytest.param(
        {"allow_origin_regex": [r"https://a\.example\.com"]},
        TypeError,
        ["allow_origin_regex", r"['https://a\\.example\\.com']", "allow_origin_regex=r'https://"],
        id="allow_origin_regex-list",
    ),
]


@pytest.mark.parametrize(("config", "error", "fields"), REJECTED)
def test_rejected_configuration_names_parameter_value_and_fix(
    config: Dict[str, Any], error: Type[Exception], fields: List[str]
) -> None:
    """``fields``: the parameter, the refused value's repr, then what the fix says."""
    parameter, value, *fix = fields
    with pytest.raises(CORSConfigurationError) as raised:
        CORSMiddleware(new_api(), **config)
    refused = raised.value
    assert isinstance(refused, error)
    assert isinstance(refused, TypeError) == (type(refused) is CORSConfigurationTypeError)
    assert (refused.parameter, repr(refused.value)) == (parameter, value)
    assert value in refused.problem  # the message shows the value it refuses
    for fragment in fix:
        assert fragment in refused.fix, f"{fragment!r} missing from the fix {refused.fix!r}"
    assert str(refused) == f"{refused.problem} {refused.fix}"


@pytest.mark.parametrize("name", ["Set-Cookie", "set-cookie2", "SET-COOKIE"])
def test_set_cookie_is_refused_in_expose_headers(name: str) -> None:
    # Header names are case-insensitive: the error names the one refused in lower case.
    refused = configuration_error(
        lambda: CORSMiddleware(
            new_api(), allow_origins=[ORIGIN], expose_headers=["X-Total-Count", name]
        ),
        "expose_headers",
        name.lower(),
    )
    assert refused.fix == "Remove it."


@pytest.mark.parametrize(
    ("config", "error", "parameter", "value"),
    [
        (
            {"allow_origins": ["https://app.example.com/"]},
            CORSConfigurationError,
            "allow_origins",
            "https://app.example.com/",
        ),
        ({"allow_origins": ORIGIN}, CORSConfigurationTypeError, "allow_origins", ORIGIN),
        (
            {"allow_origins": ["*"], "allow_credentials": True},
            CORSConfigurationError,
            "allow_credentials",
            True,
        ),
        ({"allow_methods": ["TRACE"]}, CORSConfigurationError, "allow_methods", "TRACE"),
        ({"max_age": -5}, CORSConfigurationError, "max_age", -5),
    ],
)
def test_policy_checks_configuration_like_the_middleware(
    config: Dict[str, Any], error: Type[CORSConfigurationError], parameter: str, value: object
) -> None:
    configuration_error(lambda: CORSPolicy(**config), parameter, value, error)


def test_plain_string_is_not_taken_as_a_list_of_characters() -> None:
    # hug's class tests `origin in "https://a.com"`, a substring test that lets in
    # "https://a.co" and "http"; iterated as a list, it would be its characters. Refused.
    configuration_error(
        lambda: CORSMiddleware(new_api(), allow_origins="https://a.com"),
        "allow_origins",
        "https://a.com",
        CORSConfigurationTypeError,
    )
    configuration_error(
        lambda: CORSMiddleware(new_api(), allow_origins=b"https://a.com"),
        "allow_origins",
        b"https://a.com",
        CORSConfigurationTypeError,
    )


API_FIX = (
    "write CORSMiddleware(hug.API(__name__), ...); for plain Falcon, "
    "app.add_middleware(CORSMiddleware(app, ...)), or on Falcon 2.0 "
    "CORSMiddleware(router, ...) with falcon.API(router=router, ...)."
)


@pytest.mark.parametrize(
    "not_an_api",
    [
        pytest.param("my_api", id="a-name"),
        pytest.param(object(), id="object"),
        pytest.param(types.ModuleType("plain_module"), id="plain-module"),
        pytest.param(falcon.API(), id="falcon-API"),
        pytest.param(hug.API, id="hug.API-class-not-instantiated"),
        pytest.param(hug, id="the-hug-package"),
    ],
)
def test_api_that_is_not_a_hug_api_is_a_type_error(not_an_api: Any) -> None:
    refused = configuration_error(
        lambda: CORSMiddleware(not_an_api, allow_origins=[ORIGIN]),
        "api",
        not_an_api,
        CORSConfigurationTypeError,
    )
    assert refused.fix == API_FIX


def test_api_http_instead_of_api_is_a_type_error() -> None:
    api = new_api()
    refused = configuration_error(
        lambda: CORSMiddleware(api.http, allow_origins=[ORIGIN]),
        "api",
        api.http,
        CORSConfigurationTypeError,
    )
    assert refused.fix == API_FIX


# --- Normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "sent"),
    [
        ("HTTPS://APP.EXAMPLE.COM", "https://app.example.com"),
        ("https://App.Example.Com", "https://app.example.com"),
        ("https://app.example.com:443", "https://app.example.com"),
        ("HTTPS://App.Example.com:443", "https://app.example.com"),
        ("http://LocalHost:80", "http://localhost"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("https://APP.example.com:8443", "https://app.example.com:8443"),
        ("https://*.EXAMPLE.org", "https://a.example.org"),
        ("https://*.example.org:443", "https://a.example.org"),
        ("HTTP://LOCALHOST:*", "http://localhost:3000"),
    ],
)
def test_configured_origin_is_normalised_to_the_form_browsers_send(
    configured: str, sent: str
) -> None:
    api = build_api(allow_origins=[configured])
    assert allowed_origin(api, sent) == sent


def test_normalised_origin_is_not_also_matched_in_its_configured_form() -> None:
    # Browsers never send the upper-case or default-port form, so it is never echoed.
    api = build_api(allow_origins=["HTTPS://APP.EXAMPLE.COM:443"])
    assert allowed_origin(api, "HTTPS://APP.EXAMPLE.COM:443") is None
    assert allowed_origin(api, "https://app.example.com:443") is None


def test_port_with_leading_zero_is_normalised_or_refused() -> None:
    # Browsers send ":8443" for ":08443"; keeping ":08443" would match nothing, silently.
    refusal = ""
    try:
        api = build_api(allow_origins=["https://app.example.com:08443"])
    except ValueError as error:
        refusal = str(error)
    if refusal:
        assert "'https://app.example.com:8443'" in refusal
    else:
        assert allowed_origin(api, "https://app.example.com:8443") == (
            "https://app.example.com:8443"
        )


def test_non_default_port_is_kept() -> None:
    api = build_api(allow_origins=["https://app.example.com:8443"])
    assert allowed_origin(api, "https://app.example.com:8443") == "https://app.example.com:8443"
    assert allowed_origin(api, "https://app.example.com") is None


@pytest.mark.parametrize(
    ("configured", "requested"),
    [
        ("put", "PUT"),
        ("Delete", "DELETE"),
        ("patch", "PATCH"),
    ],
)
def test_configured_lower_case_standard_method_is_normalised(
    configured: str, requested: str
) -> None:
    api = build_api(allow_origins=[ORIGIN], allow_methods=[configured])
    answer = cors_headers(preflight(api, "/demo/1", method=requested))
    assert answer["access-control-allow-origin"] == ORIGIN
    assert requested in re.split(r"\s*,\s*", answer["access-control-allow-methods"])


@pytest.mark.parametrize("requested", ["X-Token", "x-token", "X-TOKEN", "x-ToKeN"])
@pytest.mark.parametrize("configured", ["X-Token", "x-token", "X-TOKEN"])
def test_configured_header_names_match_case_insensitively(configured: str, requested: str) -> None:
    api = build_api(allow_origins=[ORIGIN], allow_headers=[configured])
    answer = cors_headers(preflight(api, headers=requested))
    assert answer["access-control-allow-origin"] == ORIGIN
    allowed = re.split(r"\s*,\s*", answer["access-control-allow-headers"].lower())
    assert "x-token" in allowed


# --- Warnings ----------------------------------------------------------------------------


def test_listing_null_warns() -> None:
    with pytest.warns(CORSConfigurationWarning, match=r"'null'"):
        CORSMiddleware(new_api(), allow_origins=[ORIGIN, "null"])


@pytest.mark.parametrize(
    "config",
    [
        pytest.param({"allow_origins": ["http://app.example.com"]}, id="default-credentials"),
        pytest.param(
            {"allow_origins": ["http://app.example.com"], "allow_credentials": True},
            id="explicit-credentials",
        ),
        pytest.param({"allow_origins": ["http://app.example.com:8080"]}, id="non-default-port"),
        pytest.param({"allow_origins": ["http://*.example.com"]}, id="subdomain-pattern"),
        pytest.param({"allow_origins": ["http://10.0.0.5:3000"]}, id="private-ip"),
    ],
)
def test_plain_http_origin_with_credentials_warns(config: Dict[str, Any]) -> None:
    with pytest.warns(CORSConfigurationWarning, match=r"plain http"):
        CORSMiddleware(new_api(), **config)


@pytest.mark.parametrize(
    "config",
    [
        pytest.param({"allow_origins": ["http://localhost:3000"]}, id="localhost"),
        pytest.param({"allow_origins": ["http://127.0.0.1:8000"]}, id="ipv4-loopback"),
        pytest.param({"allow_origins": ["http://[::1]:8000"]}, id="ipv6-loopback"),
        pytest.param({"allow_origins": ["http://localhost:*"]}, id="localhost-any-port"),
        pytest.param(
            {"allow_origins": ["http://app.example.com"], "allow_credentials": False},
            id="http-without-credentials",
        ),
        pytest.param({"allow_origins": [ORIGIN]}, id="https"),
        pytest.param({"allow_origins": ["https://*.example.com"]}, id="https-pattern"),
        pytest.param({}, id="star"),
        pytest.param({"max_age": 7200}, id="max-age-at-browser-cap"),
    ],
)
def test_safe_configuration_does_not_warn(config: Dict[str, Any]) -> None:
    build_quietly(**config)


@pytest.mark.parametrize("max_age", [7201, 86400])
def test_max_age_above_what_browsers_honour_warns(max_age: int) -> None:
    with pytest.warns(CORSConfigurationWarning, match=str(max_age)):
        CORSMiddleware(new_api(), allow_origins=[ORIGIN], max_age=max_age)


def test_warning_points_at_the_line_that_built_the_middleware() -> None:
    # The warning is about the user's configuration, so it is attributed to the user's
    # code (the file and line that called CORSMiddleware), not to hug_cors internals.
    with pytest.warns(CORSConfigurationWarning) as record:
        CORSMiddleware(new_api(), allow_origins=["null"])
    assert [w.filename for w in record] == [__file__]


def test_warning_points_at_the_line_that_built_the_policy() -> None:
    with pytest.warns(CORSConfigurationWarning) as record:
        CORSPolicy(allow_origins=["null"])
    assert [w.filename for w in record] == [__file__]


def test_null_is_matched_only_when_listed() -> None:
    with pytest.warns(CORSConfigurationWarning, match=r"'null'"):
        listed = build_api(allow_origins=[ORIGIN, "null"])
    assert allowed_origin(listed, "null") == "null"
    assert allowed_origin(build_api(allow_origins=[ORIGIN]), "null") is None


# --- Immutability ------------------------------------------------------------------------


MIDDLEWARE_ATTRIBUTES = [
    "allow_origins",
    "allow_credentials",
    "max_age",
    "api",
    "policy",
    "_policy",
    "_api",
    "something_new",
]
POLICY_ATTRIBUTES = [
    "allow_credentials",
    "allow_all_origins",
    "allow_private_network",
    "max_age",
    "methods_from_route",
    "_origins",
    "_methods",
    "_headers",
    "something_new",
]


@pytest.mark.parametrize("name", MIDDLEWARE_ATTRIBUTES)
def test_setting_a_middleware_attribute_raises(name: str) -> None:
    middleware = CORSMiddleware(new_api(), allow_origins=[ORIGIN])
    with pytest.raises(AttributeError):
        setattr(middleware, name, ["*"])
    assert middleware.allow_origins == [ORIGIN]
    assert middleware.allow_credentials is True


@pytest.mark.parametrize("name", POLICY_ATTRIBUTES)
def test_setting_a_policy_attribute_raises(name: str) -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN])
    with pytest.raises(AttributeError):
        setattr(policy, name, True)
    assert policy.allow_credentials is True
    assert not policy.allows_origin("https://evil.example")


@pytest.mark.parametrize("name", ["_policy", "_api"])
def test_deleting_a_middleware_attribute_raises(name: str) -> None:
    middleware = CORSMiddleware(new_api(), allow_origins=[ORIGIN])
    with pytest.raises(AttributeError):
        delattr(middleware, name)
    assert middleware.allow_origins == [ORIGIN]


@pytest.mark.parametrize("name", ["allow_credentials", "max_age", "_origins"])
def test_deleting_a_policy_attribute_raises(name: str) -> None:
    policy = CORSPolicy(allow_origins=[ORIGIN], max_age=600)
    with pytest.raises(AttributeError):
        delattr(policy, name)
    assert policy.allow_credentials is True
    assert policy.max_age == 600


def test_mutating_the_reported_origins_changes_nothing() -> None:
    api = hug.API(f"hug_cors_configuration_{next(_names)}")
    middleware = CORSMiddleware(api, allow_origins=[ORIGIN])
    api.http.add_middleware(middleware)

    @hug.get("/demo", api=api)
    def demo() -> str:
        return "ok"

    reported = middleware.allow_origins
    reported.append("https://evil.example")
    assert middleware.allow_origins == [ORIGIN]
    assert allowed_origin(api, "https://evil.example") is None


def test_mutating_the_configured_list_after_construction_changes_nothing() -> None:
    origins = [ORIGIN]
    api = build_api(allow_origins=origins)
    origins.append("https://evil.example")
    assert allowed_origin(api, "https://evil.example") is None
    assert allowed_origin(api, ORIGIN) == ORIGIN


@pytest.mark.parametrize(
    ("config", "origins", "credentials", "max_age"),
    [
        pytest.param({}, ["*"], False, None, id="defaults-are-a-safe-star"),
        pytest.param(
            {"allow_origins": ["*"], "allow_credentials": False, "max_age": 0},
            ["*"],
            False,
            0,
            id="explicit-star",
        ),
        pytest.param(
            {"allow_origins": ["HTTPS://App.Example.com:443", "https://*.Example.org"]},
            ["https://*.example.org", "https://app.example.com"],
            True,
            None,
            id="normalised-origins-and-patterns",
        ),
        pytest.param(
            {
                "allow_origins": ["http://localhost:3000"],
                "allow_credentials": False,
                "max_age": 600,
            },
            ["http://localhost:3000"],
            False,
            600,
            id="no-credentials",
        ),
        pytest.param(
            {"allow_origin_regex": r"https://[a-z]+\.example\.org"},
            [],
            True,
            None,
            id="regex-only",
        ),
    ],
)
def test_hug_compatible_attributes_report_the_normalised_configuration(
    config: Dict[str, Any], origins: List[str], credentials: bool, max_age: Any
) -> None:
    middleware = build_quietly(**config)
    assert sorted(middleware.allow_origins) == origins
    assert middleware.allow_credentials is credentials
    assert middleware.max_age == max_age


def test_hug_positional_order_is_kept() -> None:
    middleware = CORSMiddleware(new_api(), [ORIGIN], False, 600)
    assert middleware.allow_origins == [ORIGIN]
    assert middleware.allow_credentials is False
    assert middleware.max_age == 600


def test_the_middleware_takes_hugs_positional_parameters_and_the_rest_by_keyword() -> None:
    """hug's class takes (api, allow_origins, allow_credentials, max_age) by position;
    ours takes those the same way, and every parameter it adds by keyword only."""
    from hug.middleware import CORSMiddleware as HugCORSMiddleware

    hugs = list(inspect.signature(HugCORSMiddleware).parameters)
    ours = inspect.signature(CORSMiddleware).parameters.values()
    positional = [p.name for p in ours if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == hugs == ["api", "allow_origins", "allow_credentials", "max_age"]
    assert all(p.kind is p.KEYWORD_ONLY for p in ours if p.name not in positional)
    api = new_api()
    assert CORSMiddleware(api, [ORIGIN], False, 5).max_age == 5
    with pytest.raises(TypeError):
        CORSMiddleware(api, [ORIGIN], False, 5, ["PUT"])  # type: ignore[misc]
    with pytest.raises(TypeError):
        CORSPolicy([ORIGIN], False, 5, ["PUT"])  # type: ignore[misc]


def test_the_policy_takes_the_middlewares_parameters_with_the_same_defaults() -> None:
    middleware = inspect.signature(CORSMiddleware).parameters
    policy = inspect.signature(CORSPolicy).parameters
    adapter_only = (
        "api",
        "route_policies",
        "debug",
        "reject_cross_origin_writes",
        "handle_uncaught_errors",
    )
    assert list(policy) == [p for p in middleware if p not in adapter_only]
    for name, parameter in policy.items():
        assert (parameter.default, parameter.kind) == (
            middleware[name].default,
            middleware[name].kind,
        ), name


def test_configure_and_config_take_every_parameter_of_the_constructor() -> None:
    names = [p for p in inspect.signature(CORSMiddleware).parameters if p != "api"]
    middleware = CORSMiddleware(new_api())
    assert list(middleware.config) == names
    assert middleware.config == {
        name: p.default
        for name, p in inspect.signature(CORSMiddleware).parameters.items()
        if name != "api"
    }
    with pytest.raises(CORSConfigurationTypeError) as unknown:
        middleware.configure(allow_origin=[ORIGIN])
    assert unknown.value.fix == f"it takes {', '.join(names)}."


def test_the_command_line_has_a_flag_for_every_parameter_of_the_policy() -> None:
    """Each flag left out gives the parameter's default; each given reaches the policy.
    (A function of the origin, and how long its decisions are kept, have no flag.)"""
    from hug_cors.__main__ import build_parser

    parser = build_parser()
    defaults = vars(parser.parse_args(["explain", "--origin", ORIGIN]))
    policy = {
        name: parameter
        for name, parameter in inspect.signature(CORSPolicy).parameters.items()
        if not name.startswith("allow_origin_func")
    }
    assert {name: defaults[name] for name in policy} == {
        name: list(p.default) if isinstance(p.default, tuple) else p.default
        for name, p in policy.items()
    }
    flags = ["--allow-origin", ORIGIN, "--no-allow-credentials", "--max-age", "5"]
    flags += ["--allow-method", "PUT", "--allow-header", "X-A", "--expose-header", "X-B"]
    flags += ["--allow-origin-regex", "https://x", "--allow-private-network"]
    given = vars(parser.parse_args(["explain", "--origin", ORIGIN, *flags]))
    assert {name: given[name] for name in policy} == {
        "allow_origins": [ORIGIN],
        "allow_credentials": False,
        "max_age": 5,
        "allow_methods": ["PUT"],
        "allow_headers": ["X-A"],
        "expose_headers": ["X-B"],
        "allow_origin_regex": "https://x",
        "allow_private_network": True,
    }


def test_a_configuration_error_is_data_and_survives_pickling() -> None:
    with pytest.raises(CORSConfigurationError) as raised:
        CORSPolicy(max_age=-5)
    error = raised.value
    assert isinstance(error, ValueError)
    assert not isinstance(error, TypeError)
    assert (error.parameter, error.value, error.problem, error.fix) == (
        "max_age",
        -5,
        "max_age: -5 is negative;",
        "use 0 (no caching) or more seconds.",
    )
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.parameter, copy.value, copy.fix) == (
        CORSConfigurationError,
        str(error),
        "max_age",
        -5,
        error.fix,
    )
    assert type(copy).__module__ == "hug_cors"  # where tracebacks say it comes from
    with pytest.raises(CORSConfigurationTypeError) as wrong_type:
        CORSPolicy(allow_origins=ORIGIN)  # type: ignore[arg-type]
    assert isinstance(wrong_type.value, TypeError)
    assert isinstance(wrong_type.value, ValueError)
    assert (wrong_type.value.parameter, wrong_type.value.value) == ("allow_origins", ORIGIN)
