"""Preflights to what only hug has: its own OPTIONS handlers, ``hug.sink`` and versioned
routes (``/v1/...``). Plain Falcon's sinks are in ``test_falcon_app.py``."""

from __future__ import annotations

from typing import Any, List

import hug
import pytest

from hug_cors import CORSMiddleware
from tests.helpers import ORIGIN, call, cors_headers, preflight


def test_a_preflight_never_runs_the_users_function() -> None:
    calls: List[str] = []
    api = hug.API("preflight_never_runs_handler")
    api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN]))

    @hug.options("/tracked", api=api)
    def tracked() -> str:
        calls.append("options")
        return "ran"

    assert preflight(api, "/tracked", "GET").status == "200 OK"
    assert calls == []
    assert call(api, "OPTIONS", "/tracked").data == "ran"  # a plain OPTIONS does reach it
    assert calls == ["options"]


def test_a_preflight_to_a_versioned_route_allows_the_methods_the_route_serves(api: Any) -> None:
    allowed = cors_headers(preflight(api, "/v1/demo/1", "DELETE"))
    assert allowed["access-control-allow-methods"] == "DELETE, GET, OPTIONS, PUT"


# A sink (hug.sink) serves every method: Falcon hands it every request under its prefix.

SINK_METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"


def sink_api(**config: Any) -> Any:
    """``/files`` is a sink that says which method reached it; ``/files/list`` a GET route
    under its prefix (Falcon tries routes first: the sink never sees that path)."""
    api = hug.API(f"sink_preflights_{len(config)}_{sorted(config)}")
    api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN], **config))
    hug.sink("/files", api=api)(lambda request: request.method)
    hug.get("/files/list", api=api)(lambda: ["a.txt"])
    return api


@pytest.mark.parametrize("method", SINK_METHODS.split(", "))
def test_a_preflight_to_a_sink_may_ask_for_any_method_the_sink_then_serves(method: str) -> None:
    """Differential: what the preflight allows is what Falcon then hands the sink."""
    api = sink_api()
    allowed = cors_headers(preflight(api, "/files/report.pdf", method))
    assert allowed["access-control-allow-methods"] == SINK_METHODS
    response = call(api, method, "/files/report.pdf", {"Origin": ORIGIN})
    assert response.status == "200 OK"
    if method != "HEAD":
        assert response.data == method  # the sink ran
    assert cors_headers(response)["access-control-allow-origin"] == ORIGIN


def test_a_route_under_a_sinks_prefix_keeps_its_own_methods() -> None:
    api = sink_api()
    assert cors_headers(preflight(api, "/files/list", "PUT")) == {}
    assert call(api, "PUT", "/files/list", {"Origin": ORIGIN}).status == "405 Method Not Allowed"
    listed = cors_headers(preflight(api, "/files/list", "GET"))["access-control-allow-methods"]
    assert listed == "GET, OPTIONS"


def test_a_path_no_route_or_sink_serves_still_serves_no_method() -> None:
    api = sink_api()
    assert cors_headers(preflight(api, "/nothing", "PUT")) == {}  # hug's not-found handler


def test_listed_methods_hold_for_sinks_too() -> None:
    api = sink_api(allow_methods=["PUT"])
    assert cors_headers(preflight(api, "/files/a", "PUT"))["access-control-allow-methods"] == "PUT"
    assert cors_headers(preflight(api, "/files/a", "DELETE")) == {}
