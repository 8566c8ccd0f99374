"""Debug mode: a refused request says why, in a header, a JSON body and a WARNING log."""

from __future__ import annotations

import json
import logging
from typing import Dict, Optional

import pytest

from hug_cors import CORSConfigurationTypeError
from tests.helpers import (
    ORIGIN,
    OTHER_ORIGIN,
    MakeApi,
    call,
    configuration_error,
    cors_headers,
    preflight,
)


def test_debug_is_off_by_default(make_api: MakeApi) -> None:
    refused = preflight(make_api(allow_origins=[ORIGIN]), origin=OTHER_ORIGIN)
    assert refused.status == "200 OK"
    assert "hug-cors-refused" not in refused.headers_dict
    assert refused.data is None
    assert refused.headers_dict["content-length"] == "0"


def test_a_refused_preflight_says_why_in_a_header_and_a_json_body(
    make_api: MakeApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = make_api(allow_origins=[ORIGIN], allow_headers=["X-Token"], debug=True)
    with caplog.at_level(logging.WARNING, logger="hug_cors"):
        refused = preflight(api, "/demo/1", "PUT", headers="x-token, x-trace-id")
    assert refused.status == "200 OK"
    assert cors_headers(refused) == {}  # still refused: no Access-Control-Allow-*
    assert refused.headers_dict["hug-cors-refused"] == "header 'x-trace-id' is not allowed"
    body = refused.data if isinstance(refused.data, dict) else json.loads(refused.data)
    assert body["refused"] == "header 'x-trace-id' is not allowed"
    assert body["policy"]["allow_headers"] == ["x-token"]
    assert body["policy"]["allow_origins"] == [ORIGIN]
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "CORS refused for OPTIONS '/demo/1': header 'x-trace-id' is not allowed")
    ]


def test_a_refused_actual_request_says_why_in_a_header(make_api: MakeApi) -> None:
    api = make_api(allow_origins=[ORIGIN], debug=True)
    response = call(api, "GET", "/demo", {"Origin": OTHER_ORIGIN})
    assert response.status == "200 OK"
    assert response.headers_dict["hug-cors-refused"] == (
        "origin 'https://evil.example' is not allowed"
    )
    assert "access-control-allow-origin" not in response.headers_dict


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("OPTIONS", "/demo", {"access-control-allow-methods": None}),  # a plain OPTIONS
        ("GET", "/vary", {"vary": "Accept-Encoding, Origin"}),  # the app's Vary, merged
    ],
)
def test_a_refused_request_says_why_in_a_header_and_the_log(
    make_api: MakeApi,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    expected: Dict[str, Optional[str]],
) -> None:
    api = make_api(allow_origins=[ORIGIN], debug=True)
    with caplog.at_level(logging.WARNING, logger="hug_cors"):
        response = call(api, method, path, {"Origin": OTHER_ORIGIN})
    assert response.status == "200 OK"
    refusal = "origin 'https://evil.example' is not allowed"
    assert response.headers_dict["hug-cors-refused"] == refusal
    for name, value in expected.items():
        assert response.headers_dict.get(name) == value
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, f"CORS refused for {method} '{path}': {refusal}")
    ]


def test_an_allowed_request_is_unchanged_by_debug_mode(make_api: MakeApi) -> None:
    plain, debug = make_api(allow_origins=[ORIGIN]), make_api(allow_origins=[ORIGIN], debug=True)
    for api in (plain, debug):
        allowed = preflight(api)
        assert allowed.status == "200 OK"
        assert allowed.data is None
        assert "hug-cors-refused" not in allowed.headers_dict
    assert preflight(plain).headers == preflight(debug).headers


def test_the_debug_header_never_carries_what_a_header_cannot(make_api: MakeApi) -> None:
    api = make_api(allow_origins=[ORIGIN], debug=True)
    response = call(api, "GET", "/demo", {"Origin": "https://\u00e9vil.example\x7f" + "x" * 300})
    reason = response.headers_dict["hug-cors-refused"]
    assert reason.isascii()
    assert reason.isprintable()
    assert len(reason) < 200


def test_debug_must_be_a_bool(make_api: MakeApi) -> None:
    configuration_error(lambda: make_api(debug="yes"), "debug", "yes", CORSConfigurationTypeError)
