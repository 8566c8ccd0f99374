"""The middleware in a plain Falcon app (Falcon 3.1 and 4.x, ``falcon.App`` and
``falcon.asgi.App``), without hug: ``app.add_middleware(CORSMiddleware(app, ...))``. Each
test runs against both kinds of app, the same resources serving both.

It runs in the tox environments of Falcon 3.1 and 4 (hug is not installed there), and is
skipped on Falcon 2.0, whose apps take no middleware once built
(``tests/test_plain_falcon.py`` covers its routers).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import falcon
import pytest
from falcon import testing
from hypothesis import given, settings
from hypothesis import strategies as st

from hug_cors import CORSConfigurationError, CORSMiddleware, CORSPolicy, explain, route_policy
from hug_cors._route_index import RouteIndex
from tests.helpers import for_asgi, new_falcon_app
from tests.stress.support import (
    RawConnection,
    free_port,
    server_process,
    uvicorn_command,
    waitress_command,
)

pytestmark = pytest.mark.skipif(
    not hasattr(falcon, "App"),
    reason="falcon.App is Falcon 3.0 and later; tox -e py38-falcon4 and the others run it",
)

ORIGIN = "https://app.example.com"
EVIL = "https://evil.example"
ADMIN = "https://admin.example.com"


class Items:
    """``/items`` (suffixed responders) and ``/items/{id:int}``; each call is counted."""

    def __init__(self) -> None:
        self.calls: List[str] = []

    def on_get_collection(self, req: Any, resp: Any) -> None:
        self.calls.append("list")
        resp.media = []

    def on_post_collection(self, req: Any, resp: Any) -> None:
        self.calls.append("create")
        resp.media = {"created": True}

    def on_get(self, req: Any, resp: Any, id: int) -> None:
        self.calls.append(f"get {id}")
        if id == 404:
            raise falcon.HTTPNotFound()
        if id == 500:
            raise RuntimeError("the database is down")
        resp.media = {"id": id}

    def on_put(self, req: Any, resp: Any, id: int) -> None:
        self.calls.append(f"put {id}")
        resp.media = {"id": id}

    @route_policy(None)
    def on_delete(self, req: Any, resp: Any, id: int) -> None:
        self.calls.append(f"delete {id}")


class Admin:
    def on_post(self, req: Any, resp: Any) -> None:
        resp.media = {"admin": True}


def sink(req: Any, resp: Any) -> None:
    resp.media = {"sink": req.path}


async def asgi_sink(req: Any, resp: Any) -> None:
    sink(req, resp)


@pytest.fixture(params=["wsgi", "asgi"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def new_app(kind: str) -> Any:
    return new_falcon_app(asgi=kind == "asgi")


def build(kind: str, **config: Any) -> Any:
    """A Falcon app with the middleware added before its routes, as users write it."""
    return build_with_items(kind, **config)[0]


def build_with_items(kind: str, **config: Any) -> Tuple[Any, Items]:
    """:func:`build`'s app, and its ``Items`` resource."""
    app = new_app(kind)
    config.setdefault("allow_origins", [ORIGIN])
    app.add_middleware(CORSMiddleware(app, **config))
    asgi = kind == "asgi"
    items = for_asgi(Items)() if asgi else Items()
    app.add_route("/items", items, suffix="collection")
    app.add_route("/items/{id:int}", items)
    app.add_route("/admin/users", for_asgi(Admin)() if asgi else Admin())
    app.add_sink(asgi_sink if asgi else sink, "/files")
    return app, items


def get(app: Any, path: str, **headers: str) -> Any:
    return testing.TestClient(app).simulate_get(path, headers=headers)


def preflight(app: Any, path: str, method: str, origin: str = ORIGIN, **headers: str) -> Any:
    asked = {"Origin": origin, "Access-Control-Request-Method": method, **headers}
    return testing.TestClient(app).simulate_options(path, headers=asked)


def allowed_methods(response: Any) -> Optional[List[str]]:
    value = response.headers.get("access-control-allow-methods")
    return None if value is None else value.split(", ")


def test_an_allowed_origin_gets_its_headers_and_vary(kind: str) -> None:
    response = get(build(kind), "/items/1", Origin=ORIGIN)
    assert response.json == {"id": 1}
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "Origin"


def test_a_refused_origin_gets_no_cors_header_and_a_vary(kind: str) -> None:
    response = get(build(kind), "/items/1", Origin=EVIL)
    assert [name for name in response.headers if name.startswith("access-control-")] == []
    assert response.headers["vary"] == "Origin"


def test_a_repeated_origin_header_is_refused(kind: str) -> None:
    """Servers and Falcon join repeated headers with commas: no origin looks like that."""
    client = testing.TestClient(build(kind))
    for method in ("GET", "OPTIONS"):
        headers = [("Origin", ORIGIN), ("Origin", ORIGIN), ("Access-Control-Request-Method", "PUT")]
        response = client.simulate_request(method, "/items/1", headers=headers)
        assert "access-control-allow-origin" not in response.headers, method
        assert "Origin" in response.headers["vary"]


