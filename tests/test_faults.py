"""Requests when something goes wrong: errors, redirects, streams, HEAD, and other
middleware that raises. CORS headers must be right in each case, and nothing is swallowed:
the app's status stays, and an exception nobody handles still reaches the WSGI server.

What Falcon 2.0 and hug do, which these tests pin down:

- An ``HTTPError`` or ``HTTPStatus`` (a redirect) raised by a handler or by any middleware
  becomes the response, and every ``process_response`` still runs (Falcon's middleware is
  independent by default), so an allowed origin can read the error.
- Any other exception is re-raised by Falcon after every ``process_response`` ran; the WSGI
  server then answers a bare 500 of its own, which carries no header the app set. A hug
  ``@hug.exception`` handler turns such an exception into an ordinary response, with CORS
  headers.
- A preflight is answered in ``process_request``. A middleware added *before* hug-cors runs
  first: if it rejects the preflight, the rejection stands, without ``Access-Control-Allow-*``
  headers (a browser fails a preflight that is not 2xx whatever its headers).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import falcon
import hug
import pytest
from falcon import testing

from hug_cors import CORSMiddleware
from tests.helpers import ORIGIN, OTHER_ORIGIN, call, cors_headers

CREDENTIALED = {
    "access-control-allow-origin": ORIGIN,
    "access-control-allow-credentials": "true",
}
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
_names = iter(range(10**9))


class Boom(Exception):
    """An exception nothing in the app handles."""


class RaisesInRequest:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.calls += 1
        raise self.error


class RaisesInResponse:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, ok: bool
    ) -> None:
        raise self.error


class SeesResponse:
    """Records the headers of the response as the middleware after it left them."""

    def __init__(self) -> None:
        self.seen: List[Tuple[str, Dict[str, str]]] = []

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, ok: bool
    ) -> None:
        self.seen.append((resp.status, {k.lower(): v for k, v in resp._headers.items()}))


class ChunkedFile:
    """A file-like body that yields one chunk per read, as a socket or a pipe does."""

    def __init__(self, chunks: List[bytes]) -> None:
        self._chunks = iter(chunks)

    def read(self, size: int = -1) -> bytes:
        return next(self._chunks, b"")


class GeneratorResource:
    """A plain Falcon resource whose body is a generator (resp.stream)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        def chunks() -> Iterator[bytes]:
            for number in range(3):
                yield b"chunk %d\n" % number

        resp.content_type = "text/plain"
        resp.stream = chunks()


def make_api(
    before: Optional[object] = None,
    after: Optional[object] = None,
    exception_handler: bool = False,
) -> hug.API:
    """A hug API with CORSMiddleware between ``before`` and ``after`` middleware."""
    api = hug.API(f"hug_cors_faults_{next(_names)}")
    if before is not None:
        api.http.add_middleware(before)
    api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN], expose_headers=["X-Id"]))
    if after is not None:
        api.http.add_middleware(after)

    @hug.get("/demo", api=api)
    def demo() -> Dict[str, str]:
        return {"result": "ok"}

    @hug.put("/demo", api=api)
    def put_demo() -> Dict[str, str]:
        return {"result": "put"}

    @hug.get("/unauthorized", api=api)
    def unauthorized() -> None:
        raise falcon.HTTPUnauthorized(
            title="Login required", challenges=["Bearer"], headers={"Vary": "Authorization"}
        )

    @hug.get("/boom", api=api)
    def boom() -> None:
        raise Boom("the handler failed")

    @hug.get("/unprocessable", api=api)
    def unprocessable(response: Any) -> Dict[str, str]:
        response.status = falcon.HTTP_422
        response.set_header("X-Id", "7")
        return {"error": "bad input"}

    @hug.get("/redirect", api=api)
    def redirect() -> None:
        hug.redirect.to("/demo", falcon.HTTP_307)

    @hug.get("/moved", api=api)
    def moved() -> None:
        raise falcon.HTTPMovedPermanently("/demo")

    @hug.get("/file", api=api, output=hug.output_format.file)
    def file() -> Any:
        return ChunkedFile([b"0123456789"] * 1000)  # hug sets it as resp.stream

    @hug.http("/both", accept=("GET", "HEAD"), api=api)
    def both(response: Any) -> str:
        response.set_header("X-Id", "3")
        return "a body HEAD must not send"

    if exception_handler:

        @hug.exception(Boom, api=api)
        def handle_boom(exception: Boom, response: Any) -> Dict[str, str]:
            response.status = falcon.HTTP_503
            return {"error": str(exception)}

    return api


def headers_of(response: Any) -> Dict[str, str]:
    return {name.lower(): value for name, value in response.headers}


# --- Errors raised or returned by the handler --------------------------------------------


def test_http_error_raised_by_the_handler_keeps_its_status_and_headers_and_gets_cors() -> None:
    response = call(make_api(), "GET", "/unauthorized", {"Origin": ORIGIN})
    assert response.status == falcon.HTTP_401
    headers = headers_of(response)
    assert headers["www-authenticate"] == "Bearer"
    assert headers["vary"] == "Authorization, Origin"  # the error's own Vary, merged
    assert cors_headers(response) == {**CREDENTIALED, "access-control-expose-headers": "x-id"}
    assert "Login required" in response.data["errors"]  # hug's error body


