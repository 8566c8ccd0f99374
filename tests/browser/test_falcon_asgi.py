"""A plain Falcon 4 ASGI app in Chromium: ``falcon.asgi.App`` with hug-cors'
``CORSMiddleware``, served by uvicorn, called by pages on other origins.

Each test asserts what the page's own script observed, and what reached the app: every
responder call is recorded, and ``NetworkLog`` shows the preflight answers as Chromium
received them. The pages are served by uvicorn too (this environment has no waitress
server: the demo's, which the hug tests use, imports hug). ``tox -e browser-falcon`` runs
this module, with Falcon 4 and uvicorn and without hug (hug pins Falcon 2.0, which has no
``falcon.asgi``); the hug browser environment skips it.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any, Callable, Iterator, List

import falcon
import pytest
from browser_support import (
    ASGIApp,
    NetworkLog,
    Seen,
    Tab,
    UvicornServer,
    asgi_pages,
    localhost,
    serving,
    submit_form,
    unavailable,
)

from hug_cors import CORSMiddleware, CORSPolicy, route_policy

pytestmark = pytest.mark.skipif(
    not hasattr(falcon, "App"),
    reason="falcon.asgi is Falcon 3.0 and later: `tox -e browser-falcon` runs these tests",
)

ADMIN = "https://admin.example.com"  # the one origin the routes with a policy of their own allow
JSON = {"Content-Type": "application/json"}


class Resource:
    """Answers GET, PUT and POST with JSON, appending ``"METHOD /path"`` to ``ran`` first."""

    def __init__(self, ran: List[str]) -> None:
        self.ran = ran

    async def on_get(self, req: Any, resp: Any, **fields: str) -> None:
        self.ran.append(f"GET {req.path}")
        resp.set_header("X-Total-Count", "3")  # exposed
        resp.set_header("X-Secret", "hidden")  # not exposed
        resp.media = {"path": req.path, "session": req.cookies.get("session")}

    async def on_put(self, req: Any, resp: Any, **fields: str) -> None:
        self.ran.append(f"PUT {req.path}")
        body = await req.get_media()
        resp.media = {"put": req.path, "body": body, "x_token": req.get_header("X-Token")}

    async def on_post(self, req: Any, resp: Any) -> None:
        self.ran.append(f"POST {req.path}")
        resp.media = {"placed": True}


class AdminOnly(Resource):
    """The same responders, each with its own policy: ``ADMIN`` only."""

    @route_policy(allow_origins=[ADMIN])
    async def on_get(self, req: Any, resp: Any, **fields: str) -> None:
        await super().on_get(req, resp)

    @route_policy(allow_origins=[ADMIN])
    async def on_put(self, req: Any, resp: Any, **fields: str) -> None:
        await super().on_put(req, resp)


@dataclass
class FalconApi:
    """A running app: its origin, and the responder calls it made, in order."""

    origin: str
    ran: List[str]

    def url(self, path: str) -> str:
        return self.origin + path


def build_app(ran: List[str], **config: Any) -> Any:
    """A ``falcon.asgi.App`` with ``CORSMiddleware(app, **config)`` added before its
    routes, as users write it: ``/items``, ``/items/{item_id}``, ``/orders``, ``/reports``
    and ``/admin`` (whose responders have ``@route_policy``). Each route has a resource of
    its own: a responder served under several templates has one policy, so a pattern for
    ``/reports`` would cover all of them."""
    app = importlib.import_module("falcon.asgi").App()  # no falcon.asgi in Falcon 2.0
    app.add_middleware(CORSMiddleware(app, **config))
    for path in ("/items", "/items/{item_id}", "/orders", "/reports"):
        app.add_route(path, Resource(ran))
    app.add_route("/admin", AdminOnly(ran))
    return app


@pytest.fixture
def serve_asgi(requirements: None) -> Iterator[Callable[[ASGIApp], str]]:
    """``serve_asgi(app)`` serves ``app`` with uvicorn and returns its origin; stopped after."""
    if importlib.util.find_spec("uvicorn") is None:
        unavailable("the plain Falcon browser tests need uvicorn: run `tox -e browser-falcon`")
    with serving(UvicornServer) as serve:
        yield serve


@pytest.fixture
def page_origin(serve_asgi: Callable[[ASGIApp], str]) -> str:
    """The origin of the test pages, http://127.0.0.1:PORT, served by uvicorn."""
    return serve_asgi(asgi_pages)


@pytest.fixture
def serve_app(serve_asgi: Callable[[ASGIApp], str]) -> Callable[..., FalconApi]:
    """``serve_app(front_end, **changes)``: :func:`build_app` on uvicorn, its middleware
    allowing ``front_end`` (with credentials), ``Content-Type`` and ``X-Token``, exposing
    ``X-Total-Count``, and giving ``/reports`` a policy for ``ADMIN`` only; ``changes``
    override any of these."""

    def start(front_end: str, **changes: Any) -> FalconApi:
        config = {
            "allow_origins": [front_end],
            "allow_headers": ["Content-Type", "X-Token"],
            "expose_headers": ["X-Total-Count"],
            "route_policies": {"/reports": CORSPolicy(allow_origins=[ADMIN])},
            **changes,
        }
        ran: List[str] = []
        return FalconApi(serve_asgi(build_app(ran, **config)), ran)

    return start


