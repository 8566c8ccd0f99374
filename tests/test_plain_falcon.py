"""The same class in a plain Falcon 2.0 app: route-aware through Falcon's own router."""

from __future__ import annotations

from typing import Any

import falcon
import pytest
from falcon import testing
from falcon.routing import CompiledRouter

from hug_cors import CORSConfigurationTypeError, CORSMiddleware, route_policy
from tests.helpers import RefuseEverything, configuration_error

ORIGIN = "https://app.example.com"


class Items:
    def on_get(self, req: Any, resp: Any, item_id: str) -> None:
        resp.media = {"id": item_id}

    def on_put(self, req: Any, resp: Any, item_id: str) -> None:
        resp.media = {"id": item_id}

    @route_policy(None)
    def on_delete(self, req: Any, resp: Any, item_id: str) -> None:
        resp.media = {"deleted": item_id}


def client(api: Any, **config: Any) -> testing.TestClient:
    router = api if isinstance(api, CompiledRouter) else None
    app = falcon.API(middleware=[CORSMiddleware(api, **config)], router=router)
    app.add_route("/items/{item_id}", Items())
    return testing.TestClient(app)


def ask(app: testing.TestClient, method: str) -> Any:
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": method}
    return app.simulate_options("/items/1", headers=headers)


def test_with_falcons_router_a_preflight_allows_the_routes_methods() -> None:
    app = client(CompiledRouter(), allow_origins=[ORIGIN])
    answer = ask(app, "PUT")
    assert answer.status_code == 200
    assert answer.content == b""
    assert answer.headers["Content-Length"] == "0"
    assert answer.headers["Access-Control-Allow-Methods"] == "DELETE, GET, OPTIONS, PUT"
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Origin" not in ask(app, "PATCH").headers


class Reports:
    def on_get(self, req: Any, resp: Any, **fields: Any) -> None:
        resp.media = fields

    def on_put(self, req: Any, resp: Any, **fields: Any) -> None:
        resp.media = fields


def test_a_route_added_after_requests_were_served_is_found() -> None:
    app = client(CompiledRouter(), allow_origins=[ORIGIN])
    assert ask(app, "PUT").headers["Access-Control-Allow-Methods"] == "DELETE, GET, OPTIONS, PUT"
    app.app.add_route("/reports/{year}", Reports())
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    answer = app.simulate_options("/reports/2026", headers=headers)
    assert answer.headers["Access-Control-Allow-Methods"] == "GET, OPTIONS, PUT"


def test_routes_with_field_converters_are_found_by_falcons_router() -> None:
    app = client(CompiledRouter(), allow_origins=[ORIGIN])
    app.app.add_route("/items/{item_id}/reports/{year:int}", Reports())
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    answer = app.simulate_options("/items/1/reports/2026", headers=headers)
    assert answer.headers["Access-Control-Allow-Methods"] == "GET, OPTIONS, PUT"
    # Not a year: the converter refuses it, no route is found, and PUT is refused.
    refused = app.simulate_options("/items/1/reports/later", headers=headers)
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_actual_responses_get_cors_headers() -> None:
    app = client(CompiledRouter(), allow_origins=[ORIGIN])
    result = app.simulate_get("/items/1", headers={"Origin": ORIGIN})
    assert result.json == {"id": "1"}
    assert result.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert result.headers["Vary"] == "Origin"