def test_http_error_for_a_refused_origin_has_no_cors_headers_but_varies() -> None:
    response = call(make_api(), "GET", "/unauthorized", {"Origin": OTHER_ORIGIN})
    assert response.status == falcon.HTTP_401
    assert cors_headers(response) == {}
    assert headers_of(response)["vary"] == "Authorization, Origin"


def test_a_returned_4xx_keeps_status_and_body_and_gets_cors_and_exposed_headers() -> None:
    response = call(make_api(), "GET", "/unprocessable", {"Origin": ORIGIN})
    assert response.status == falcon.HTTP_422
    assert response.data == {"error": "bad input"}
    assert cors_headers(response) == {**CREDENTIALED, "access-control-expose-headers": "x-id"}


@pytest.mark.parametrize("through", ["hug.test.call", "the WSGI callable"])
def test_an_unhandled_exception_propagates_after_cors_ran_without_masking_it(
    through: str,
) -> None:
    spy = SeesResponse()  # added before hug-cors: its process_response runs after
    api = make_api(before=spy)
    environ = testing.create_environ("/boom", headers={"Origin": ORIGIN})

    def request() -> Any:
        if through == "hug.test.call":
            return call(api, "GET", "/boom", {"Origin": ORIGIN})
        return api.http.server()(environ, lambda status, headers, exc_info=None: None)

    with pytest.raises(Boom, match="the handler failed"):
        request()
    # hug-cors did its part; the server's own 500 will not carry these headers.
    [(_, headers)] = spy.seen
    assert headers["access-control-allow-origin"] == ORIGIN
    assert headers["vary"] == "Origin"


def test_an_unhandled_exception_is_not_masked_by_a_preflight_or_refused_origin() -> None:
    api = make_api()
    with pytest.raises(Boom):
        call(api, "GET", "/boom", {"Origin": OTHER_ORIGIN})
    with pytest.raises(Boom):
        call(api, "GET", "/boom", {"Origin": ORIGIN, "Access-Control-Request-Headers": "x-a"})


def test_a_hug_exception_handler_response_carries_cors_headers() -> None:
    api = make_api(exception_handler=True)
    response = call(api, "GET", "/boom", {"Origin": ORIGIN})
    assert response.status == falcon.HTTP_503
    assert response.data == {"error": "the handler failed"}
    assert cors_headers(response)["access-control-allow-origin"] == ORIGIN
    assert cors_headers(response)["access-control-allow-credentials"] == "true"
    refused = call(api, "GET", "/boom", {"Origin": OTHER_ORIGIN})
    assert refused.status == falcon.HTTP_503
    assert cors_headers(refused) == {}


# --- Redirects, streams, HEAD ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [("/redirect", falcon.HTTP_307), ("/moved", falcon.HTTP_301)],
    ids=["hug.redirect", "falcon.HTTPMovedPermanently"],
)
def test_a_redirect_keeps_its_location_and_gets_cors(path: str, status: str) -> None:
    response = call(make_api(), "GET", path, {"Origin": ORIGIN})
    assert response.status == status
    assert headers_of(response)["location"].endswith("/demo")
    assert cors_headers(response) == {**CREDENTIALED, "access-control-expose-headers": "x-id"}
    assert headers_of(response)["vary"] == "Origin"


@pytest.mark.parametrize(
    ("path", "body"),
    [("/file", b"0123456789" * 1000), ("/generator", b"chunk 0\nchunk 1\nchunk 2\n")],
)
def test_a_streamed_response_is_sent_whole_with_cors_headers(path: str, body: bytes) -> None:
    app = make_api().http.server()
    app.add_route("/generator", GeneratorResource())  # Falcon resources live beside hug's
    client = testing.TestClient(app)
    result = client.simulate_get(path, headers={"Origin": ORIGIN})
    assert result.status == falcon.HTTP_200
    assert result.content == body
    assert result.headers["access-control-allow-origin"] == ORIGIN
    assert result.headers["access-control-allow-credentials"] == "true"
    assert result.headers["vary"] == "Origin"
    refused = client.simulate_get(path, headers={"Origin": OTHER_ORIGIN})
    assert refused.content == body
    assert "access-control-allow-origin" not in refused.headers


def test_a_head_request_gets_the_cors_headers_of_its_get_and_no_body() -> None:
    client = testing.TestClient(make_api().http.server())
    head = client.simulate_head("/both", headers={"Origin": ORIGIN})
    get = client.simulate_get("/both", headers={"Origin": ORIGIN})
    assert head.status == get.status == falcon.HTTP_200
    assert head.content == b""
    assert get.content != b""

    def cors(result: Any) -> Dict[str, str]:
        return {k: v for k, v in result.headers.items() if k.startswith(("access-", "vary"))}

    assert cors(head) == cors(get)
    assert cors(head)["access-control-allow-origin"] == ORIGIN
    assert cors(head)["access-control-expose-headers"] == "x-id"