def assert_allowed(seen: Seen, body: Any) -> None:
    assert seen.allowed, seen
    assert (seen.status, seen.body) == (200, body), seen


def test_an_allowed_page_reads_a_credentialed_get_and_an_exposed_header(
    tab: Tab, serve_app: Callable[..., FalconApi]
) -> None:
    """A ``credentials: "include"`` GET from the listed origin: the cookie reaches the
    responder, and the page reads the JSON body and the exposed ``X-Total-Count``, but not
    ``X-Secret``, which is not exposed."""
    api = serve_app(tab.origin)
    tab.page.context.add_cookies([{"name": "session", "value": "s3cret", "url": api.origin}])
    seen = tab.fetch(api.url("/items"), read=("X-Total-Count", "X-Secret"), credentials="include")
    assert_allowed(seen, {"path": "/items", "session": "s3cret"})
    assert seen.read == {"X-Total-Count": "3", "X-Secret": None}, seen
    assert api.ran == ["GET /items"]


def test_an_allowed_pages_preflighted_put_is_answered_then_sent(
    tab: Tab, serve_app: Callable[..., FalconApi]
) -> None:
    """A PUT with a JSON body and ``X-Token``: the middleware answers its preflight
    (allowing the method and both headers), then Chromium sends the PUT, the responder
    runs once and the page reads its answer."""
    api = serve_app(tab.origin)
    network = NetworkLog(tab.page, api.origin)
    seen = tab.fetch(
        api.url("/items/7"), method="PUT", headers={**JSON, "X-Token": "t1"}, body='{"n": 7}'
    )
    assert_allowed(seen, {"put": "/items/7", "body": {"n": 7}, "x_token": "t1"})
    [preflight] = network.received("OPTIONS")
    assert preflight.headers["access-control-allow-origin"] == tab.origin, preflight
    assert "PUT" in preflight.headers["access-control-allow-methods"], preflight
    allowed_headers = preflight.headers["access-control-allow-headers"].lower().split(",")
    assert {"content-type", "x-token"} <= {name.strip() for name in allowed_headers}, preflight
    assert api.ran == ["PUT /items/7"]


def test_a_refused_page_reads_nothing_and_its_preflighted_write_is_never_sent(
    new_tab: Callable[[], Tab], page_origin: str, serve_app: Callable[..., FalconApi]
) -> None:
    """A page on an origin the middleware does not list: its GET is sent but its fetch()
    rejects (``TypeError: Failed to fetch``); its PUT's preflight is refused, so the PUT
    never reaches the app."""
    api = serve_app(page_origin)
    refused = new_tab().open(localhost(page_origin) + "/")
    network = NetworkLog(refused.page, api.origin)
    read = refused.fetch(api.url("/items"))
    assert read.blocked, read
    write = refused.fetch(api.url("/items/7"), method="PUT", headers=JSON, body="{}")
    assert write.blocked, write
    [preflight] = network.received("OPTIONS")
    assert "access-control-allow-origin" not in preflight.headers, preflight
    assert network.received("PUT") == []
    assert api.ran == ["GET /items"]


@pytest.mark.parametrize("path", ["/admin", "/reports"], ids=["route_policy", "route_policies"])
def test_a_route_policy_refuses_an_origin_the_default_allows(
    tab: Tab, serve_app: Callable[..., FalconApi], path: str
) -> None:
    """``/admin`` (``@route_policy`` on its responders) and ``/reports`` (a
    ``route_policies`` pattern) allow ``ADMIN`` only: the page the middleware allows reads
    ``/items`` but is blocked there, and its preflighted PUT there is never sent."""
    api = serve_app(tab.origin)
    assert_allowed(tab.fetch(api.url("/items")), {"path": "/items", "session": None})
    read = tab.fetch(api.url(path))
    assert read.blocked, read
    write = tab.fetch(api.url(path), method="PUT", headers=JSON, body="{}")
    assert write.blocked, write
    assert api.ran == ["GET /items", f"GET {path}"]


def test_rejecting_cross_origin_writes_stops_a_refused_pages_form_and_no_cors_post(
    tab: Tab, new_tab: Callable[[], Tab], serve_app: Callable[..., FalconApi]
) -> None:
    """With ``reject_cross_origin_writes=True``, a form POST and a ``no-cors`` fetch POST
    from a refused origin, which CORS alone lets through, never run the responder; the
    allowed page's form and JSON POSTs do."""
    api = serve_app(tab.origin, reject_cross_origin_writes=True)
    refused = new_tab().open(localhost(tab.origin) + "/")
    submit_form(refused, api.url("/orders"))
    refused.fetch(api.url("/orders"), method="POST", mode="no-cors", body="amount=1000")
    assert api.ran == []
    submit_form(tab, api.url("/orders"))
    assert_allowed(
        tab.fetch(api.url("/orders"), method="POST", headers=JSON, body="{}"), {"placed": True}
    )
    assert api.ran == ["POST /orders", "POST /orders"]
