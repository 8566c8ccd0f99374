"""Origins: which Origin values are allowed, matched as browsers send them."""

from __future__ import annotations

import re
from typing import Any

import hug
import pytest

from hug_cors import CORSConfigurationWarning, CORSMiddleware
from tests.helpers import ORIGIN, build_api, call, configuration_error


def allowed_origin(api: Any, origin: str) -> Any:
    """The Access-Control-Allow-Origin a GET from ``origin`` gets, or None."""
    return call(api, "GET", "/demo", {"Origin": origin}).headers_dict.get(
        "access-control-allow-origin"
    )


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (ORIGIN, True),
        ("https://app.example.com:443", False),  # browsers elide the default port
        ("HTTPS://APP.EXAMPLE.COM", False),  # browsers send lower case
        ("https://app.example.com/", False),
        ("http://app.example.com", False),
        ("https://app.example.com.evil.example", False),
        ("https://xapp.example.com", False),
        ("https://example.com", False),
        (ORIGIN + ", https://evil.example", False),  # two Origin lines, joined
        ("null", False),
        ("", False),
    ],
)
def test_exact_origins_match_byte_for_byte(origin: str, allowed: bool) -> None:
    api = build_api(allow_origins=[ORIGIN, "https://other.example.com"])
    assert allowed_origin(api, origin) == (origin if allowed else None)


def test_configured_origins_are_normalised_to_what_browsers_send() -> None:
    api = build_api(allow_origins=["HTTPS://App.Example.COM:443", "http://LOCALHOST:80"])
    assert allowed_origin(api, "https://app.example.com") == "https://app.example.com"
    assert allowed_origin(api, "http://localhost") == "http://localhost"


def test_ten_thousand_exact_origins_all_match() -> None:
    origins = [f"https://app{n}.example.com" for n in range(10_000)]
    api = build_api(allow_origins=origins)
    assert allowed_origin(api, origins[0]) == origins[0]
    assert allowed_origin(api, origins[-1]) == origins[-1]
    assert allowed_origin(api, "https://app10000.example.com") is None


def test_star_alone_allows_every_origin() -> None:
    api = build_api()
    assert allowed_origin(api, "https://anything.example") == "*"
    assert allowed_origin(api, "http://localhost:3000") == "*"


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://a.example.com", True),
        ("https://a.b.example.com", True),  # one or more labels
        ("https://example.com", False),  # never the bare parent
        ("https://.example.com", False),
        ("http://a.example.com", False),  # the scheme is part of the pattern
        ("https://a.example.com:8443", False),  # so is the (default) port
        ("https://evil-example.com", False),
        ("https://aexample.com", False),
        ("https://a.example.com.evil.example", False),
        ("https://a.example.com:443", False),
        ("https://A.example.com", False),
    ],
)
def test_subdomain_pattern(origin: str, allowed: bool) -> None:
    api = build_api(allow_origins=["https://*.example.com"])
    assert allowed_origin(api, origin) == (origin if allowed else None)


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://localhost:3000", True),
        ("http://localhost:5173", True),
        ("http://localhost", True),  # the default port is a port too
        ("https://localhost:3000", False),
        ("http://127.0.0.1:3000", False),  # a different origin from localhost
        ("http://localhost.evil.example:3000", False),
        ("http://localhost:0", False),
        ("http://localhost:99999", False),
    ],
)
def test_any_port_pattern(origin: str, allowed: bool) -> None:
    api = build_api(allow_origins=["http://localhost:*"])
    assert allowed_origin(api, origin) == (origin if allowed else None)


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://preview-42.example.org", True),
        ("https://preview-42.example.org.evil.example", False),  # re.match would allow it
        ("https://evil.example/https://preview-42.example.org", False),  # re.search would
        ("null", False),
    ],
)
@pytest.mark.parametrize("compiled", [False, True])
def test_origin_regex_is_matched_with_fullmatch(origin: str, allowed: bool, compiled: bool) -> None:
    regex = r"https://preview-[0-9]+\.example\.org"
    api = build_api(allow_origin_regex=re.compile(regex) if compiled else regex)
    assert allowed_origin(api, origin) == (origin if allowed else None)


def test_origin_regex_alone_allows_no_exact_origins() -> None:
    api = build_api(allow_origin_regex=r"https://[a-z]+\.example\.org")
    assert allowed_origin(api, "https://app.example.org") == "https://app.example.org"
    assert allowed_origin(api, ORIGIN) is None


def test_origin_regex_never_lets_a_malformed_origin_through() -> None:
    api = build_api(allow_origin_regex=r"https://.*", allow_credentials=False)
    assert allowed_origin(api, "https://a.example") == "https://a.example"
    for hostile in ["https://a.exa\rmple", "https://a\x00.example", "https://a.example/path"]:
        assert allowed_origin(api, hostile) is None


def test_null_is_allowed_only_when_listed_and_listing_it_warns() -> None:
    assert allowed_origin(build_api(allow_origins=[ORIGIN]), "null") is None
    any_origin = build_api(allow_origin_regex=".*", allow_credentials=False)
    assert allowed_origin(any_origin, "null") is None
    assert allowed_origin(build_api(allow_origins=["https://*.example.com"]), "null") is None
    with pytest.warns(CORSConfigurationWarning, match="'null'"):
        api = build_api(allow_origins=[ORIGIN, "null"])
    assert allowed_origin(api, "null") == "null"


def test_a_configuration_warning_points_at_the_line_that_built_the_middleware() -> None:
    with pytest.warns(CORSConfigurationWarning) as warned:
        CORSMiddleware(hug.API("warning_location"), allow_origins=["null"])
    assert [warning.filename for warning in warned] == [__file__]


@pytest.mark.parametrize("regex", [".*", r"https?://.+", r"https://[a-z.-]+"])
def test_a_credentialed_regex_that_matches_any_origin_is_refused(regex: str) -> None:
    configuration_error(lambda: build_api(allow_origin_regex=regex), "allow_origin_regex", regex)
    assert allowed_origin(build_api(allow_origin_regex=regex, allow_credentials=False), ORIGIN)
