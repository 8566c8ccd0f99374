"""Helpers the test modules share: the app the tests call, built with hug or plain Falcon
(WSGI or ASGI) with the same routes, one way to call any of them, and the number of
examples a property test tries.

Nothing here imports hug at the top: the plain Falcon environments (Falcon 3.1 and 4, no
hug) run the suites that take the ``make_api`` fixture, each test once per kind of app.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import importlib
import importlib.util
import itertools
import json
import os
from typing import Any, Callable, Dict, List, Optional, Tuple, Type

import falcon
import pytest
from falcon import testing

from hug_cors import CORSConfigurationError, CORSMiddleware

# mutmut sets MUTANT_UNDER_TEST in every process that runs the tests against mutants. A
# surviving mutant runs the whole suite, property tests included, so there each of those
# tries fewer examples: a mutant that only more examples would catch counts as surviving,
# which makes the score a lower bound, never an overstatement.
UNDER_MUTATION = "MUTANT_UNDER_TEST" in os.environ


def examples(count: int) -> int:
    """``count`` hypothesis examples; at most 40 under mutation testing."""
    return min(count, 40) if UNDER_MUTATION else count


def configuration_error(
    build: Callable[[], object],
    parameter: str,
    value: object,
    kind: Type[CORSConfigurationError] = CORSConfigurationError,
) -> CORSConfigurationError:
    """The configuration error that ``build()`` raises, checked to be exactly of ``kind``
    (pass :class:`~hug_cors.CORSConfigurationTypeError` for a value of the wrong type) and
    to name ``parameter`` and the refused ``value``; returned for further checks."""
    with pytest.raises(kind) as raised:
        build()
    refused = raised.value
    assert type(refused) is kind, f"{type(refused).__name__} raised, not {kind.__name__}"
    # Messages spelled out: pytest does not rewrite the assertions of this module.
    assert (refused.parameter, refused.value) == (parameter, value), (
        f"names {refused.parameter!r}, {refused.value!r}, not {parameter!r}, {value!r}: {refused}"
    )
    assert str(refused) == f"{refused.problem} {refused.fix}", repr(str(refused))
    return refused


# The kinds of app this environment can build: hug pins Falcon 2.0, and falcon.App and
# falcon.asgi.App are Falcon 3.0 and later, so an environment has hug or plain Falcon.
FRAMEWORKS: List[str] = (
    ["hug"] if importlib.util.find_spec("hug") else ["falcon-wsgi", "falcon-asgi"]
)

# The ``make_api`` fixture: ``make_api(**config)`` builds the app of the environment's kind.
MakeApi = Callable[..., Any]

ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://evil.example"

_names = itertools.count()


def build_api(middleware_class: Any = CORSMiddleware, **config: Any) -> Any:
    """A fresh hug API with ``middleware_class(api, **config)`` and these routes:

    GET, POST /demo; GET, PUT, DELETE /demo/{id}; GET /missing (raises 404);
    GET /broken (returns 500); GET /moved (302 to /demo); GET /vary (sets its own
    Vary: ``?value=``, by default ``Accept-Encoding``); GET /count (sets X-Total-Count);
    GET /private (hug basic authentication).
    """
    import hug  # here, so that the plain Falcon environments (no hug) can import this module

    api = hug.API(f"hug_cors_test_{next(_names)}")
    if middleware_class is not None:
        api.http.add_middleware(middleware_class(api, **config))

    @hug.get("/demo", api=api)
    def get_demo() -> Dict[str, str]:
        return {"result": "Hello World"}

    @hug.post("/demo", api=api)
    def post_demo() -> Dict[str, str]:
        return {"result": "posted"}

    @hug.get("/demo/{id}", api=api)
    def get_item(id: str) -> Dict[str, str]:
        return {"result": id}

    @hug.put("/demo/{id}", api=api)
    def put_item(id: str) -> Dict[str, str]:
        return {"result": "put " + id}

    @hug.delete("/demo/{id}", api=api)
    def delete_item(id: str) -> Dict[str, str]:
        return {"result": "deleted " + id}

    @hug.get("/missing", api=api)
    def missing() -> None:
        raise falcon.HTTPNotFound(description="no such thing")

    @hug.get("/broken", api=api)
    def broken(response: Any) -> Dict[str, str]:
        response.status = falcon.HTTP_500
        return {"error": "broken"}

    @hug.get("/moved", api=api)
    def moved() -> None:
        raise falcon.HTTPFound("/demo")

    @hug.get("/vary", api=api)
    def vary(response: Any, value: str = "Accept-Encoding") -> str:
        response.set_header("Vary", value)
        return "varies"

    @hug.get("/count", api=api)
    def count(response: Any) -> str:
        response.set_header("X-Total-Count", "42")
        return "counted"

    authentication = hug.authentication.basic(hug.authentication.verify("user", "secret"))

    @hug.get("/private", api=api, requires=authentication)
    def private() -> str:
        return "secret"

    return api


def build_app(framework: str, middleware_class: Any = CORSMiddleware, **config: Any) -> Any:
    """:func:`build_api` for ``framework``: ``"hug"``, or the same routes served by a plain
    Falcon app, ``"falcon-wsgi"`` (``falcon.App``) or ``"falcon-asgi"`` (``falcon.asgi.App``)."""
    if framework == "hug":
        return build_api(middleware_class, **config)
    app = new_falcon_app(asgi=framework == "falcon-asgi")
    if middleware_class is not None:
        app.add_middleware(middleware_class(app, **config))
    asgi = framework == "falcon-asgi"
    for template, resource_class in ROUTES.items():
        app.add_route(template, (for_asgi(resource_class) if asgi else resource_class)())
    return app


def build_with_middleware(make_api: MakeApi, **config: Any) -> Tuple[Any, CORSMiddleware]:
    """``make_api(**config)``'s app, and its middleware (for ``configure()``)."""
    made: List[CORSMiddleware] = []

    def middleware(app: Any, **config: Any) -> CORSMiddleware:
        made.append(CORSMiddleware(app, **config))
        return made[0]

    return make_api(middleware, **config), made[0]