def test_errors_carry_the_headers_falcons_and_uncaught_ones(kind: str) -> None:
    """Falcon 3 and later answer an uncaught exception with a 500 of their own, which runs
    through process_response: the page can read it without handle_uncaught_errors."""
    app = build(kind)
    for path, status in (("/items/404", 404), ("/items/500", 500), ("/nowhere", 404)):
        response = get(app, path, Origin=ORIGIN)
        assert response.status_code == status
        assert response.headers["access-control-allow-origin"] == ORIGIN
        assert "Origin" in response.headers["vary"]  # merged with Falcon's "Accept"
    assert "database" not in get(app, "/items/500", Origin=ORIGIN).text


def test_preflights_list_the_methods_of_the_route_suffixed_responders_included(kind: str) -> None:
    app, items = build_with_items(kind)
    assert allowed_methods(preflight(app, "/items", "POST")) == ["GET", "OPTIONS", "POST"]
    assert allowed_methods(preflight(app, "/items/7", "PUT")) == [
        "DELETE",
        "GET",
        "OPTIONS",
        "PUT",
    ]
    assert allowed_methods(preflight(app, "/items", "PUT")) is None  # not served there
    assert items.calls == []  # no preflight ran a responder


def test_a_field_converter_that_refuses_the_value_means_no_route(kind: str) -> None:
    app = build(kind)
    assert allowed_methods(preflight(app, "/items/7", "PUT")) is not None
    assert allowed_methods(preflight(app, "/items/seven", "PUT")) is None
    assert get(app, "/items/seven", Origin=ORIGIN).status_code == 404


def test_routes_added_after_requests_are_served_are_found(kind: str) -> None:
    app = build(kind)
    assert allowed_methods(preflight(app, "/later", "PUT")) is None
    app.add_route("/later", for_asgi(Items)() if kind == "asgi" else Items())  # has on_put
    assert "PUT" in (allowed_methods(preflight(app, "/later", "PUT")) or [])


def test_a_sink_added_after_requests_are_served_keeps_its_own_policy(kind: str) -> None:
    """Falcon's add_sink leaves the router as it was: the sink's policy must still count."""
    app = build(kind)
    assert get(app, "/private/x", Origin=ORIGIN).headers["access-control-allow-origin"]

    @route_policy(None)
    def private(req: Any, resp: Any) -> None:
        resp.media = "private"

    @route_policy(None)
    async def private_async(req: Any, resp: Any) -> None:
        private(req, resp)

    app.add_sink(private_async if kind == "asgi" else private, "/private")
    answered = get(app, "/private/x", Origin=ORIGIN)
    assert answered.json == "private"
    assert "access-control-allow-origin" not in answered.headers
    assert allowed_methods(preflight(app, "/private/x", "PUT")) is None


def test_a_plain_options_gets_the_routes_methods(kind: str) -> None:
    response = testing.TestClient(build(kind)).simulate_options(
        "/items", headers={"Origin": ORIGIN}
    )
    assert response.headers["allow"] == "GET, OPTIONS, POST"
    assert response.headers["access-control-allow-origin"] == ORIGIN


