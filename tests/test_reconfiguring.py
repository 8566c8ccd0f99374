"""Run-time reconfiguration: configure() checks, then swaps the whole policy at once."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List, Set

import hug
import pytest
from falcon import testing

from hug_cors import CORSMiddleware
from tests.helpers import ORIGIN, OTHER_ORIGIN, cors_headers, preflight

_names = itertools.count()


def build(**config: Any) -> Any:
    api = hug.API(f"configure_{next(_names)}")  # hug keeps one API per name
    middleware = CORSMiddleware(api, **config)
    api.http.add_middleware(middleware)

    @hug.get("/demo", api=api)
    def demo() -> str:
        return "ok"

    @hug.put("/demo/{id}", api=api)
    def put(id: str) -> str:
        return id

    return api, middleware


def test_configure_swaps_in_a_new_policy() -> None:
    api, middleware = build(allow_origins=[ORIGIN], max_age=60)
    middleware.configure(allow_origins=[OTHER_ORIGIN])
    assert middleware.allow_origins == [OTHER_ORIGIN]
    assert cors_headers(preflight(api, origin=ORIGIN)) == {}
    answered = cors_headers(preflight(api, origin=OTHER_ORIGIN))
    assert answered["access-control-allow-origin"] == OTHER_ORIGIN
    assert answered["access-control-max-age"] == "60"  # what was not given is kept


def test_configure_changes_the_policies_of_routes_already_served() -> None:
    """Responses after configure() answer under the new route policies, also for routes
    whose policy the middleware had already looked up."""
    api, middleware = build(allow_origins=[ORIGIN], route_policies={"/demo": None})
    client = testing.TestClient(api.http.server())
    page = {"Origin": ORIGIN}
    assert "Access-Control-Allow-Origin" not in client.simulate_get("/demo", headers=page).headers
    middleware.configure(route_policies={})
    answered = client.simulate_get("/demo", headers=page)
    assert answered.headers["Access-Control-Allow-Origin"] == ORIGIN
    middleware.configure(route_policies={"/demo": None})
    assert "Access-Control-Allow-Origin" not in client.simulate_get("/demo", headers=page).headers


def test_a_failed_configure_leaves_the_old_policy_in_place() -> None:
    api, middleware = build(allow_origins=[ORIGIN])
    old = middleware.policy
    with pytest.raises(ValueError, match="trailing slash"):
        middleware.configure(allow_origins=["https://new.example.com/"])
    with pytest.raises(TypeError, match="unknown parameter 'allow_origin'"):
        middleware.configure(allow_origin=[OTHER_ORIGIN])
    with pytest.raises(TypeError, match="unknown parameter 'api'"):
        middleware.configure(api=None)
    assert middleware.policy is old
    assert cors_headers(preflight(api))["access-control-allow-origin"] == ORIGIN


def test_the_middleware_stays_immutable_but_through_configure() -> None:
    _, middleware = build()
    with pytest.raises(AttributeError, match="use configure"):
        middleware._settings = None


def test_requests_in_flight_see_the_old_or_the_new_policy_never_a_mix() -> None:
    """Two policies that differ in every header; readers must only ever see one whole."""
    first = {"allow_origins": [ORIGIN], "expose_headers": ["X-First"], "max_age": 1}
    second = {"allow_origins": [ORIGIN], "expose_headers": ["X-Second"], "max_age": 2}
    api, middleware = build(**first)
    client = testing.TestClient(api.http.server())
    seen: Set[Any] = set()
    errors: List[str] = []
    stop = threading.Event()

    def swap() -> None:
        for n in range(400):
            middleware.configure(**(second if n % 2 else first))
        stop.set()

    def read(_: int) -> None:
        while not stop.is_set():
            answer = client.simulate_options(
                "/demo/1", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
            ).headers
            actual = client.simulate_get("/demo", headers={"Origin": ORIGIN}).headers
            seen.add(answer["Access-Control-Max-Age"])
            if actual.get("Access-Control-Expose-Headers") not in ("x-first", "x-second"):
                errors.append(repr(actual))

    with ThreadPoolExecutor(max_workers=5) as pool:
        readers = [pool.submit(read, n) for n in range(4)]
        pool.submit(swap).result(timeout=60)
        for reader in readers:
            reader.result(timeout=60)
    assert errors == []
    assert seen == {"1", "2"}
