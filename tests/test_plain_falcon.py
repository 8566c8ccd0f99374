"""The same class in a plain Falcon 2.0 app: route-aware through Falcon's own router."""

from __future__ import annotations

from typing import Any

import falcon
import pytest
from falcon import testing
from falcon.routing import CompiledRouter

from hug_cors import CORSMiddleware, route_policy

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
    with pytest.raises(TypeError, match=r"a hug\.API, a Falcon router or None"):
        CORSMiddleware(api)
