"""Preflights: OPTIONS with Origin and Access-Control-Request-Method."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.helpers import ORIGIN, OTHER_ORIGIN, MakeApi, call, cors_headers, preflight

PREFLIGHT_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network"
)


# Answered before routing, authentication or the handler


def test_a_preflight_is_answered_by_the_middleware_with_200_and_an_empty_body(api: Any) -> None:
    response = preflight(api, "/demo/1", "PUT", headers="X-Token")
    assert response.status == "200 OK"
    assert not response.data
    assert response.headers_dict["content-length"] == "0"
    assert cors_headers(response) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "DELETE, GET, OPTIONS, PUT",
        "access-control-allow-headers": "x-token",
        "access-control-max-age": "600",
    }


def test_a_preflight_to_a_route_protected_by_authentication_succeeds(make_api: MakeApi) -> None:
    api = make_api(allow_origins=[ORIGIN], allow_headers=["Authorization"])
    response = preflight(api, "/private", "GET", headers="Authorization")
    assert response.status == "200 OK"
    assert cors_headers(response)["access-control-allow-origin"] == ORIGIN
    assert call(api, "GET", "/private", {"Origin": ORIGIN}).status == "401 Unauthorized"


def test_a_preflight_to_a_path_with_no_route_is_answered_not_raised(api: Any) -> None:
    response = preflight(api, "/no/such/route", "POST", headers="Content-Type")
    assert response.status == "200 OK"
    assert cors_headers(response)["access-control-allow-origin"] == ORIGIN
    # The route serves nothing, so only the safelisted methods pass.
    assert cors_headers(preflight(api, "/no/such/route", "PUT")) == {}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": ORIGIN},
        {"Access-Control-Request-Method": "PUT"},  # no Origin: not a CORS preflight
    ],
)
def test_an_options_without_both_headers_reaches_the_app(make_api: MakeApi, headers: dict) -> None:
    api = make_api(allow_origins=[ORIGIN])
    response = call(api, "OPTIONS", "/demo", headers)
    assert response.status == "200 OK"
    assert response.headers_dict["allow"] == "GET, OPTIONS, POST"
    assert response.headers_dict["access-control-allow-methods"] == "GET, OPTIONS, POST"


# Methods


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/demo", "GET, OPTIONS, POST"),
        ("/demo/1", "DELETE, GET, OPTIONS, PUT"),
    ],
)
def test_by_default_a_preflight_allows_the_methods_the_route_serves(
    api: Any, path: str, methods: str
) -> None:
    allowed = cors_headers(preflight(api, path, "DELETE" if path != "/demo" else "POST"))
    assert allowed["access-control-allow-methods"] == methods


def test_a_method_the_route_does_not_serve_is_refused(api: Any) -> None:
    assert cors_headers(preflight(api, "/demo", "DELETE")) == {}


def test_method_matching_is_case_sensitive(make_api: MakeApi) -> None:
    api = make_api(allow_origins=[ORIGIN], allow_methods=["PUT"])
    assert cors_headers(preflight(api, method="PUT"))["access-control-allow-methods"] == "PUT"
    assert cors_headers(preflight(api, method="put")) == {}


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
def test_safelisted_methods_always_pass(make_api: MakeApi, method: str) -> None:
    api = make_api(allow_origins=[ORIGIN], allow_methods=["PUT"])
    assert cors_headers(preflight(api, "/demo/1", method))["access-control-allow-origin"] == ORIGIN


def test_configured_methods_are_sent_as_configured_lower_case_standard_ones_normalised(
    make_api: MakeApi,
) -> None:
    api = make_api(allow_origins=[ORIGIN], allow_methods=["put", "patch", "PROPFIND"])
    for method in ("PUT", "PATCH", "PROPFIND"):
        allowed = cors_headers(preflight(api, method=method))
        assert allowed["access-control-allow-methods"] == "PUT, PATCH, PROPFIND"
    assert cors_headers(preflight(api, method="propfind")) == {}


def test_wildcard_methods_without_credentials_answer_star(make_api: MakeApi) -> None:
    api = make_api(allow_methods=["*"])
    assert cors_headers(preflight(api, method="PURGE"))["access-control-allow-methods"] == "*"


def test_wildcard_methods_with_credentials_echo_the_requested_method(make_api: MakeApi) -> None:
    api = make_api(allow_origins=[ORIGIN], allow_methods=["*"])
    allowed = cors_headers(preflight(api, method="PURGE"))
    assert allowed["access-control-allow-methods"] == "PURGE"
    assert allowed["access-control-allow-credentials"] == "true"


def test_a_malformed_requested_method_is_refused_not_echoed(make_api: MakeApi) -> None:
    api = make_api(allow_origins=[ORIGIN], allow_methods=["*"])
    assert cors_headers(preflight(api, method="PUT DELETE")) == {}


# Headers


def test_header_matching_is_case_insensitive(api: Any) -> None:
    allowed = cors_headers(preflight(api, headers="X-TOKEN"))
    assert allowed["access-control-allow-headers"] == "x-token"


def test_the_requested_header_list_is_split_on_commas_with_empty_elements_ignored(
    api: Any,
) -> None:
    allowed = cors_headers(preflight(api, headers=" x-token ,, content-type\t,"))
    assert allowed["access-control-allow-headers"] == "x-token, content-type"


@pytest.mark.parametrize(
    ("requested", "echoed"),
    [
        ("content-type,x-token", "content-type, x-token"),  # as browsers send it
        ("x-token,x-token", "x-token"),  # repeats are dropped
        ("content-type, X-Token", "content-type, x-token"),  # as other clients may
    ],
)
def test_the_browsers_bare_comma_form_reads_like_any_other(
    api: Any, requested: str, echoed: str
) -> None:
    assert cors_headers(preflight(api, headers=requested))["access-control-allow-headers"] == echoed


def test_an_oversized_list_in_the_browsers_form_is_refused(make_api: MakeApi) -> None:
    api = make_api(allow_origins=[ORIGIN])
    requested = ",".join(f"x-header-{n}" for n in range(400))
    assert cors_headers(preflight(api, headers=requested)) == {}


def test_no_requested_headers_means_no_allow_headers(api: Any) -> None:
    assert "access-control-allow-headers" not in cors_headers(preflight(api))
    assert "access-control-allow-headers" not in cors_headers(preflight(api, headers=" , "))


def test_a_header_not_listed_is_refused(api: Any) -> None:
    assert cors_headers(preflight(api, headers="x-token, x-other")) == {}


def test_the_safelisted_header_names_are_always_allowed(api: Any) -> None:
    names = "accept, accept-language, content-language, content-type"
    assert cors_headers(preflight(api, headers=names))["access-control-allow-headers"] == names


@pytest.mark.parametrize(
    "requested",
    [
        "x-token, bad header",
        "x-token; x-other",
        "x-tok\u00e9n",
        "x-token, " + ", ".join(f"x-header-{n}" for n in range(400)),  # oversized
    ],
)
def test_a_malformed_or_oversized_header_list_is_refused_not_echoed(
    make_api: MakeApi, requested: str
) -> None:
    api = make_api(allow_origins=[ORIGIN])  # allow_headers=None echoes any valid name
    assert cors_headers(preflight(api, headers=requested)) == {}


def test_by_default_any_well_formed_header_is_allowed_and_echoed(make_api: MakeApi) -> None:
    api = make_api(allow_origins=[ORIGIN])
    allowed = cors_headers(preflight(api, headers="X-Anything, Authorization"))
    assert allowed["access-control-allow-headers"] == "x-anything, authorization"


def test_wildcard_headers_without_credentials_answer_star_which_never_covers_authorization(
    make_api: MakeApi,
) -> None:
    api = make_api(allow_headers=["*"])
    assert cors_headers(preflight(api, headers="x-a, x-b"))["access-control-allow-headers"] == "*"
    assert cors_headers(preflight(api, headers="x-a, authorization")) == {}


def test_authorization_listed_beside_the_wildcard_is_allowed(make_api: MakeApi) -> None:
    api = make_api(allow_headers=["*", "Authorization"])
    allowed = cors_headers(preflight(api, headers="x-a, authorization"))
    assert allowed["access-control-allow-headers"] == "*, authorization"


def test_wildcard_headers_with_credentials_echo_the_validated_names(make_api: MakeApi) -> None:
    api = make_api(allow_origins=[ORIGIN], allow_headers=["*"])
    allowed = cors_headers(preflight(api, headers="X-A, X-B"))
    assert allowed["access-control-allow-headers"] == "x-a, x-b"
    assert cors_headers(preflight(api, headers="x-a, authorization")) == {}


# Max age, private network access


def test_max_age_is_sent_only_when_set(make_api: MakeApi) -> None:
    assert "access-control-max-age" not in cors_headers(preflight(make_api()))
    assert cors_headers(preflight(make_api(max_age=0)))["access-control-max-age"] == "0"


def test_private_network_access_is_granted_only_when_enabled_allowed_and_requested(
    make_api: MakeApi,
) -> None:
    enabled = make_api(allow_origins=[ORIGIN], allow_private_network=True)
    asked = {"Access-Control-Request-Private-Network": "true"}
    granted = cors_headers(preflight(enabled, **asked))
    assert granted["access-control-allow-private-network"] == "true"
    assert "access-control-allow-private-network" not in cors_headers(preflight(enabled))
    assert cors_headers(preflight(enabled, origin=OTHER_ORIGIN, **asked)) == {}
    disabled = make_api(allow_origins=[ORIGIN])
    assert cors_headers(preflight(disabled, **asked)) == {}


# Refusals and Vary


@pytest.mark.parametrize(
    ("request_args", "reason"),
    [
        ({"origin": OTHER_ORIGIN}, "origin 'https://evil.example' is not allowed"),
        ({"method": "PATCH"}, "method 'PATCH' is not allowed"),
        ({"headers": "x-secret"}, "header 'x-secret' is not allowed"),
    ],
)
def test_a_refused_preflight_has_no_allow_headers_and_logs_why(
    api: Any, caplog: pytest.LogCaptureFixture, request_args: dict, reason: str
) -> None:
    with caplog.at_level(logging.DEBUG, logger="hug_cors"):
        response = preflight(api, "/demo/1", **{"method": "PUT", **request_args})
    assert response.status == "200 OK"
    assert not response.data
    assert response.headers_dict["content-length"] == "0"
    assert cors_headers(response) == {}
    assert [record.getMessage() for record in caplog.records] == [
        f"CORS refused for OPTIONS '/demo/1': {reason}"
    ]


def test_a_refusal_log_line_escapes_what_the_request_sent(
    api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="hug_cors"):
        preflight(api, origin="https://evil.example\x1b[31m" + "x" * 500)
    (message,) = [record.getMessage() for record in caplog.records]
    assert "\x1b" not in message
    assert "\\x1b[31m" in message
    assert len(message) < 250


def test_every_preflight_varies_on_origin_and_the_request_headers(api: Any) -> None:
    assert preflight(api).headers_dict["vary"] == PREFLIGHT_VARY
    assert preflight(api, origin=OTHER_ORIGIN).headers_dict["vary"] == PREFLIGHT_VARY


def test_a_wildcard_preflight_does_not_vary_on_origin(make_api: MakeApi) -> None:
    assert preflight(make_api()).headers_dict["vary"] == PREFLIGHT_VARY.replace("Origin, ", "", 1)


def test_a_wildcard_never_echoes_an_oversized_method(make_api: MakeApi) -> None:
    api = make_api(allow_origins=[ORIGIN], allow_methods=["*"])
    assert cors_headers(preflight(api, method="P" * 64))["access-control-allow-methods"] == "P" * 64
    assert cors_headers(preflight(api, method="P" * 65)) == {}
