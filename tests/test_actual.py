"""Actual responses: CORS headers on every response, and Vary."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List, Tuple
from urllib.parse import quote

import pytest
from falcon import testing

from tests.helpers import ORIGIN, OTHER_ORIGIN, MakeApi, call, cors_headers, server


@pytest.fixture
def api(make_api: MakeApi) -> Any:
    return make_api(allow_origins=[ORIGIN], expose_headers=["X-Total-Count"])


ALLOWED = {
    "access-control-allow-origin": ORIGIN,
    "access-control-allow-credentials": "true",
    "access-control-expose-headers": "x-total-count",
}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/demo", "200 OK"),
        ("POST", "/demo", "200 OK"),
        ("DELETE", "/demo/7", "200 OK"),
        ("GET", "/missing", "404 Not Found"),  # falcon.HTTPError raised by the handler
        ("GET", "/broken", "500 Internal Server Error"),  # a 500 the handler returned
        ("GET", "/private", "401 Unauthorized"),  # authentication refused it
        ("GET", "/moved", "302 Found"),
        ("GET", "/no/such/route", "404 Not Found"),  # the app's not-found answer
        ("PATCH", "/demo", "405 Method Not Allowed"),
    ],
)
def test_an_allowed_origin_can_read_every_response(
    api: Any, method: str, path: str, status: str
) -> None:
    response = call(api, method, path, {"Origin": ORIGIN})
    assert response.status == status
    assert cors_headers(response) == ALLOWED


def test_a_refused_origin_gets_no_cors_headers_and_is_logged(
    api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="hug_cors"):
        response = call(api, "GET", "/demo", {"Origin": OTHER_ORIGIN})
    assert response.status == "200 OK"  # CORS is enforced by the browser, not the server
    assert cors_headers(response) == {}
    assert [record.getMessage() for record in caplog.records] == [
        "CORS refused for GET '/demo': origin 'https://evil.example' is not allowed"
    ]


def test_a_refusal_is_logged_by_the_level_in_place_when_it_happens(
    api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The logging level can change while the app runs, on the hug_cors logger or on a
    parent: each refused request asks it again, also for an origin refused before."""
    ours, root = logging.getLogger("hug_cors"), logging.getLogger()
    levels = ours.level, root.level
    refused = {"Origin": OTHER_ORIGIN}

    def ours_logged() -> List[str]:  # with the root logger at DEBUG, asyncio logs too
        return [r.getMessage() for r in caplog.records if r.name == "hug_cors"]

    try:
        ours.setLevel(logging.INFO)
        call(api, "GET", "/demo", refused)
        call(api, "GET", "/demo", refused)
        assert ours_logged() == []
        ours.setLevel(logging.DEBUG)
        call(api, "GET", "/demo", refused)
        call(api, "GET", "/demo", refused)
        assert len(ours_logged()) == 2
        ours.setLevel(logging.INFO)
        call(api, "GET", "/demo", refused)
        assert len(ours_logged()) == 2
        ours.setLevel(logging.NOTSET)  # the root logger's level decides
        root.setLevel(logging.DEBUG)
        call(api, "GET", "/demo", refused)
        assert len(ours_logged()) == 3
        logging.disable(logging.DEBUG)
        call(api, "GET", "/demo", refused)
        assert len(ours_logged()) == 3
    finally:
        logging.disable(logging.NOTSET)
        ours.setLevel(levels[0])
        root.setLevel(levels[1])
    assert set(ours_logged()) == {
        "CORS refused for GET '/demo': origin 'https://evil.example' is not allowed"
    }


def test_a_request_without_origin_gets_no_cors_headers(api: Any) -> None:
    assert cors_headers(call(api, "GET", "/demo")) == {}


def test_the_wildcard_answers_every_request_alike_with_no_vary(make_api: MakeApi) -> None:
    api = make_api(expose_headers=["X-Total-Count"])
    for headers in ({"Origin": ORIGIN}, {"Origin": "null"}, {}):
        response = call(api, "GET", "/demo", headers)
        assert cors_headers(response) == {
            "access-control-allow-origin": "*",
            "access-control-expose-headers": "x-total-count",
        }
        assert "vary" not in response.headers_dict


@pytest.mark.parametrize("headers", [{"Origin": ORIGIN}, {"Origin": OTHER_ORIGIN}, {}])
def test_vary_origin_on_every_response_that_depends_on_it(api: Any, headers: dict) -> None:
    assert call(api, "GET", "/demo", headers).headers_dict["vary"] == "Origin"


def test_vary_is_merged_with_the_apps_own(make_api: MakeApi) -> None:
    api = make_api(allow_origins=[ORIGIN])
    response = call(api, "GET", "/vary", {"Origin": ORIGIN})
    assert [value for name, value in response.headers if name.lower() == "vary"] == [
        "Accept-Encoding, Origin"
    ]


@pytest.mark.parametrize("existing", ["origin", "Accept, ORIGIN", "*"])
def test_vary_is_never_duplicated_nor_overwritten(make_api: MakeApi, existing: str) -> None:
    api = make_api(allow_origins=[ORIGIN])
    response = call(api, "GET", f"/vary?value={quote(existing)}", {"Origin": ORIGIN})
    assert [value for name, value in response.headers if name.lower() == "vary"] == [existing]


def test_expose_star_without_credentials_is_sent_as_star(make_api: MakeApi) -> None:
    api = make_api(expose_headers=["*"])
    headers = cors_headers(call(api, "GET", "/count", {"Origin": ORIGIN}))
    assert headers["access-control-expose-headers"] == "*"


def test_expose_star_with_credentials_lists_the_responses_own_headers(make_api: MakeApi) -> None:
    api = make_api(allow_origins=[ORIGIN], expose_headers=["*"])
    headers = cors_headers(call(api, "GET", "/count", {"Origin": ORIGIN}))
    # With credentials "*" is a literal name, so the names are listed instead;
    # Content-Type is always readable and Set-Cookie never is.
    assert headers["access-control-expose-headers"] == "x-total-count"


def test_expose_star_with_credentials_lists_a_plain_options_own_headers(
    make_api: MakeApi,
) -> None:
    api = make_api(allow_origins=[ORIGIN], expose_headers=["*"])
    response = call(api, "OPTIONS", "/count", {"Origin": ORIGIN})
    assert response.status == "200 OK"
    assert cors_headers(response)["access-control-expose-headers"] == "allow"


def test_no_expose_headers_when_none_are_configured(make_api: MakeApi) -> None:
    api = make_api(allow_origins=[ORIGIN])
    assert "access-control-expose-headers" not in cors_headers(
        call(api, "GET", "/count", {"Origin": ORIGIN})
    )


def test_falcons_own_test_client_sees_the_same_headers(api: Any) -> None:
    result = testing.TestClient(server(api)).simulate_get("/demo", headers={"Origin": ORIGIN})
    assert result.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert result.headers["Vary"] == "Origin"


def test_concurrent_requests_each_get_their_own_origin(make_api: MakeApi) -> None:
    origins = [f"https://app{n}.example.com" for n in range(50)]
    app = server(make_api(allow_origins=origins))  # one app, as a server runs it

    def request(n: int) -> Tuple[str, Any]:
        origin = origins[n % len(origins)] if n % 3 else OTHER_ORIGIN
        answer = call(app, "GET", "/demo", {"Origin": origin})  # ASGI: an event loop per thread
        return origin, answer.headers_dict.get("Access-Control-Allow-Origin")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(request, range(600)))
    for origin, allowed in results:
        assert allowed == (None if origin == OTHER_ORIGIN else origin)