def new_falcon_app(asgi: bool) -> Any:
    """An empty ``falcon.App``, or ``falcon.asgi.App`` (neither exists in Falcon 2.0)."""
    if asgi:
        return importlib.import_module("falcon.asgi").App()
    return falcon.App()


def for_asgi(resource_class: Any) -> Any:
    """``resource_class`` with coroutine responders, as ``falcon.asgi.App`` requires."""

    def coroutine(function: Any) -> Any:
        @functools.wraps(function)  # keeps the mark of route_policy
        async def responder(*args: Any, **kwargs: Any) -> Any:
            return function(*args, **kwargs)

        return responder

    responders = {
        name: coroutine(function)
        for name, function in vars(resource_class).items()
        if name.startswith("on_")
    }
    return type(resource_class.__name__, (resource_class,), responders)


# build_api's routes as Falcon resources.
class _Demo:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.media = {"result": "Hello World"}

    def on_post(self, req: Any, resp: Any) -> None:
        resp.media = {"result": "posted"}


class _Item:
    def on_get(self, req: Any, resp: Any, id: str) -> None:
        resp.media = {"result": id}

    def on_put(self, req: Any, resp: Any, id: str) -> None:
        resp.media = {"result": "put " + id}

    def on_delete(self, req: Any, resp: Any, id: str) -> None:
        resp.media = {"result": "deleted " + id}


class _Missing:
    def on_get(self, req: Any, resp: Any) -> None:
        raise falcon.HTTPNotFound(description="no such thing")


class _Broken:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.status = falcon.HTTP_500
        resp.media = {"error": "broken"}


class _Moved:
    def on_get(self, req: Any, resp: Any) -> None:
        raise falcon.HTTPFound("/demo")


class _Vary:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.set_header("Vary", req.get_param("value", default="Accept-Encoding"))
        resp.content_type, resp.text = falcon.MEDIA_TEXT, "varies"


class _Count:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.set_header("X-Total-Count", "42")
        resp.content_type, resp.text = falcon.MEDIA_TEXT, "counted"


class _Private:
    """Basic authentication, as hug's ``requires=`` asks for it."""

    CREDENTIALS = "Basic " + base64.b64encode(b"user:secret").decode()

    def on_get(self, req: Any, resp: Any) -> None:
        if req.auth != self.CREDENTIALS:
            raise falcon.HTTPUnauthorized(challenges=['Basic realm="simple"'])
        resp.content_type, resp.text = falcon.MEDIA_TEXT, "secret"


