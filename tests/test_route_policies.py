"""Per-route policies: a decorator on a route's function, and path patterns."""

from __future__ import annotations

import functools
import importlib
import itertools
import textwrap
import warnings
from typing import Any, Type

import falcon
import hug
import pytest
from falcon import testing
from falcon.routing import CompiledRouter

from hug_cors import (
    CORSConfigurationError,
    CORSConfigurationTypeError,
    CORSConfigurationWarning,
    CORSMiddleware,
    CORSPolicy,
    route_policy,
)
from tests.helpers import (
    ORIGIN,
    OTHER_ORIGIN,
    RefuseEverything,
    build_api,
    call,
    configuration_error,
    cors_headers,
    preflight,
)

PUBLIC = CORSPolicy(allow_origins=["*"], allow_methods=["GET"])
_names = itertools.count()


def build(**config: Any) -> hug.API:
    """GET /public/prices, GET /account, GET /admin/users, GET+PUT /status (decorated)."""
    api = hug.API(f"route_policies_{next(_names)}")
    api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN], **config))

    @hug.get("/public/prices", api=api)
    def prices() -> dict:
        return {"tea": 3}

    @hug.get("/account", api=api)
    def account() -> dict:
        return {"name": "Ada"}

    @hug.get("/admin/users", api=api)
    def users() -> list:
        return ["ada"]

    @hug.get("/status", api=api)
    @route_policy(allow_origins=["*"], max_age=3600)
    def status() -> dict:
        return {"ok": True}

    @hug.put("/status", api=api)  # PUT /status has no policy of its own
    def set_status() -> dict:
        return {"ok": True}

    return api


ROUTE_POLICIES = {"/public/*": PUBLIC, "/admin/*": None}


def test_a_path_pattern_gives_its_routes_another_policy() -> None:
    api = build(route_policies=ROUTE_POLICIES)
    public = cors_headers(call(api, "GET", "/public/prices", {"Origin": OTHER_ORIGIN}))
    assert public == {"access-control-allow-origin": "*"}
    assert cors_headers(call(api, "GET", "/account", {"Origin": OTHER_ORIGIN})) == {}
    assert cors_headers(call(api, "GET", "/account", {"Origin": ORIGIN})) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-credentials": "true",
    }


def test_none_means_no_cors_at_all_for_those_routes() -> None:
    api = build(route_policies=ROUTE_POLICIES)
    response = call(api, "GET", "/admin/users", {"Origin": ORIGIN})
    assert cors_headers(response) == {}
    assert "vary" not in response.headers_dict
    # The preflight is not answered by the middleware: the app answers it, without CORS.
    answered = preflight(api, "/admin/users", "GET")
    assert answered.status == "200 OK"
    assert cors_headers(answered) == {}
    # A plain OPTIONS (no Access-Control-Request-Method) too: the app's own answer.
    plain = call(api, "OPTIONS", "/admin/users", {"Origin": ORIGIN})
    assert plain.status == "200 OK"
    assert cors_headers(plain) == {}
    assert "vary" not in plain.headers_dict


def test_a_preflight_uses_the_policy_of_the_route_it_asks_about() -> None:
    api = build(route_policies=ROUTE_POLICIES)
    public = cors_headers(preflight(api, "/public/prices", "GET", OTHER_ORIGIN, headers="X-A"))
    assert public["access-control-allow-origin"] == "*"
    assert public["access-control-allow-methods"] == "GET"
    assert cors_headers(preflight(api, "/account", "GET", OTHER_ORIGIN)) == {}


def test_the_decorator_gives_one_function_its_own_policy() -> None:
    api = build()
    response = call(api, "GET", "/status", {"Origin": OTHER_ORIGIN})
    assert cors_headers(response) == {"access-control-allow-origin": "*"}
    answered = cors_headers(preflight(api, "/status", "GET", OTHER_ORIGIN))
    assert answered["access-control-max-age"] == "3600"
    # The decorator is on GET's function only: a preflight for PUT uses the default.
    assert cors_headers(preflight(api, "/status", "PUT", OTHER_ORIGIN)) == {}
    assert cors_headers(preflight(api, "/status", "PUT"))["access-control-allow-origin"] == ORIGIN