def test_a_route_policy_on_a_falcon_responder() -> None:
    app = client(CompiledRouter(), allow_origins=[ORIGIN])
    assert "Access-Control-Allow-Origin" not in ask(app, "DELETE").headers
    deleted = app.simulate_delete("/items/1", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in deleted.headers


def test_without_a_router_configured_methods_apply() -> None:
    app = client(None, allow_origins=[ORIGIN], allow_methods=["PUT"])
    assert ask(app, "PUT").headers["Access-Control-Allow-Methods"] == "PUT"
    # No router, so no route is known: only the safelisted methods pass by default.
    bare = client(None, allow_origins=[ORIGIN])
    assert "Access-Control-Allow-Origin" not in ask(bare, "PUT").headers
    assert ask(bare, "GET").headers["Access-Control-Allow-Origin"] == ORIGIN


@pytest.mark.parametrize("api", ["my_api", falcon.API()])
def test_anything_else_is_refused_with_the_forms_that_work(api: Any) -> None:
    refused = configuration_error(
        lambda: CORSMiddleware(api), "api", api, CORSConfigurationTypeError
    )
    assert (
        refused.problem
        == f"api must be a hug.API, a falcon.App, a Falcon router or None, not {api!r}:"
    )


class PathRouter:
    """A router of its own (not Falcon's CompiledRouter): one resource per exact path."""

    def __init__(self) -> None:
        self.routes: dict = {}

    def add_route(self, template: str, resource: Any, **kwargs: Any) -> None:
        self.routes[template] = resource

    def find(self, path: str, req: Any = None) -> Any:
        resource = self.routes.get(path)
        if resource is None:
            return None
        methods = {"GET": resource.on_get}
        return resource, methods, {}, None if path == "/untemplated" else path


class Report:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.media = "report"


class Exempt:
    @route_policy(None)
    def on_get(self, req: Any, resp: Any) -> None:
        resp.media = "exempt"


def test_a_router_of_its_own_gets_policies_from_its_templates_and_responders() -> None:
    router = PathRouter()
    middleware = CORSMiddleware(
        router, allow_origins=[ORIGIN], route_policies={"/admin/*": None, "/untemplated": None}
    )
    app = falcon.API(middleware=[middleware], router=router)
    for path in ("/admin/report", "/report", "/untemplated"):
        app.add_route(path, Report())
    app.add_route("/exempt", Exempt())
    test = testing.TestClient(app)
    headers = {"Origin": ORIGIN}
    # The template the router returns, else the path, decides the pattern; the
    # responder's own policy wins over both.
    assert (
        "access-control-allow-origin"
        not in test.simulate_get("/admin/report", headers=headers).headers
    )
    assert (
        "access-control-allow-origin"
        not in test.simulate_get("/untemplated", headers=headers).headers
    )
    assert (
        "access-control-allow-origin" not in test.simulate_get("/exempt", headers=headers).headers
    )
    assert (
        test.simulate_get("/report", headers=headers).headers["access-control-allow-origin"]
        == ORIGIN
    )
    preflight = {**headers, "Access-Control-Request-Method": "GET"}
    assert (
        "access-control-allow-origin"
        not in test.simulate_options("/admin/report", headers=preflight).headers
    )
    assert (
        test.simulate_options("/report", headers=preflight).headers["access-control-allow-origin"]
        == ORIGIN
    )


def get_from_the_page(app: testing.TestClient, path: str) -> Any:
    return app.simulate_get(path, headers={"Origin": ORIGIN})


def test_one_resource_under_two_routes_has_the_policy_of_both() -> None:
    """The same responder served at ``/admin/report`` and at ``/report``: the admin
    pattern covers it on both paths, or ``/report`` would be a way around it."""
    router = CompiledRouter()
    app = falcon.API(
        middleware=[
            CORSMiddleware(router, allow_origins=[ORIGIN], route_policies={"/admin/*": None})
        ],
        router=router,
    )
    report = Report()
    app.add_route("/admin/report", report)
    app.add_route("/report", report)
    client = testing.TestClient(app)
    for path in ("/admin/report", "/report"):
        response = get_from_the_page(client, path)
        assert response.json == "report"
        assert "Access-Control-Allow-Origin" not in response.headers, path


def test_two_resources_of_one_class_keep_their_own_policies() -> None:
    """Two instances of one resource class are two routes: the admin pattern on one never
    reaches the other."""
    router = CompiledRouter()
    app = falcon.API(
        middleware=[
            CORSMiddleware(router, allow_origins=[ORIGIN], route_policies={"/admin/*": None})
        ],
        router=router,
    )
    app.add_route("/admin/report", Report())
    app.add_route("/report", Report())
    client = testing.TestClient(app)
    assert "Access-Control-Allow-Origin" not in get_from_the_page(client, "/admin/report").headers
    assert get_from_the_page(client, "/report").headers["Access-Control-Allow-Origin"] == ORIGIN


class TenantRouter(PathRouter):
    """A router of one's own that routes by the request, not the path alone."""

    def find(self, uri: str, req: Any = None) -> Any:
        if uri == "/exempt" and req is not None and req.get_header("X-Tenant") == "a":
            resource = Exempt()
            return resource, {"GET": resource.on_get}, {}, "/exempt"
        return None


def test_a_response_made_before_routing_asks_a_router_of_ones_own_with_the_request() -> None:
    router = TenantRouter()
    middleware = [RefuseEverything(), CORSMiddleware(router, allow_origins=[ORIGIN])]
    client = testing.TestClient(falcon.API(middleware=middleware, router=router))
    answered = client.simulate_get("/exempt", headers={"Origin": ORIGIN, "X-Tenant": "a"})
    assert answered.status_code == 403
    assert "Access-Control-Allow-Origin" not in answered.headers  # the route's own policy
    answered = client.simulate_get("/exempt", headers={"Origin": ORIGIN, "X-Tenant": "b"})
    assert answered.headers["Access-Control-Allow-Origin"] == ORIGIN  # no route: the default


class ModulelessResponder:
    """A responder without ``__module__``, as ``functools.partial`` objects (Falcon's own
    default responders) are before Python 3.10."""

    def __getattribute__(self, name: str) -> Any:
        if name == "__module__":
            raise AttributeError(name)
        return super().__getattribute__(name)

    def __call__(self, req: Any, resp: Any) -> None:
        resp.media = "moduleless"


class Moduleless:
    on_get = ModulelessResponder()


def test_a_responder_without_a_module_is_served_with_cors() -> None:
    router = CompiledRouter()
    app = falcon.API(middleware=[CORSMiddleware(router, allow_origins=[ORIGIN])], router=router)
    app.add_route("/moduleless", Moduleless())
    answered = testing.TestClient(app).simulate_get("/moduleless", headers={"Origin": ORIGIN})
    assert answered.json == "moduleless"
    assert answered.headers["Access-Control-Allow-Origin"] == ORIGIN
