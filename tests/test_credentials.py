"""Credentials: the wildcard never carries credentials; listed origins do."""

from __future__ import annotations

import pytest

from tests.helpers import (
    ORIGIN,
    OTHER_ORIGIN,
    MakeApi,
    call,
    configuration_error,
    cors_headers,
    preflight,
)


def test_default_configuration_is_the_uncredentialed_wildcard(make_api: MakeApi) -> None:
    api = make_api()
    actual = cors_headers(call(api, "GET", "/demo", {"Origin": ORIGIN}))
    assert actual == {"access-control-allow-origin": "*"}
    answered = cors_headers(preflight(api, "/demo/1", "PUT"))
    assert answered["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answered


@pytest.mark.parametrize(
    ("config", "origin"),
    [
        ({"allow_origins": [ORIGIN]}, ORIGIN),
        ({"allow_origins": ["https://*.example.com"]}, "https://a.example.com"),
        ({"allow_origins": ["http://localhost:*"]}, "http://localhost:5173"),
        ({"allow_origin_regex": r"https://[a-z]+\.example\.org"}, "https://app.example.org"),
    ],
)
def test_listed_origins_patterns_and_regex_get_their_own_origin_with_credentials(
    make_api: MakeApi, config: dict, origin: str
) -> None:
    api = make_api(**config)
    for response in (call(api, "GET", "/demo", {"Origin": origin}), preflight(api, origin=origin)):
        headers = cors_headers(response)
        assert headers["access-control-allow-origin"] == origin
        assert headers["access-control-allow-credentials"] == "true"


def test_credentials_can_be_turned_off_for_listed_origins(make_api: MakeApi) -> None:
    api = make_api(allow_origins=[ORIGIN], allow_credentials=False)
    assert cors_headers(call(api, "GET", "/demo", {"Origin": ORIGIN})) == {
        "access-control-allow-origin": ORIGIN
    }


def test_explicit_false_with_the_wildcard_is_accepted(make_api: MakeApi) -> None:
    api = make_api(allow_origins=["*"], allow_credentials=False)
    assert cors_headers(call(api, "GET", "/demo", {"Origin": ORIGIN})) == {
        "access-control-allow-origin": "*"
    }


def test_explicit_true_with_the_wildcard_is_refused_at_construction(make_api: MakeApi) -> None:
    configuration_error(
        lambda: make_api(allow_origins=["*"], allow_credentials=True), "allow_credentials", True
    )


def test_refused_origins_never_get_credentials(make_api: MakeApi) -> None:
    api = make_api(allow_origins=[ORIGIN])
    assert cors_headers(call(api, "GET", "/demo", {"Origin": OTHER_ORIGIN})) == {}
    assert cors_headers(preflight(api, origin=OTHER_ORIGIN)) == {}


@pytest.mark.parametrize("hostile", ["null", "*", OTHER_ORIGIN, ORIGIN.upper()])
def test_no_configuration_reflects_an_arbitrary_origin_with_credentials(
    make_api: MakeApi, hostile: str
) -> None:
    for config in (
        {},
        {"allow_origins": [ORIGIN]},
        {"allow_origins": ["https://*.example.com"]},
        {"allow_origin_regex": r"https://[a-z]+\.example\.com"},
    ):
        headers = cors_headers(call(make_api(**config), "GET", "/demo", {"Origin": hostile}))
        if "access-control-allow-credentials" in headers:
            assert headers["access-control-allow-origin"] not in (hostile, "*")