def test_precedence_decorator_then_longest_pattern_then_the_default() -> None:
    api = build(
        route_policies={
            "/*": None,
            "/public/*": PUBLIC,
            "/status": CORSPolicy(allow_origins=["https://status.example.com"]),
        }
    )
    assert (
        call(api, "GET", "/status", {"Origin": OTHER_ORIGIN}).headers_dict.get(
            "access-control-allow-origin"
        )
        == "*"
    )  # the decorator wins over the "/status" pattern
    assert cors_headers(call(api, "GET", "/public/prices", {"Origin": OTHER_ORIGIN})) == {
        "access-control-allow-origin": "*"
    }  # "/public/*" is longer than "/*"
    assert cors_headers(call(api, "GET", "/account", {"Origin": ORIGIN})) == {}  # "/*": None


def test_the_decorator_can_share_a_policy_or_exempt_a_route() -> None:
    @route_policy(PUBLIC)
    def shared() -> None: ...

    @route_policy(None)
    def exempt() -> None: ...

    assert shared.hug_cors_policy is PUBLIC  # type: ignore[attr-defined]
    assert exempt.hug_cors_policy is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "kwargs", "parameter", "value"),
    [
        pytest.param((PUBLIC,), {"max_age": 5}, "route_policy", PUBLIC, id="not-both"),
        pytest.param(("*",), {}, "route_policy", "*", id="not-a-policy"),
        pytest.param(
            (), {"allow_origins": "https://a.com"}, "allow_origins", "https://a.com", id="string"
        ),
    ],
)
def test_the_decorator_checks_its_configuration(
    args: tuple, kwargs: dict, parameter: str, value: object
) -> None:
    configuration_error(
        lambda: route_policy(*args, **kwargs), parameter, value, CORSConfigurationTypeError
    )


@pytest.mark.parametrize(
    ("route_policies", "error", "value"),
    [
        (["/public/*"], CORSConfigurationTypeError, ["/public/*"]),  # not a dict
        ({"public/*": PUBLIC}, CORSConfigurationError, "public/*"),  # not a path pattern
        (  # not a CORSPolicy or None
            {"/public/*": {"allow_origins": ["*"]}},
            CORSConfigurationTypeError,
            {"allow_origins": ["*"]},
        ),
    ],
)
def test_route_policies_are_checked_at_construction(
    route_policies: Any, error: Type[CORSConfigurationError], value: object
) -> None:
    configuration_error(
        lambda: CORSMiddleware(hug.API("route_policies_checked"), route_policies=route_policies),
        "route_policies",
        value,
        error,
    )


def test_a_pattern_that_matches_no_route_warns_when_the_api_starts() -> None:
    api = build(route_policies={"/pubilc/*": PUBLIC, "/admin/*": None})
    with pytest.warns(CORSConfigurationWarning, match="'/pubilc/\\*' matches no route") as warned:
        api.http.server()
    assert len(warned) == 1


def test_patterns_match_versioned_routes_too() -> None:
    api = hug.API("route_policies_versioned")
    api.http.add_middleware(
        CORSMiddleware(api, allow_origins=[ORIGIN], route_policies={"/v*/public/*": PUBLIC})
    )

    @hug.get("/public/prices", api=api, versions=1)
    def prices() -> dict:
        return {"tea": 3}

    response = call(api, "GET", "/v1/public/prices", {"Origin": OTHER_ORIGIN})
    assert cors_headers(response) == {"access-control-allow-origin": "*"}


