"""handle_uncaught_errors: an exception that no handler catches becomes a generic 500 that
carries the CORS headers, logged with its traceback; Falcon's HTTP errors and hug's
exception handlers keep their behaviour, and without the option nothing changes."""

from __future__ import annotations

import http.client
import itertools
import logging
from typing import Any, Dict, Optional

import falcon
import hug
import pytest

from hug_cors import CORSConfigurationError, CORSMiddleware
from tests.helpers import ORIGIN, OTHER_ORIGIN, call, cors_headers, preflight
from tests.servers import serve

_names = itertools.count()


class Mine(Exception):
    """An exception the app handles itself, with @hug.exception."""


def crashing_api(name: str, middleware: bool = True, **config: Any) -> hug.API:
    """An API whose routes raise: an uncaught error, an HTTP error, an HTTP status, an
    exception hug's own handler answers; and a sink that raises. Without ``middleware``,
    the reference: the same API with no CORS middleware at all."""
    # hug keeps one API per name: a new one on each call, also when the suite runs twice in
    # one process (mutmut's first runs), which would add a second middleware to the first.
    api = hug.API(f"uncaught_errors_{name}_{next(_names)}")
    if middleware:
        api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN], **config))

    @hug.get("/crash", api=api)
    def crash() -> None:
        raise RuntimeError("the database password is hunter2")

    @hug.get("/bad", api=api)
    def bad() -> None:
        raise falcon.HTTPBadRequest(title="Bad", description="not like that")

    @hug.get("/moved", api=api)
    def moved() -> None:
        raise falcon.HTTPStatus(falcon.HTTP_204, headers={"X-Moved": "yes"})

    @hug.exception(Mine, api=api)
    def handle_mine(exception: Mine) -> Dict[str, str]:
        return {"handled": "by the app"}

    @hug.get("/mine", api=api)
    def mine() -> None:
        raise Mine()

    @hug.sink("/files", api=api)
    def files(request: Any) -> None:
        raise KeyError("a path from the disk")

    return api


def test_an_uncaught_exception_is_a_generic_500_with_the_cors_headers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = crashing_api("handled", handle_uncaught_errors=True)
    with caplog.at_level(logging.ERROR, logger="hug_cors"):
        response = call(api, "GET", "/crash", {"Origin": ORIGIN})
    assert response.status == "500 Internal Server Error"
    assert "hunter2" not in str(response.data)
    assert "RuntimeError" not in str(response.data)
    assert cors_headers(response) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-credentials": "true",
    }
    assert response.headers_dict["vary"] == "Origin"
    [record] = caplog.records
    assert record.getMessage() == (
        "uncaught RuntimeError on GET '/crash'; answered 500 with the CORS headers"
    )
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "the database password is hunter2"
    assert 'raise RuntimeError("the database password is hunter2")' in caplog.text


def test_a_sinks_uncaught_exception_is_handled_too() -> None:
    api = crashing_api("sink", handle_uncaught_errors=True)
    response = call(api, "GET", "/files/a.txt", {"Origin": ORIGIN})
    assert response.status == "500 Internal Server Error"
    assert cors_headers(response)["access-control-allow-origin"] == ORIGIN


def test_a_refused_origin_gets_the_500_without_cors_headers() -> None:
    api = crashing_api("refused", handle_uncaught_errors=True)
    response = call(api, "GET", "/crash", {"Origin": OTHER_ORIGIN})
    assert response.status == "500 Internal Server Error"
    assert cors_headers(response) == {}


def test_off_by_default_an_uncaught_exception_propagates_as_without_hug_cors() -> None:
    for api in (crashing_api("off"), crashing_api("none", middleware=False)):
        with pytest.raises(RuntimeError, match="hunter2"):
            call(api, "GET", "/crash", {"Origin": ORIGIN})


@pytest.mark.parametrize("path", ["/bad", "/moved", "/mine"])
@pytest.mark.parametrize("handle", [True, False])
def test_http_errors_statuses_and_hugs_handlers_keep_their_behaviour(
    path: str, handle: bool
) -> None:
    """The same status, body and app headers as with no middleware at all."""
    ours = call(crashing_api(f"keeps_{handle}", handle_uncaught_errors=handle), "GET", path)
    reference = call(crashing_api("keeps_none", middleware=False), "GET", path)
    assert (ours.status, ours.data) == (reference.status, reference.data)
    assert ours.headers_dict.get("x-moved") == reference.headers_dict.get("x-moved")


def test_configure_turns_it_on_and_off() -> None:
    api = crashing_api("configure")
    cors = next(m for m in api.http.middleware if isinstance(m, CORSMiddleware))
    cors.configure(handle_uncaught_errors=True)
    assert call(api, "GET", "/crash", {"Origin": ORIGIN}).status == "500 Internal Server Error"
    assert cors.config["handle_uncaught_errors"] is True
    cors.configure(handle_uncaught_errors=False)
    with pytest.raises(RuntimeError):
        call(api, "GET", "/crash", {"Origin": ORIGIN})


@pytest.mark.parametrize("api", [None, falcon.routing.CompiledRouter()])
def test_without_a_hug_api_it_is_refused_at_construction(api: Optional[object]) -> None:
    with pytest.raises(CORSConfigurationError) as raised:
        CORSMiddleware(api, handle_uncaught_errors=True)
    assert raised.value.parameter == "handle_uncaught_errors"
    assert "pass the hug.API" in raised.value.fix
    cors = CORSMiddleware(api)
    with pytest.raises(CORSConfigurationError):
        cors.configure(handle_uncaught_errors=True)
    assert cors.config["handle_uncaught_errors"] is False


def test_preflights_are_unchanged() -> None:
    api = crashing_api("preflight", handle_uncaught_errors=True)
    allowed = cors_headers(preflight(api, "/crash", "GET"))
    assert allowed["access-control-allow-origin"] == ORIGIN


@pytest.mark.parametrize("handle", [True, False])
def test_on_a_real_server(handle: bool) -> None:
    """Through waitress: its own 500 (no CORS header) without the option; the generic 500
    with the CORS headers with it, on a connection that stays usable."""
    server = serve(crashing_api(f"waitress_{handle}", handle_uncaught_errors=handle).http.server())
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/crash", headers={"Origin": ORIGIN})
        response = connection.getresponse()
        body = response.read()
        assert response.status == 500
        assert b"hunter2" not in body
        allowed = response.getheader("Access-Control-Allow-Origin")
        assert allowed == (ORIGIN if handle else None)
        if handle:
            connection.request("GET", "/bad", headers={"Origin": ORIGIN})
            assert connection.getresponse().status == 400
        connection.close()
    finally:
        server.stop()


def test_another_middlewares_exception_is_handled_too() -> None:
    """What a hug exception handler cannot catch: an exception in another middleware."""

    class Broken:
        def process_request(self, req: Any, resp: Any) -> None:
            raise ConnectionError("the session store is down")

    api = crashing_api("other_middleware", handle_uncaught_errors=True)
    api.http.add_middleware(Broken())
    response = call(api, "GET", "/bad", {"Origin": ORIGIN})
    assert response.status == "500 Internal Server Error"
    assert "session store" not in str(response.data)
    assert cors_headers(response)["access-control-allow-origin"] == ORIGIN
