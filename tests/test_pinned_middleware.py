"""The middleware's answers, pinned header by header: which policy's allow_methods a
preflight uses, ordinary apps, path patterns, configure() in plain Falcon and in hug,
debug mode's answers, how refusals are logged, routers of one's own, and APIs side by side.

Every decorated function and resource is made inside the test that uses it, for a hug
API of its own: importing this module changes nothing that other tests see.
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import re
import threading
import warnings
from typing import Any, Dict, List, Optional, Tuple

import falcon
import hug
import pytest
from falcon import testing
from falcon.routing import CompiledRouter

from hug_cors import CORSConfigurationWarning, CORSMiddleware, CORSPolicy, route_policy
from tests.helpers import ORIGIN, OTHER_ORIGIN, build_api, call, cors_headers, preflight

_names = itertools.count()

PREFLIGHT_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network"
)
# What a preflight's answer comes down to: its Access-Control-* headers and its Vary.
Outcome = Tuple[Dict[str, str], Optional[str]]
REFUSED: Outcome = ({}, PREFLIGHT_VARY)  # answered by the middleware, without a grant
LEFT_TO_THE_APP: Outcome = ({}, None)  # not answered by the middleware at all


def allowed(methods: str) -> Outcome:
    """A preflight from ORIGIN granted, with credentials, for ``methods``."""
    grant = {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": methods,
    }
    return grant, PREFLIGHT_VARY


def outcome(response: Any) -> Outcome:
    return cors_headers(response), response.headers_dict.get("vary")


def items_api(own: Optional[Dict[str, Any]] = None, **config: Any) -> hug.API:
    """A fresh hug API: GET, PUT, DELETE /items/{id} and GET, POST /items.

    ``own`` gives some of the /items/{id} functions a ``@route_policy``: by method, the
    keyword arguments of ``route_policy`` (``allow_origins`` is ``[ORIGIN]`` unless
    given), or ``None`` for ``@route_policy(None)``.
    """
    own = own or {}
    api = hug.API(f"pinned_middleware_{next(_names)}")
    api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN], **config))

    def with_own_policy(method: str, function: Any) -> Any:
        if method not in own:
            return function
        policy = own[method]
        if policy is None:
            return route_policy(None)(function)
        return route_policy(**{"allow_origins": [ORIGIN], **policy})(function)

    def get_item(id: str) -> str:
        return id

    def put_item(id: str) -> str:
        return "put " + id

    def delete_item(id: str) -> str:
        return "deleted " + id

    hug.get("/items/{id}", api=api)(with_own_policy("GET", get_item))
    hug.put("/items/{id}", api=api)(with_own_policy("PUT", put_item))
    hug.delete("/items/{id}", api=api)(with_own_policy("DELETE", delete_item))

    @hug.get("/items", api=api)
    def list_items() -> List[str]:
        return []

    @hug.post("/items", api=api)
    def add_item() -> str:
        return "added"

    return api


# --- A route's own policy decides which allow_methods a preflight uses ---------------

ROUTE_METHODS = "DELETE, GET, OPTIONS, PUT"


@pytest.mark.parametrize(
    ("config", "own", "method", "expected"),
    [
        # No decorator: the middleware's allow_methods.
        ({"allow_methods": ["PUT"]}, {}, "PUT", allowed("PUT")),
        ({"allow_methods": ["PUT"]}, {}, "DELETE", REFUSED),
        # A decorated DELETE with the route's methods, under a middleware that lists PUT.
        ({"allow_methods": ["PUT"]}, {"DELETE": {}}, "DELETE", allowed(ROUTE_METHODS)),
        ({"allow_methods": ["PUT"]}, {"DELETE": {}}, "PUT", allowed("PUT")),
        # A decorated DELETE that lists its methods, under a route-aware middleware.
        ({}, {"DELETE": {"allow_methods": ["DELETE"]}}, "DELETE", allowed("DELETE")),
        ({}, {"DELETE": {"allow_methods": ["DELETE"]}}, "PUT", allowed(ROUTE_METHODS)),
        # Both list methods: each preflight gets its own function's list.
        (
            {"allow_methods": ["PUT"]},
            {"DELETE": {"allow_methods": ["DELETE"]}},
            "DELETE",
            allowed("DELETE"),
        ),
        (
            {"allow_methods": ["PUT"]},
            {"DELETE": {"allow_methods": ["DELETE"]}},
            "PUT",
            allowed("PUT"),
        ),
        # @route_policy(None): the app answers that method's preflight; the others are
        # the middleware's.
        ({"allow_methods": ["PUT", "DELETE"]}, {"DELETE": None}, "DELETE", LEFT_TO_THE_APP),
        ({"allow_methods": ["PUT", "DELETE"]}, {"DELETE": None}, "PUT", allowed("PUT, DELETE")),
        ({"allow_methods": ["PUT", "DELETE"]}, {"PUT": None}, "PUT", LEFT_TO_THE_APP),
        ({"allow_methods": ["PUT", "DELETE"]}, {"PUT": None}, "DELETE", allowed("PUT, DELETE")),
        ({}, {"PUT": None}, "DELETE", allowed(ROUTE_METHODS)),
        # A method no function serves has no own policy: the middleware's applies.
        ({"allow_methods": ["PUT"]}, {"DELETE": {}}, "PATCH", REFUSED),
        ({}, {"DELETE": {"allow_methods": ["DELETE"]}}, "PATCH", REFUSED),
    ],
)
def test_a_preflight_uses_the_allow_methods_of_the_function_it_asks_about(
    config: Dict[str, Any], own: Dict[str, Any], method: str, expected: Outcome
) -> None:
    api = items_api(own, **config)
    answer = preflight(api, "/items/1", method)
    assert answer.status == "200 OK"
    assert outcome(answer) == expected


def test_a_preflight_left_to_the_app_gets_falcons_own_options_answer() -> None:
    api = items_api({"DELETE": None}, allow_methods=["PUT", "DELETE"])
    answer = preflight(api, "/items/1", "DELETE")
    assert answer.status == "200 OK"
    assert answer.headers_dict["allow"] == "DELETE, GET, PUT"
    assert "access-control-allow-methods" not in answer.headers_dict


# --- An ordinary app: no decorator, no pattern ---------------------------------------


@pytest.mark.parametrize(
    ("path", "method", "expected"),
    [
        ("/demo/1", "PUT", allowed("DELETE, GET, OPTIONS, PUT")),
        ("/demo/1", "DELETE", allowed("DELETE, GET, OPTIONS, PUT")),
        ("/demo/1", "PATCH", REFUSED),
        ("/demo", "POST", allowed("GET, OPTIONS, POST")),
        ("/demo", "PUT", REFUSED),
        ("/demo", "DELETE", REFUSED),
        ("/nowhere", "PUT", REFUSED),
    ],
)
def test_an_ordinary_app_allows_a_preflight_the_methods_of_its_route(
    path: str, method: str, expected: Outcome
) -> None:
    answer = preflight(build_api(allow_origins=[ORIGIN]), path, method)
    assert answer.status == "200 OK"
    assert outcome(answer) == expected
    assert answer.data is None


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/demo"), ("PUT", "/demo/1"), ("DELETE", "/demo/1")]
)
def test_an_ordinary_apps_responses_grant_the_origin_with_credentials(
    method: str, path: str
) -> None:
    api = build_api(allow_origins=[ORIGIN])
    granted = call(api, method, path, {"Origin": ORIGIN})
    assert granted.status == "200 OK"
    assert outcome(granted) == (
        {"access-control-allow-origin": ORIGIN, "access-control-allow-credentials": "true"},
        "Origin",
    )
    assert outcome(call(api, method, path, {"Origin": OTHER_ORIGIN})) == ({}, "Origin")


# --- A path pattern's policy lists the methods, no decorator --------------------------


# The pattern lists DELETE; the middleware's default is the route's methods.
DELETE_BY_PATTERN = {
    "route_policies": {"/items/*": CORSPolicy(allow_origins=[ORIGIN], allow_methods=["DELETE"])}
}
# The pattern takes the route's methods; the middleware lists PUT.
ROUTES_METHODS_BY_PATTERN = {
    "allow_methods": ["PUT"],
    "route_policies": {"/items/*": CORSPolicy(allow_origins=[ORIGIN])},
}


@pytest.mark.parametrize(
    ("config", "path", "method", "expected"),
    [
        (DELETE_BY_PATTERN, "/items/1", "DELETE", allowed("DELETE")),
        (DELETE_BY_PATTERN, "/items/1", "PUT", REFUSED),
        (DELETE_BY_PATTERN, "/items", "POST", allowed("GET, OPTIONS, POST")),  # no match
        (ROUTES_METHODS_BY_PATTERN, "/items/1", "DELETE", allowed(ROUTE_METHODS)),
        (ROUTES_METHODS_BY_PATTERN, "/items/1", "PATCH", REFUSED),
        (ROUTES_METHODS_BY_PATTERN, "/items", "PUT", allowed("PUT")),  # no match
        (ROUTES_METHODS_BY_PATTERN, "/items", "DELETE", REFUSED),  # no match
    ],
)
def test_a_preflight_to_a_patterns_route_uses_the_patterns_methods(
    config: Dict[str, Any], path: str, method: str, expected: Outcome
) -> None:
    answer = preflight(items_api(**config), path, method)
    assert answer.status == "200 OK"
    assert outcome(answer) == expected


# --- configure() ------------------------------------------------------------------------


def falcon_client(router: Any, **config: Any) -> Tuple[testing.TestClient, CORSMiddleware]:
    """A plain Falcon app serving GET, PUT, DELETE /items/{item_id}, with ``router``
    (a CompiledRouter, or None for Falcon's default and a middleware without routes)."""

    class Items:
        def on_get(self, req: Any, resp: Any, item_id: str) -> None:
            resp.media = {"id": item_id}

        def on_put(self, req: Any, resp: Any, item_id: str) -> None:
            resp.media = {"id": item_id}

        def on_delete(self, req: Any, resp: Any, item_id: str) -> None:
            resp.media = {"deleted": item_id}

    middleware = CORSMiddleware(router, **config)
    app = falcon.API(middleware=[middleware], router=router)
    app.add_route("/items/{item_id}", Items())
    return testing.TestClient(app), middleware


def falcon_preflight(client: testing.TestClient, method: str, origin: str = ORIGIN) -> Outcome:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    result = client.simulate_options("/items/1", headers=headers)
    return falcon_outcome(result)


def falcon_outcome(result: Any) -> Outcome:
    headers = {name.lower(): value for name, value in result.headers.items()}
    granted = {name: value for name, value in headers.items() if name.startswith("access-control-")}
    return granted, headers.get("vary")


def granted_to(origin: str) -> Dict[str, str]:
    return {"access-control-allow-origin": origin, "access-control-allow-credentials": "true"}


@pytest.mark.parametrize("router", [None, CompiledRouter()], ids=["no router", "falcons router"])
def test_configure_in_plain_falcon_applies_from_the_next_request(router: Any) -> None:
    client, middleware = falcon_client(router, allow_origins=[ORIGIN])
    assert falcon_outcome(client.simulate_get("/items/1", headers={"Origin": ORIGIN})) == (
        granted_to(ORIGIN),
        "Origin",
    )

    middleware.configure(allow_origins=[OTHER_ORIGIN], allow_methods=["PUT"])
    assert falcon_preflight(client, "PUT", OTHER_ORIGIN) == (
        {**granted_to(OTHER_ORIGIN), "access-control-allow-methods": "PUT"},
        PREFLIGHT_VARY,
    )
    assert falcon_preflight(client, "PUT", ORIGIN) == REFUSED
    assert falcon_outcome(client.simulate_get("/items/1", headers={"Origin": OTHER_ORIGIN})) == (
        granted_to(OTHER_ORIGIN),
        "Origin",
    )
    assert falcon_outcome(client.simulate_get("/items/1", headers={"Origin": ORIGIN})) == (
        {},
        "Origin",
    )

    middleware.configure(route_policies={"/items/*": None})
    assert falcon_preflight(client, "PUT", OTHER_ORIGIN) == LEFT_TO_THE_APP
    assert falcon_outcome(client.simulate_get("/items/1", headers={"Origin": OTHER_ORIGIN})) == (
        {},
        None,
    )


def test_a_plain_options_lists_the_methods_of_suffixed_responders_too() -> None:
    """Falcon's suffixed responders (on_get_collection) serve a route of their own."""

    class Items:
        def on_get(self, req: Any, resp: Any, item_id: str) -> None:
            resp.media = {"id": item_id}

        def on_get_collection(self, req: Any, resp: Any) -> None:
            resp.media = []

        def on_post_collection(self, req: Any, resp: Any) -> None:
            resp.media = {}

    router = CompiledRouter()
    app = falcon.API(middleware=[CORSMiddleware(router, allow_origins=[ORIGIN])], router=router)
    items = Items()
    app.add_route("/items", items, suffix="collection")
    app.add_route("/items/{item_id}", items)
    client = testing.TestClient(app)
    for path, methods in (("/items", "GET, OPTIONS, POST"), ("/items/1", "GET, OPTIONS")):
        result = client.simulate_options(path, headers={"Origin": ORIGIN})
        assert result.headers["Allow"] == methods
        assert result.headers["Access-Control-Allow-Methods"] == methods
        assert result.headers["Access-Control-Allow-Origin"] == ORIGIN


class PausingRouter(CompiledRouter):
    """Falcon's router, whose tree the thread in ``paused`` reads one step at a time: at
    each read it puts itself in ``arrived`` and waits for an item in ``proceed``."""

    def __init__(self) -> None:
        self.paused: Optional[int] = None
        self.arrived: queue.Queue[None] = queue.Queue()
        self.proceed: queue.Queue[None] = queue.Queue()
        super().__init__()

    @property  # type: ignore[override]
    def _roots(self) -> Any:
        if threading.get_ident() == self.paused:
            self.arrived.put(None)
            self.proceed.get(timeout=10)
        return self._tree

    @_roots.setter
    def _roots(self, tree: Any) -> None:
        self._tree = tree


def test_configure_while_the_routes_compile_is_never_undone() -> None:
    """A request compiles the route table again (a route was added) under the configuration
    in place. configure() at any moment of that must stay in place once the table lands:
    at each step of the compilation it changes max_age (one change at a time), and the
    last change must hold."""
    router = PausingRouter()
    client, middleware = falcon_client(router, allow_origins=[ORIGIN])
    assert client.simulate_get("/items/1").status_code == 200  # the table is compiled

    class Extra:
        def on_get(self, req: Any, resp: Any) -> None:
            resp.media = "extra"

    client.app.add_route("/extra", Extra())

    def request() -> None:
        router.paused = threading.get_ident()
        client.simulate_get("/extra", headers={"Origin": ORIGIN})

    compiling = threading.Thread(target=request)
    compiling.start()
    configuring: List[threading.Thread] = []
    while compiling.is_alive() or not router.arrived.empty():
        try:
            router.arrived.get(timeout=0.1)
        except queue.Empty:
            continue
        if not configuring or not configuring[-1].is_alive():  # one change waits at most
            max_age = len(configuring) + 1
            configure = threading.Thread(target=middleware.configure, kwargs={"max_age": max_age})
            configure.start()
            configure.join(0.2)  # done, or waiting until the table has landed
            configuring.append(configure)
        router.proceed.put(None)
    for thread in [compiling, *configuring]:
        thread.join(10)
        assert not thread.is_alive()
    assert len(configuring) >= 2  # the compilation was stopped inside, not only before
    result = client.simulate_options(
        "/extra", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    )
    assert result.headers["Access-Control-Max-Age"] == str(len(configuring))


def test_configure_in_plain_falcon_can_switch_to_the_routes_methods() -> None:
    client, middleware = falcon_client(
        CompiledRouter(), allow_origins=[ORIGIN], allow_methods=["PUT"]
    )
    assert falcon_preflight(client, "DELETE") == REFUSED
    middleware.configure(allow_methods=None)
    assert falcon_preflight(client, "DELETE") == allowed(ROUTE_METHODS)
    assert falcon_preflight(client, "PATCH") == REFUSED


def test_configure_without_a_router_has_no_route_methods_to_use() -> None:
    client, middleware = falcon_client(None, allow_origins=[ORIGIN], allow_methods=["PUT"])
    assert falcon_preflight(client, "PUT") == allowed("PUT")
    middleware.configure(allow_methods=None)
    assert falcon_preflight(client, "PUT") == REFUSED
    # A safelisted method still passes.
    granted, _ = falcon_preflight(client, "GET")
    assert granted["access-control-allow-origin"] == ORIGIN


@pytest.mark.parametrize("router", [None, CompiledRouter()], ids=["no router", "falcons router"])
def test_configure_in_plain_falcon_never_warns_of_patterns(router: Any) -> None:
    _, middleware = falcon_client(router, allow_origins=[ORIGIN])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        middleware.configure(route_policies={"/pubilc/*": None})
    assert caught == []


def started_api() -> Tuple[hug.API, CORSMiddleware]:
    """An items API that has served a request (hug runs its startup checks then)."""
    api = items_api()
    middleware = api.http.middleware[0]
    assert outcome(preflight(api, "/items/1", "PUT")) == allowed(ROUTE_METHODS)
    return api, middleware


def test_configure_warns_of_a_pattern_that_matches_no_route_of_a_started_api() -> None:
    _, middleware = started_api()
    message = (
        "route_policies: '/pubilc/*' matches no route of the API; check it against the "
        "route templates ('/items/{id}'; '*' matches any characters)."
    )
    with pytest.warns(CORSConfigurationWarning, match=re.escape(message)) as caught:
        middleware.configure(route_policies={"/pubilc/*": None})
    assert len(caught) == 1


def test_configure_does_not_warn_of_a_pattern_that_matches_a_route() -> None:
    api, middleware = started_api()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        middleware.configure(route_policies={"/items/*": None})
    assert caught == []
    assert outcome(preflight(api, "/items/1", "PUT")) == LEFT_TO_THE_APP


# --- Debug mode --------------------------------------------------------------------------


def route_aware_summary(**changes: Any) -> Dict[str, Any]:
    """summary() of CORSPolicy(allow_origins=[ORIGIN]), with ``changes``."""
    return {
        "allow_origins": [ORIGIN],
        "allow_origin_regex": None,
        "allow_origin_func": None,
        "allow_origin_func_ttl": 60.0,
        "allow_credentials": True,
        "allow_methods": "the route's methods",
        "allow_headers": "any",
        "expose_headers": [],
        "max_age": None,
        "allow_private_network": False,
        **changes,
    }


@pytest.mark.parametrize(
    ("api", "method", "request_headers", "refusal", "policy"),
    [
        pytest.param(
            lambda: items_api(allow_methods=["PUT", "DELETE"], debug=True),
            "PATCH",
            None,
            "method 'PATCH' is not allowed",
            route_aware_summary(allow_methods=["PUT", "DELETE"]),
            id="allow_methods",
        ),
        pytest.param(
            lambda: items_api(debug=True),
            "PATCH",
            None,
            "method 'PATCH' is not allowed",
            route_aware_summary(),
            id="the route's methods",
        ),
        pytest.param(
            lambda: items_api(
                allow_origin_regex=r"https://[a-z]+\.example\.org",
                allow_credentials=False,
                max_age=600,
                allow_methods=["put", "X-Custom"],
                allow_headers=["X-Token"],
                expose_headers=["X-Total-Count"],
                allow_private_network=True,
                debug=True,
            ),
            "PUT",
            "x-token,x-trace-id",
            "header 'x-trace-id' is not allowed",
            {
                "allow_origins": [ORIGIN],
                "allow_origin_regex": r"https://[a-z]+\.example\.org",
                "allow_origin_func": None,
                "allow_origin_func_ttl": 60.0,
                "allow_credentials": False,
                "allow_methods": ["PUT", "X-Custom"],
                "allow_headers": ["x-token"],
                "expose_headers": ["x-total-count"],
                "max_age": 600,
                "allow_private_network": True,
            },
            id="every setting",
        ),
        pytest.param(
            lambda: items_api(
                {"DELETE": {"allow_origins": ["https://admin.example.com"], "max_age": 60}},
                allow_methods=["PUT"],
                debug=True,
            ),
            "DELETE",
            None,
            "origin 'https://app.example.com' is not allowed",
            route_aware_summary(allow_origins=["https://admin.example.com"], max_age=60),
            id="the function's own policy",
        ),
    ],
)
def test_a_refused_preflight_in_debug_mode_explains_itself_in_json(
    api: Any, method: str, request_headers: Optional[str], refusal: str, policy: Dict[str, Any]
) -> None:
    refused = preflight(api(), "/items/1", method, headers=request_headers)
    assert refused.status == "200 OK"
    assert refused.headers_dict["content-type"] == "application/json"
    assert refused.headers_dict["hug-cors-refused"] == refusal
    assert outcome(refused) == REFUSED
    assert refused.data == {"refused": refusal, "policy": policy}


@pytest.mark.parametrize(
    ("count", "listed"),
    [
        (20, [f"https://app{n:02}.example.com" for n in range(20)]),
        (21, [f"https://app{n:02}.example.com" for n in range(20)] + ["... 1 more"]),
        (25, [f"https://app{n:02}.example.com" for n in range(20)] + ["... 5 more"]),
    ],
)
def test_debug_mode_lists_at_most_twenty_origins(count: int, listed: List[str]) -> None:
    origins = [f"https://app{n:02}.example.com" for n in reversed(range(count))]
    api = build_api(allow_origins=origins, debug=True)
    refused = preflight(api, origin=OTHER_ORIGIN)
    assert refused.data["policy"]["allow_origins"] == listed


def test_debug_modes_json_body_is_indented_by_two_spaces() -> None:
    api = items_api(allow_methods=["PUT"], debug=True)
    client = testing.TestClient(api.http.server())
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"}
    refused = client.simulate_options("/items/1", headers=headers)
    expected = {
        "refused": "method 'DELETE' is not allowed",
        "policy": route_aware_summary(allow_methods=["PUT"]),
    }
    assert refused.text == json.dumps(expected, indent=2)
    assert refused.headers["Content-Length"] == str(len(refused.content))


def test_debug_mode_labels_its_json_whatever_the_apps_default_media_type() -> None:
    class Items:
        def on_put(self, req: Any, resp: Any) -> None:
            resp.text = "put"

    router = CompiledRouter()
    middleware = CORSMiddleware(router, allow_origins=[ORIGIN], debug=True)
    app = falcon.API(middleware=[middleware], router=router, media_type=falcon.MEDIA_TEXT)
    app.add_route("/items", Items())
    client = testing.TestClient(app)
    refused = client.simulate_options(
        "/items", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"}
    )
    assert refused.headers["Content-Type"] == "application/json"
    assert refused.json["refused"] == "method 'DELETE' is not allowed"
    granted = client.simulate_options(
        "/items", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert granted.headers["Content-Type"] == falcon.MEDIA_TEXT
    assert granted.content == b""


@pytest.mark.parametrize(
    "config", [{}, {"allow_methods": ["PUT"]}], ids=["the route's methods", "allow_methods"]
)
def test_an_allowed_preflight_in_debug_mode_has_an_empty_body(config: Dict[str, Any]) -> None:
    api = items_api(debug=True, **config)
    client = testing.TestClient(api.http.server())
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    granted = client.simulate_options("/items/1", headers=headers)
    assert granted.status == "200 OK"
    assert granted.content == b""
    assert granted.headers["Content-Length"] == "0"
    assert "Hug-CORS-Refused" not in granted.headers


@pytest.mark.parametrize(
    ("method", "origin", "extra", "refusal"),
    [
        ("PUT", OTHER_ORIGIN, {}, "origin 'https://evil.example' is not allowed"),
        ("PATCH", ORIGIN, {}, "method 'PATCH' is not allowed"),
        (
            "PUT",
            ORIGIN,
            {"Access-Control-Request-Headers": "x-trace-id"},
            "header 'x-trace-id' is not allowed",
        ),
        (
            "PUT",
            ORIGIN,
            {"Access-Control-Request-Headers": "x-token;x"},
            "Access-Control-Request-Headers 'x-token;x' is not a list of header names of "
            "at most 4096 characters",
        ),
        (
            "PUT",
            ORIGIN,
            {"Access-Control-Request-Private-Network": "true"},
            "private network access is not allowed",
        ),
    ],
)
def test_the_refused_header_names_the_check_that_failed(
    method: str, origin: str, extra: Dict[str, str], refusal: str
) -> None:
    api = items_api(allow_headers=["X-Token"], debug=True)
    refused = preflight(api, "/items/1", method, origin=origin, **extra)
    assert refused.headers_dict["hug-cors-refused"] == refusal
    assert refused.data["refused"] == refusal


def test_the_refused_header_is_only_sent_in_debug_mode() -> None:
    api = items_api()
    refused = preflight(api, "/items/1", "PATCH")
    assert "hug-cors-refused" not in refused.headers_dict
    assert refused.data is None
    actual = call(api, "GET", "/items/1", {"Origin": OTHER_ORIGIN})
    assert "hug-cors-refused" not in actual.headers_dict


# --- Logging -----------------------------------------------------------------------------


@pytest.mark.parametrize(("debug", "level"), [(False, logging.DEBUG), (True, logging.WARNING)])
def test_refusals_are_logged_at_debug_or_in_debug_mode_at_warning(
    debug: bool, level: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hug_cors")
    api = items_api(debug=debug)
    preflight(api, "/items/1", "PUT")  # allowed: not logged
    call(api, "GET", "/items/1", {"Origin": ORIGIN})  # allowed: not logged
    preflight(api, "/items/1", "PUT", origin=OTHER_ORIGIN)
    preflight(api, "/items/1", "PATCH")
    call(api, "GET", "/items/1", {"Origin": OTHER_ORIGIN})
    logged = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "hug_cors"]
    assert logged == [
        (
            level,
            "CORS refused for OPTIONS '/items/1': origin 'https://evil.example' is not allowed",
        ),
        (level, "CORS refused for OPTIONS '/items/1': method 'PATCH' is not allowed"),
        (level, "CORS refused for GET '/items/1': origin 'https://evil.example' is not allowed"),
    ]


# --- A router of one's own ---------------------------------------------------------------


class ReportResource:
    """A plain Falcon resource: GET and PUT."""

    def on_get(self, req: Any, resp: Any) -> None:
        resp.media = "report"

    def on_put(self, req: Any, resp: Any) -> None:
        resp.media = "stored"


class RecordingRouter:
    """Not Falcon's CompiledRouter: one resource per exact path, every find recorded."""

    def __init__(self) -> None:
        self.routes: Dict[str, Any] = {}
        self.calls: List[Tuple[str, Any]] = []

    def add_route(self, template: str, resource: Any, **kwargs: Any) -> None:
        self.routes[template] = resource

    def find(self, path: str, req: Any = None) -> Any:
        self.calls.append((path, req))
        resource = self.routes.get(path)
        if resource is None:
            return None
        return resource, {"GET": resource.on_get, "PUT": resource.on_put}, {}, path


class RequestRecorder:
    """A middleware put before the CORS one: it keeps each request."""

    def __init__(self) -> None:
        self.requests: List[Any] = []

    def process_request(self, req: Any, resp: Any) -> None:
        self.requests.append(req)


def report_app(**config: Any) -> Tuple[testing.TestClient, RecordingRouter, RequestRecorder]:
    """A plain Falcon app serving GET, PUT /report through a RecordingRouter."""

    router, recorder = RecordingRouter(), RequestRecorder()
    middleware = CORSMiddleware(router, allow_origins=[ORIGIN], **config)
    app = falcon.API(middleware=[recorder, middleware], router=router)
    app.add_route("/report", ReportResource())
    return testing.TestClient(app), router, recorder


def test_a_router_of_ones_own_is_asked_with_the_preflights_request() -> None:
    client, router, recorder = report_app()
    answer = client.simulate_options(
        "/report", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert falcon_outcome(answer) == allowed("GET, OPTIONS, PUT")
    assert len(recorder.requests) == 1
    assert router.calls == [("/report", recorder.requests[0])]
    ((_, request),) = router.calls
    assert isinstance(request, falcon.Request)
    assert request.method == "OPTIONS"
    assert request.get_header("Access-Control-Request-Method") == "PUT"


def test_a_router_of_ones_own_is_asked_even_when_the_methods_are_configured() -> None:
    # Its routes cannot be read ahead, and any of its functions may have a policy of its
    # own: the preflight must find the route whatever the configuration.
    client, router, recorder = report_app(allow_methods=["PUT"])
    answer = client.simulate_options(
        "/report", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert falcon_outcome(answer) == allowed("PUT")
    assert router.calls == [("/report", recorder.requests[0])]


class TemplatelessRouter(RecordingRouter):
    """A router that gives no template, as Falcon allows older routers to."""

    def find(self, path: str, req: Any = None) -> Any:
        found = super().find(path, req)
        return None if found is None else found[:3]


def test_a_router_without_templates_gets_the_patterns_on_the_path() -> None:
    router = TemplatelessRouter()
    middleware = CORSMiddleware(
        router, allow_origins=[ORIGIN], route_policies={"/reports/private*": None}
    )
    app = falcon.API(middleware=[middleware], router=router)
    app.add_route("/reports/private", ReportResource())
    app.add_route("/reports/public", ReportResource())
    client = testing.TestClient(app)
    request = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    assert falcon_outcome(client.simulate_options("/reports/public", headers=request)) == (
        allowed("GET, OPTIONS, PUT")
    )
    private = client.simulate_options("/reports/private", headers=request)
    assert falcon_outcome(private)[0] == {}
    put = client.simulate_put("/reports/private", headers={"Origin": ORIGIN})
    assert put.status_code == 200
    assert falcon_outcome(put)[0] == {}


class TemplateRouter(RecordingRouter):
    """A router that Falcon's tree cannot be read from, giving a template of its own:
    every path under /reports/ is the template /reports/{id}."""

    def find(self, path: str, req: Any = None) -> Any:
        found = super().find("/reports/{id}" if path.startswith("/reports/") else path, req)
        return None if found is None else (*found[:3], "/reports/{id}")


def test_a_router_of_ones_own_gives_each_method_its_functions_policy() -> None:
    class Private(ReportResource):
        @route_policy(None)
        def on_put(self, req: Any, resp: Any) -> None:
            resp.media = "stored"

    router = TemplateRouter()
    app = falcon.API(
        middleware=[CORSMiddleware(router, allow_origins=[ORIGIN], allow_methods=["PUT"])],
        router=router,
    )
    app.add_route("/reports/{id}", Private())
    client = testing.TestClient(app)
    for method, granted in (("GET", True), ("PUT", False)):
        request = {"Origin": ORIGIN, "Access-Control-Request-Method": method}
        answer = client.simulate_options("/reports/7", headers=request)
        assert bool(falcon_outcome(answer)[0]) is granted, method
        answer = client.simulate_request(method, "/reports/7", headers={"Origin": ORIGIN})
        assert bool(falcon_outcome(answer)[0]) is granted, method


def test_a_router_of_ones_own_gets_the_patterns_on_its_templates_not_the_path() -> None:
    router = TemplateRouter()
    middleware = CORSMiddleware(
        router, allow_origins=[ORIGIN], route_policies={"/reports/{id}": None}
    )
    app = falcon.API(middleware=[middleware], router=router)
    app.add_route("/reports/{id}", ReportResource())
    client = testing.TestClient(app)
    request = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    assert falcon_outcome(client.simulate_options("/reports/7", headers=request))[0] == {}
    answer = client.simulate_get("/reports/7", headers={"Origin": ORIGIN})
    assert (answer.status_code, falcon_outcome(answer)[0]) == (200, {})


# --- Patterns at the edges -------------------------------------------------------------------


def test_the_pattern_slash_is_the_root_route_alone() -> None:
    api = build_api(allow_origins=[ORIGIN], route_policies={"/": None})

    @hug.get("/", api=api)
    def root() -> str:
        return "root"

    assert outcome(call(api, "GET", "/", {"Origin": ORIGIN})) == LEFT_TO_THE_APP
    assert outcome(call(api, "GET", "/demo", {"Origin": ORIGIN})) == (granted_to(ORIGIN), "Origin")


def test_a_path_with_no_route_keeps_its_first_letter_for_the_patterns() -> None:
    api = build_api(allow_origins=[ORIGIN], allow_methods=["PUT"], route_policies={"/admin*": None})
    with pytest.warns(CORSConfigurationWarning, match="'/admin[*]' matches no route"):
        answers = [outcome(preflight(api, path, "PUT")) for path in ("//Xadmin", "//admin-x")]
    assert answers == [allowed("PUT"), LEFT_TO_THE_APP]


# --- Isolation -----------------------------------------------------------------------------


def test_two_apis_in_one_process_keep_their_own_answers() -> None:
    exempt = items_api({"GET": None, "PUT": None, "DELETE": None})
    plain = items_api()
    for _ in range(2):  # in either order, and again
        for api, expected in ((plain, allowed(ROUTE_METHODS)), (exempt, LEFT_TO_THE_APP)):
            assert outcome(preflight(api, "/items/1", "PUT")) == expected
            assert outcome(preflight(api, "/items/1", "DELETE")) == expected
        assert outcome(call(exempt, "GET", "/items/1", {"Origin": ORIGIN})) == ({}, None)
        assert outcome(call(plain, "GET", "/items/1", {"Origin": ORIGIN})) == (
            granted_to(ORIGIN),
            "Origin",
        )