def test_a_function_decorated_after_requests_were_served_is_honoured() -> None:
    api = hug.API(f"route_policies_{next(_names)}")
    api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN]))
    hug.get("/plain", api=api)(lambda: "plain")
    assert cors_headers(call(api, "GET", "/plain", {"Origin": ORIGIN}))
    hug.get("/exempt", api=api)(route_policy(None)(lambda: "exempt"))
    assert cors_headers(call(api, "GET", "/exempt", {"Origin": ORIGIN})) == {}
    assert cors_headers(preflight(api, "/exempt", "GET")) == {}


def test_two_apis_in_one_process_never_influence_each_other() -> None:
    exempting = build(route_policies={"/account": None})
    plain = build()
    assert cors_headers(call(exempting, "GET", "/account", {"Origin": ORIGIN})) == {}
    for path in ("/account", "/public/prices", "/admin/users"):
        assert cors_headers(call(plain, "GET", path, {"Origin": ORIGIN})) == {
            "access-control-allow-origin": ORIGIN,
            "access-control-allow-credentials": "true",
        }
        assert cors_headers(preflight(plain, path, "GET"))["access-control-allow-origin"] == ORIGIN


# The policy is the route's, whatever spelling of the path reached it.
ADMIN = CORSPolicy(allow_origins=["https://admin.example.com"])


def guarded(**config: Any) -> hug.API:
    """/admin/users/{id} under "/admin/*"; /private, /versioned (v1), the
    /files sink and the not-found handler exempt with route_policy(None)."""
    api = hug.API(f"route_policies_{next(_names)}")
    api.http.add_middleware(
        CORSMiddleware(api, allow_origins=[ORIGIN], route_policies={"/admin/*": ADMIN}, **config)
    )
    hug.get("/admin/users/{id}", api=api)(_admin_user)
    hug.get("/private", api=api)(route_policy(None)(lambda: "private"))
    hug.get("/versioned", api=api, versions=1)(route_policy(None)(lambda: "versioned"))
    hug.get("/public", api=api)(lambda: "public")
    hug.sink("/files", api=api)(route_policy(None)(lambda request: "files"))
    hug.not_found(api=api)(route_policy(None)(lambda: "not found"))
    return api


def _admin_user(id: str) -> str:
    return "admin"


@pytest.mark.parametrize(
    ("path", "ran"),
    [
        ("/admin/users/1", "admin"),
        ("//admin/users/1", "admin"),  # Falcon's router strips leading slashes
        ("/admin/users/1/", "admin"),  # hug strips a trailing one
        ("/admin/users/1\n", "admin"),  # a newline in a field: "*" spans it too
        ("/v1/admin/users/1", "admin"),  # hug's implicit version prefix, on every route
        ("/vX/admin/users/1", "admin"),
        ("/private", "private"),
        ("/vX/private", "private"),
        ("//private", "private"),
        ("/v1/versioned", "versioned"),
        ("/files/secret", "files"),  # a sink
        ("/filessecret", "files"),  # Falcon matches a sink's prefix without a slash
        ("/nowhere", "not found"),
    ],
)
def test_no_spelling_of_a_path_escapes_its_routes_policy(path: str, ran: Any) -> None:
    api = guarded()
    response = call(api, "GET", path, {"Origin": ORIGIN})
    assert response.data == ran  # the protected function ran...
    assert cors_headers(response) == {}  # ...and its policy refused the default's origin
    assert cors_headers(preflight(api, path, "GET")) == {}


def test_the_query_parameter_api_version_keeps_the_versioned_routes_policy() -> None:
    api = guarded()
    response = hug.test.get(
        api, "/versioned", query_string="api_version=1", headers={"Origin": ORIGIN}
    )
    assert response.data == "versioned"
    assert cors_headers(response) == {}


def test_the_admin_policy_answers_every_spelling_of_an_admin_route() -> None:
    api = guarded()
    for path in ("/admin/users/1", "//admin/users/1", "/v1/admin/users/1", "/admin/users/1\n"):
        answered = call(api, "GET", path, {"Origin": "https://admin.example.com"})
        assert cors_headers(answered)["access-control-allow-origin"] == "https://admin.example.com"
    assert cors_headers(call(api, "GET", "/public", {"Origin": ORIGIN}))  # the default