def test_head_to_a_get_only_route_keeps_hugs_405_with_cors_headers() -> None:
    response = call(make_api(), "HEAD", "/demo", {"Origin": ORIGIN})
    assert response.status == falcon.HTTP_405
    assert cors_headers(response)["access-control-allow-origin"] == ORIGIN


def test_a_preflight_for_head_is_answered() -> None:
    response = call(
        make_api(), "OPTIONS", "/both", {"Origin": ORIGIN, "Access-Control-Request-Method": "HEAD"}
    )
    assert response.status == falcon.HTTP_200
    assert cors_headers(response)["access-control-allow-origin"] == ORIGIN


# --- Other middleware that raises -------------------------------------------------------

Position = Callable[[object], hug.API]
BEFORE: Position = lambda middleware: make_api(before=middleware)  # noqa: E731
AFTER: Position = lambda middleware: make_api(after=middleware)  # noqa: E731


@pytest.mark.parametrize("position", [BEFORE, AFTER], ids=["before", "after"])
def test_http_error_from_process_request_keeps_its_status_and_gets_cors(
    position: Position,
) -> None:
    api = position(RaisesInRequest(falcon.HTTPForbidden(title="denied")))
    response = call(api, "GET", "/demo", {"Origin": ORIGIN})
    assert response.status == falcon.HTTP_403
    assert "denied" in response.data["errors"]
    assert cors_headers(response)["access-control-allow-origin"] == ORIGIN
    refused = call(api, "GET", "/demo", {"Origin": OTHER_ORIGIN})
    assert refused.status == falcon.HTTP_403
    assert cors_headers(refused) == {}


def test_a_preflight_is_answered_before_middleware_added_after_it_runs() -> None:
    later = RaisesInRequest(falcon.HTTPForbidden(title="denied"))
    response = call(make_api(after=later), "OPTIONS", "/demo", PREFLIGHT)
    assert response.status == falcon.HTTP_200
    assert cors_headers(response)["access-control-allow-methods"] == "GET, OPTIONS, PUT"
    assert later.calls == 0


def test_a_preflight_rejected_by_middleware_added_before_keeps_the_rejection() -> None:
    earlier = RaisesInRequest(falcon.HTTPUnauthorized(title="login first"))
    response = call(make_api(before=earlier), "OPTIONS", "/demo", PREFLIGHT)
    assert earlier.calls == 1
    assert response.status == falcon.HTTP_401  # not turned into a 2xx
    allowing = [name for name in cors_headers(response) if name.startswith("access-control-allow")]
    assert allowing == []


@pytest.mark.parametrize("position", [BEFORE, AFTER], ids=["before", "after"])
@pytest.mark.parametrize(
    "headers", [{"Origin": ORIGIN}, PREFLIGHT, {"Origin": OTHER_ORIGIN}, {}], ids=str
)
def test_an_exception_from_process_request_propagates(
    position: Position, headers: Dict[str, str]
) -> None:
    api = position(RaisesInRequest(Boom("middleware failed")))
    if headers == PREFLIGHT and position is AFTER:  # answered before the other runs
        assert call(api, "OPTIONS", "/demo", headers).status == falcon.HTTP_200
        return
    with pytest.raises(Boom, match="middleware failed"):
        call(api, "OPTIONS" if headers == PREFLIGHT else "GET", "/demo", headers)


@pytest.mark.parametrize("position", [BEFORE, AFTER], ids=["before", "after"])
def test_http_error_from_process_response_keeps_its_status_and_gets_cors(
    position: Position,
) -> None:
    api = position(RaisesInResponse(falcon.HTTPForbidden(title="late")))
    response = call(api, "GET", "/demo", {"Origin": ORIGIN})
    assert response.status == falcon.HTTP_403
    assert "late" in response.data["errors"]
    assert cors_headers(response) == {**CREDENTIALED, "access-control-expose-headers": "x-id"}
    assert headers_of(response)["vary"] == "Origin"
    refused = call(api, "GET", "/demo", {"Origin": OTHER_ORIGIN})
    assert refused.status == falcon.HTTP_403
    assert cors_headers(refused) == {}


@pytest.mark.parametrize("position", [BEFORE, AFTER], ids=["before", "after"])
def test_http_error_from_process_response_on_a_preflight_keeps_its_status(
    position: Position,
) -> None:
    api = position(RaisesInResponse(falcon.HTTPForbidden(title="late")))
    response = call(api, "OPTIONS", "/demo", PREFLIGHT)
    assert response.status == falcon.HTTP_403  # a browser fails the preflight: not 2xx
    assert headers_of(response)["vary"].startswith("Origin")


@pytest.mark.parametrize("position", [BEFORE, AFTER], ids=["before", "after"])
@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_an_exception_from_process_response_propagates(position: Position, method: str) -> None:
    api = position(RaisesInResponse(Boom("late failure")))
    with pytest.raises(Boom, match="late failure"):
        call(api, method, "/demo", PREFLIGHT if method == "OPTIONS" else {"Origin": ORIGIN})