ROUTES: Dict[str, Any] = {
    "/demo": _Demo,
    "/demo/{id}": _Item,
    "/missing": _Missing,
    "/broken": _Broken,
    "/moved": _Moved,
    "/vary": _Vary,
    "/count": _Count,
    "/private": _Private,
}


def call(
    api: Any, method: str, path: str = "/demo", headers: Optional[Dict[str, str]] = None
) -> Any:
    """One request to a hug API (through hug's own test helper) or a Falcon app, WSGI or
    ASGI (through Falcon's test helpers); the result has ``.status`` (``"200 OK"``),
    ``.headers`` (a list of pairs, repeats kept), ``.headers_dict`` (case-insensitive)
    and ``.data`` (None for an empty body, JSON decoded, else text)."""
    path, _, query = path.partition("?")
    if not hasattr(api, "http"):  # not a hug API: a Falcon app
        return _call_falcon(api, method, path, query, dict(headers or {}))
    import hug

    response = hug.test.call(method, api, path, headers=dict(headers or {}), query_string=query)
    response.data = getattr(response, "data", None)
    return response


def server(api: Any) -> Any:
    """The WSGI (or ASGI) callable that serves ``api``, for Falcon's ``TestClient``."""
    return api.http.server() if hasattr(api, "http") else api


class _Response:
    def __init__(self, status: str, headers: List[Any], body: bytes) -> None:
        self.status = status
        self.headers = [(str(name), str(value)) for name, value in headers]
        self.headers_dict = falcon.CaseInsensitiveDict(self.headers)
        text = body.decode() if body else None
        self.data = text
        if text is not None and "json" in self.headers_dict.get("content-type", ""):
            self.data = json.loads(text)


def _call_falcon(
    app: Any, method: str, path: str, query: str, headers: Dict[str, str]
) -> _Response:
    if not asyncio.iscoroutinefunction(app.__call__):
        start_response = testing.StartResponseMock()
        environ = testing.create_environ(path, query, method=method, headers=headers)
        body = b"".join(app(environ, start_response))
        return _Response(start_response.status, start_response.headers, body)
    # create_scope adds its own Host header unless it is given as ``host``.
    host = next((headers.pop(name) for name in list(headers) if name.lower() == "host"), None)
    scope = testing.create_scope(path, query, method, headers, host=host or testing.DEFAULT_HOST)
    status, answered, body = run_asgi(app, scope)
    return _Response(status, answered, body)


def run_asgi(app: Any, scope: Dict[str, Any]) -> Tuple[str, List[Tuple[str, str]], bytes]:
    """One request to an ASGI app with an empty body: its status line, headers (latin-1
    text, repeats kept) and body. Falcon's own collector is not used: it refuses a tab in a
    header value, which HTTP allows (an app's ``Vary: Origin,\tCookie``)."""
    sent: List[Dict[str, Any]] = []

    async def send(event: Dict[str, Any]) -> None:
        sent.append(event)

    # A loop of its own, never made the thread's current one: asyncio.run() would unset
    # the current loop, which Falcon 3.1's TestClient then looks for.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(app(scope, testing.ASGIRequestEventEmitter(), send))
    finally:
        loop.close()
    start = next(event for event in sent if event["type"] == "http.response.start")
    headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in start["headers"]]
    body = b"".join(e.get("body", b"") for e in sent if e["type"] == "http.response.body")
    return falcon.code_to_http_status(start["status"]), headers, body


def preflight(
    api: Any,
    path: str = "/demo/1",
    method: str = "PUT",
    origin: str = ORIGIN,
    headers: Optional[str] = None,
    **extra: str,
) -> Any:
    """A browser's preflight: OPTIONS with Origin and Access-Control-Request-Method."""
    sent = {"Origin": origin, "Access-Control-Request-Method": method, **extra}
    if headers is not None:
        sent["Access-Control-Request-Headers"] = headers
    return call(api, "OPTIONS", path, sent)


def cors_headers(response: Any) -> Dict[str, str]:
    """The response's Access-Control-* headers, lower-case names."""
    return {
        name.lower(): value
        for name, value in response.headers
        if name.lower().startswith("access-control-")
    }


class RefuseEverything:
    """Another middleware that answers before routing: a 403 for every request."""

    def process_request(self, req: Any, resp: Any) -> None:
        raise falcon.HTTPForbidden()