def test_a_path_with_no_route_gets_the_pattern_matching_it_as_falcon_routes_it() -> None:
    api = build(route_policies={"/admin/*": None})
    for path in ("/admin/nothing", "//admin/nothing"):
        response = call(api, "GET", path, {"Origin": ORIGIN})
        assert response.status.startswith("404")
        assert cors_headers(response) == {}
    assert cors_headers(call(api, "GET", "/nothing", {"Origin": ORIGIN}))  # the default


def test_versions_of_one_route_with_different_policies_refuse_to_start() -> None:
    api = hug.API(f"route_policies_{next(_names)}")
    api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN]))
    hug.get("/items", api=api, versions=1)(route_policy(None)(lambda: "v1"))
    hug.get("/items", api=api, versions=2)(lambda: "v2")
    refused = configuration_error(api.http.server, "route_policy", "GET /items")
    assert str(refused) == (
        "route_policy: the versions of GET /items have different policies. A preflight cannot "
        "know which version the request will run (hug picks it from the path, the "
        "X-API-VERSION header or ?api_version=): give every version the same route_policy, "
        "or serve them on different paths."
    )


def test_a_versioned_route_whose_not_found_fallback_has_another_policy_refuses_to_start() -> None:
    """hug runs the not-found handler for a version the route does not serve: a page allowed
    on /items must not get, through /items or /v2/items, what the not-found handler's own
    policy refuses it."""
    api = hug.API(f"route_policies_{next(_names)}")
    api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN]))
    hug.post("/items", api=api, versions=1)(lambda: "v1")
    hug.not_found(api=api)(route_policy(None)(lambda: "not found"))
    refused = configuration_error(api.http.server, "route_policy", "POST /items")
    assert str(refused) == (
        "route_policy: POST /items has no default version, so hug runs the not-found handler "
        "for any other version (/v9/..., or no version), and that handler's route_policy is "
        "not the route's: give both the same route_policy, or the not-found handler none (it "
        "then takes the route's), or give the route a default version (versions=None)."
    )


@pytest.mark.parametrize("fix", ["same policy", "no policy on not-found", "default version"])
def test_each_fix_for_the_not_found_fallback_starts_and_keeps_the_route_policy(fix: str) -> None:
    api = hug.API(f"route_policies_{next(_names)}")
    api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN]))
    own = route_policy(None) if fix == "same policy" else (lambda function: function)
    hug.get("/items", api=api, versions=1)(own(lambda: "v1"))
    if fix == "default version":
        hug.get("/items", api=api, versions=None)(lambda: "default")
    not_found = route_policy(None) if fix != "no policy on not-found" else own
    hug.not_found(api=api)(not_found(lambda: "not found"))
    for path in ("/items", "/v1/items", "/v2/items"):
        response = call(api, "GET", path, {"Origin": ORIGIN})
        assert bool(cors_headers(response)) is (fix != "same policy"), (path, response.data)


def app_module(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, functions: str) -> Any:
    """A module of its own whose hug API has the middleware and ``functions``, imported: the
    start-up check reads the API's module."""
    name = f"app_module_{next(_names)}"
    header = f"""
        import hug
        from hug_cors import CORSMiddleware, route_policy
        api = hug.API(__name__)
        api.http.add_middleware(CORSMiddleware(api, allow_origins=[{ORIGIN!r}]))
        """
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(header) + textwrap.dedent(functions))
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module(name)