def test_a_responders_own_policy_and_path_patterns_decide_per_route(kind: str) -> None:
    admin = CORSPolicy(allow_origins=[ADMIN])
    app = build(kind, route_policies={"/admin/*": admin})
    deleted = testing.TestClient(app).simulate_delete("/items/1", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in deleted.headers  # on_delete: route_policy(None)
    assert allowed_methods(preflight(app, "/items/1", "DELETE")) is None
    assert allowed_methods(preflight(app, "/admin/users", "POST", origin=ADMIN)) is not None
    assert allowed_methods(preflight(app, "/admin/users", "POST")) is None
    assert allowed_methods(preflight(app, "/items/1", "PUT")) is not None


def test_sinks_answer_preflights_for_the_methods_they_serve(kind: str) -> None:
    app = build(kind)
    assert "PUT" in (allowed_methods(preflight(app, "/files/report", "PUT")) or [])
    assert get(app, "/files/report", Origin=ORIGIN).headers["access-control-allow-origin"]


def test_debug_mode_says_why_and_logs_it(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    app = build(kind, debug=True)
    with caplog.at_level(logging.WARNING, logger="hug_cors"):
        refused = preflight(app, "/items/1", "PATCH")
    assert refused.headers["hug-cors-refused"] == "method 'PATCH' is not allowed"
    assert refused.json["refused"] == "method 'PATCH' is not allowed"
    assert "method 'PATCH' is not allowed" in caplog.text


def test_configure_changes_every_later_answer(kind: str) -> None:
    app = new_app(kind)
    cors = CORSMiddleware(app, allow_origins=[ORIGIN])
    app.add_middleware(cors)
    app.add_route("/items/{id:int}", for_asgi(Items)() if kind == "asgi" else Items())
    assert "access-control-allow-origin" not in get(app, "/items/1", Origin=ADMIN).headers
    cors.configure(allow_origins=[ORIGIN, ADMIN])
    assert get(app, "/items/1", Origin=ADMIN).headers["access-control-allow-origin"] == ADMIN


def test_explain_says_what_the_browser_does_under_the_apps_middleware(kind: str) -> None:
    cors = CORSMiddleware(new_app(kind), allow_origins=[ORIGIN], allow_headers=["X-Token"])
    assert explain(cors, ORIGIN, "PUT", ["X-Token"], route_methods=["PUT"]).allowed
    refused = explain(cors, ORIGIN, "PUT", ["X-Other"], route_methods=["PUT"])
    assert not refused.allowed
    assert refused.fix == "add 'X-Other' to allow_headers"


@pytest.mark.parametrize(
    ("headers", "runs"),
    [
        ({"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}, False),
        ({"Origin": EVIL}, False),  # a browser from before Sec-Fetch-Site: Origin vs Host
        ({"Origin": ORIGIN, "Sec-Fetch-Site": "cross-site"}, True),
        ({"Origin": "http://falconframework.org", "Sec-Fetch-Site": "same-origin"}, True),
        ({}, True),  # not a browser
    ],
)
def test_cross_origin_writes_are_refused_before_the_responder(
    kind: str, headers: Dict[str, str], runs: bool
) -> None:
    app, items = build_with_items(kind, reject_cross_origin_writes=True)
    response = testing.TestClient(app).simulate_put("/items/3", headers=headers)
    assert response.status_code == (200 if runs else 403)
    assert items.calls == (["put 3"] if runs else [])


def test_handle_uncaught_errors_is_refused_with_the_reason(kind: str) -> None:
    with pytest.raises(CORSConfigurationError) as refused:
        CORSMiddleware(new_app(kind), handle_uncaught_errors=True)
    assert refused.value.parameter == "handle_uncaught_errors"
    assert "Falcon 3 and later answer an uncaught exception" in str(refused.value)


def wsgi_app() -> Any:
    """:func:`build`'s WSGI app, for ``waitress --call tests.test_falcon_app:wsgi_app``."""
    return build("wsgi")


def asgi_app() -> Any:
    """:func:`build`'s ASGI app, for ``uvicorn --factory tests.test_falcon_app:asgi_app``."""
    return build("asgi")


def server_command(kind: str, port: int) -> List[str]:
    if kind == "wsgi":
        return waitress_command(port, "tests.test_falcon_app:wsgi_app", threads=2)
    return uvicorn_command(port, "tests.test_falcon_app:asgi_app")


def test_on_a_real_server_a_preflight_keeps_the_connection_open(kind: str, tmp_path: Path) -> None:
    """waitress for the WSGI app, uvicorn for the ASGI one."""
    port = free_port()
    with server_process(server_command(kind, port), port, tmp_path / "server.log"):
        connection = RawConnection(port)
        try:
            for method, extra in (
                ("OPTIONS", "Access-Control-Request-Method: PUT\r\n"),
                ("PUT", ""),
            ):
                raw = (
                    f"{method} /items/1 HTTP/1.1\r\nHost: api.example.com\r\n"
                    f"Origin: {ORIGIN}\r\n{extra}Content-Length: 0\r\n\r\n"
                )
                response = connection.request(raw.encode("ascii"))
                assert response.get("access-control-allow-origin") == ORIGIN, method
            assert connection.reconnects == 1  # both on one connection
            assert not connection.closed_by_server()
        finally:
            connection.close()


SEGMENTS = st.sampled_from(["a", "b", "items", "{id}", "{name}", "v{version}", "x{y}z"])


@settings(max_examples=200, deadline=None)
@given(
    templates=st.lists(st.lists(SEGMENTS, min_size=1, max_size=3), min_size=1, max_size=6),
    paths=st.lists(
        st.lists(st.sampled_from(["a", "b", "items", "v1", "xqz", "7", ""]), max_size=4),
        min_size=1,
        max_size=8,
    ),
)
def test_the_route_index_finds_what_falcons_router_finds(
    templates: List[List[str]], paths: List[List[str]]
) -> None:
    """A differential test against this Falcon's own CompiledRouter.find."""
    router = falcon.routing.CompiledRouter()
    added = []
    for segments in templates:
        template = "/" + "/".join(segments)
        resource = type("Resource", (), {"on_get": lambda self, req, resp, **kw: None})()
        try:
            router.add_route(template, resource)
        except ValueError:  # two fields where Falcon allows one
            continue
        added.append(template)
    index = RouteIndex.build(router)
    assert index is not None or not added
    for segments in paths:
        path = "/" + "/".join(segments)
        found = router.find(path)
        route = index.find(path) if index is not None else None
        expected = None if found is None else found[0]
        assert (route.resource if route is not None else None) is expected, (added, path)