def test_a_policy_on_a_function_that_serves_no_route_refuses_to_start(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # hug.static serves files through a function of its own: the decorator on the
    # function that lists the directories could never be honoured.
    module = app_module(
        tmp_path,
        monkeypatch,
        f"""
        @hug.static("/static")
        @route_policy(None)
        def files():
            return ({str(tmp_path)!r},)
        """,
    )
    refused = configuration_error(module.api.http.server, "route_policy", module.files)
    assert str(refused) == (
        "route_policy: files() carries a policy but serves no route, sink or not-found "
        "handler of this API, so it would be ignored (hug.static serves files through a "
        "function of its own): use route_policies={'/static/*': ...} with the path it "
        "serves, or remove the decorator."
    )


def test_a_pattern_ending_in_a_slash_is_refused_with_the_fix() -> None:
    refused = configuration_error(
        lambda: CORSMiddleware(hug.API("route_policies_slash"), route_policies={"/foo/": None}),
        "route_policies",
        "/foo/",
    )
    assert refused.problem.startswith("route_policies: '/foo/' ends with '/'")
    assert refused.fix == "write '/foo' for the route, or '/foo/*' for the paths below it."


def test_configure_rebuilds_from_the_checked_configuration_not_the_callers_objects() -> None:
    origins = ["https://a.example"]
    api = hug.API(f"route_policies_{next(_names)}")
    cors = CORSMiddleware(api, allow_origins=iter([*origins, "https://b.example"]))
    origins.append("https://c.example")
    cors.configure(max_age=600)  # the iterator was read once, and is not read again
    assert cors.allow_origins == ["https://a.example", "https://b.example"]
    listed = ["https://a.example"]
    cors.configure(allow_origins=listed)
    listed.append("https://evil.example")  # the caller's list, edited afterwards
    cors.configure(max_age=60)
    assert cors.allow_origins == ["https://a.example"]


def test_a_plain_options_from_a_refused_origin_gets_no_access_control_allow_header() -> None:
    api = build(max_age=600)
    refused = call(api, "OPTIONS", "/account", {"Origin": OTHER_ORIGIN})
    assert cors_headers(refused) == {}
    assert refused.headers_dict["allow"] == "GET, OPTIONS"  # hug's route-aware Allow stays
    no_origin = call(api, "OPTIONS", "/account")
    assert no_origin.headers_dict["allow"] == "GET, OPTIONS"
    assert cors_headers(no_origin) == {
        "access-control-allow-methods": "GET, OPTIONS",
        "access-control-max-age": "600",
    }


def test_a_version_router_whose_versions_disagree_fails_closed() -> None:
    # hug refuses such an API when it starts; a Falcon app given hug's version router
    # directly never starts, and gets no CORS on that route.
    api = hug.API(f"route_policies_{next(_names)}")
    versions = {
        1: route_policy(None)(lambda *args, **kwargs: None),
        2: lambda *args, **kwargs: None,
    }

    items = Plain()  # a resource whose GET responder is hug's version router
    items.on_get = functools.partial(api.http.version_router, versions=versions)
    router = CompiledRouter()
    app = falcon.API(middleware=[CORSMiddleware(router, allow_origins=[ORIGIN])], router=router)
    app.add_route("/items", items)
    app.add_route("/plain", Plain())
    test = testing.TestClient(app)
    assert (
        "access-control-allow-origin"
        not in test.simulate_get(
            "/items", query_string="api_version=2", headers={"Origin": ORIGIN}
        ).headers
    )
    assert (
        test.simulate_get("/plain", headers={"Origin": ORIGIN}).headers[
            "access-control-allow-origin"
        ]
        == ORIGIN
    )


class Plain:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.media = "plain"


def test_an_app_built_by_an_earlier_server_call_keeps_the_routes_policies() -> None:
    # hug builds a new Falcon app, with resources of its own, on each server() call; an
    # older one may still be serving, and its /v1/ twin must not fall to the default.
    api = guarded()
    older, newer = api.http.server(), api.http.server()
    for app in (older, newer, older):
        client = testing.TestClient(app)
        for path in ("/admin/users/1", "/v1/admin/users/1", "/vX/private"):
            response = client.simulate_get(path, headers={"Origin": ORIGIN})
            assert response.status_code == 200
            assert "access-control-allow-origin" not in response.headers
            preflight_headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
            answered = client.simulate_options(path, headers=preflight_headers)
            assert "access-control-allow-origin" not in answered.headers


@pytest.mark.parametrize(
    ("path", "granted"),
    [("/demo", True), ("/demo/1", False), ("/v1/demo/1", False), ("//demo/1/", False)],
)
def test_a_method_no_function_serves_gets_the_patterns_of_the_route(
    path: str, granted: bool
) -> None:
    # Falcon answers such a method 400 by itself; the route's patterns still decide.
    api = build_api(allow_origins=[ORIGIN], route_policies={"/demo/*": None})
    for method in ("PURGE", "SEARCH", "get"):
        response = call(api, method, path, {"Origin": ORIGIN})
        assert response.status == "400 Bad Request"
        assert bool(cors_headers(response)) is granted, (method, path)


def test_a_decorated_function_of_the_apis_module_that_serves_a_route_starts(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = app_module(
        tmp_path,
        monkeypatch,
        """
        @hug.get("/private")
        @route_policy(None)
        def private():
            return "private"

        @hug.get("/public")
        def public():
            return "public"
        """,
    )
    assert cors_headers(call(module.api, "GET", "/private", {"Origin": ORIGIN})) == {}
    assert cors_headers(call(module.api, "GET", "/public", {"Origin": ORIGIN})) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-credentials": "true",
    }


def test_configure_before_any_route_warns_of_nothing() -> None:
    api = hug.API(f"route_policies_{next(_names)}")
    cors = CORSMiddleware(api, allow_origins=[ORIGIN], route_policies={"/a/*": None})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cors.configure(route_policies={"/b/*": None})
    assert caught == []


def test_an_unmatched_pattern_warning_points_at_the_line_of_configure() -> None:
    api = hug.API(f"route_policies_{next(_names)}")
    cors = CORSMiddleware(api, allow_origins=[ORIGIN])
    hug.get("/items", api=api)(lambda: "items")
    with pytest.warns(CORSConfigurationWarning, match="'/itmes' matches no route") as caught:
        cors.configure(route_policies={"/itmes": None})
    assert [warning.filename for warning in caught] == [__file__]


def test_a_sink_gets_the_pattern_matching_the_path_it_was_declared_with() -> None:
    """hug declares the sink ``/files`` and gives Falcon the prefix ``/files(?P<path>.*)``:
    patterns are matched against what was declared."""
    for pattern in ("/files", "/files/*", "/files/{path}"):
        api = hug.API(f"route_policies_{next(_names)}")
        api.http.add_middleware(
            CORSMiddleware(api, allow_origins=[ORIGIN], route_policies={pattern: None})
        )
        hug.sink("/files", api=api)(lambda request: "files")
        hug.get("/public", api=api)(lambda: "public")
        for path in ("/files", "/files/secret"):
            answered = call(api, "GET", path, {"Origin": ORIGIN})
            assert answered.data == "files"
            assert cors_headers(answered) == {}, (pattern, path)
        assert cors_headers(call(api, "GET", "/public", {"Origin": ORIGIN}))


def test_an_app_served_without_hugs_not_found_handler_keeps_its_sinks_policies() -> None:
    api = hug.API(f"route_policies_{next(_names)}")
    api.http.add_middleware(
        CORSMiddleware(api, allow_origins=[ORIGIN], route_policies={"/files/*": None})
    )
    hug.sink("/files", api=api)(lambda request: "files")
    client = testing.TestClient(api.http.server(default_not_found=False))
    answered = client.simulate_get("/files/secret", headers={"Origin": ORIGIN})
    assert answered.json == "files"
    assert "Access-Control-Allow-Origin" not in answered.headers
    answered = client.simulate_get("/nothing", headers={"Origin": ORIGIN})
    assert answered.status_code == 404  # Falcon's own
    assert answered.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_versions_of_the_not_found_handler_with_different_policies_refuse_to_start() -> None:
    api = hug.API(f"route_policies_{next(_names)}")
    api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN]))
    hug.not_found(api=api, versions=1)(route_policy(None)(lambda: "v1"))
    hug.not_found(api=api, versions=2)(lambda: "v2")
    refused = configuration_error(api.http.server, "route_policy", "the not-found handler")
    assert str(refused).startswith(
        "route_policy: the versions of the not-found handler have different policies."
    )


@pytest.mark.parametrize("not_found", [True, False], ids=["hugs-404", "no-404"])
@pytest.mark.parametrize("where", ["route", "sink"])
def test_an_app_whose_every_function_has_its_own_policy_answers_with_them(
    where: str, not_found: bool
) -> None:
    """With ``allow_methods``, a preflight needs no route when every function has the
    middleware's own policy; a function of its own policy, even if it is the only one,
    still answers its preflights (also when hug serves without its not-found handler)."""
    api = hug.API(f"route_policies_{next(_names)}")
    api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN], allow_methods=["PUT"]))
    if where == "route":
        hug.put("/exempt", api=api)(route_policy(None)(lambda: "exempt"))
    else:
        hug.put("/public", api=api)(lambda: "public")
        hug.sink("/exempt", api=api)(route_policy(None)(lambda request: "exempt"))
    client = testing.TestClient(api.http.server(default_not_found=not_found))
    asked = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    answered = client.simulate_options("/exempt", headers=asked)
    assert "Access-Control-Allow-Origin" not in answered.headers
    answered = client.simulate_put("/exempt", headers={"Origin": ORIGIN})
    assert answered.json == "exempt"
    assert "Access-Control-Allow-Origin" not in answered.headers


@pytest.mark.parametrize("policy", ["own", "pattern"])
def test_a_response_made_before_routing_carries_the_policy_of_the_route(policy: str) -> None:
    """A middleware added before hug-cors answers 403 before Falcon routes the request:
    the response still gets the policy of the function the path leads to, not the
    default's."""
    api = hug.API(f"route_policies_{next(_names)}")
    patterns = {"/private": None} if policy == "pattern" else {}
    api.http.add_middleware(RefuseEverything())
    api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN], route_policies=patterns))
    private = lambda: "private"  # noqa: E731
    hug.get("/private", api=api)(route_policy(None)(private) if policy == "own" else private)
    hug.get("/public", api=api)(lambda: "public")
    for path, readable in (("/private", False), ("/public", True)):
        answered = call(api, "GET", path, {"Origin": ORIGIN})
        assert answered.status.startswith("403")
        assert bool(cors_headers(answered)) is readable, path


def test_a_route_replaced_after_requests_were_served_answers_under_its_new_function() -> None:
    api = hug.API(f"route_policies_{next(_names)}")
    api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN]))
    hug.get("/report", api=api)(lambda: "old")
    answered = testing.TestClient(api.http.server()).simulate_get(
        "/report", headers={"Origin": ORIGIN}
    )
    assert answered.headers["Access-Control-Allow-Origin"] == ORIGIN
    hug.get("/report", api=api)(route_policy(None)(lambda: "new"))
    answered = testing.TestClient(api.http.server()).simulate_get(
        "/report", headers={"Origin": ORIGIN}
    )
    assert answered.json == "new"
    assert "Access-Control-Allow-Origin" not in answered.headers


def test_an_api_made_without_a_module_starts() -> None:
    api = hug.API()
    api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN]))
    hug.get("/items", api=api)(route_policy(None)(lambda: "items"))
    answered = testing.TestClient(api.http.server()).simulate_get(
        "/items", headers={"Origin": ORIGIN}
    )
    assert answered.json == "items"
    assert "Access-Control-Allow-Origin" not in answered.headers
