"""Per-route policies: a decorator on a route's function, and path patterns."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from typing import Any

import hug
import pytest

from hug_cors import CORSConfigurationWarning, CORSMiddleware, CORSPolicy, route_policy
from tests.conftest import ORIGIN, OTHER_ORIGIN, call, cors_headers, preflight

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
    ("args", "kwargs", "error"),
    [
        ((PUBLIC,), {"max_age": 5}, "not both"),
        (("*",), {}, "must be a CORSPolicy or None"),
        ((), {"allow_origins": "https://a.com"}, "must be a list of strings"),
    ],
)
def test_the_decorator_checks_its_configuration(args: tuple, kwargs: dict, error: str) -> None:
    with pytest.raises(TypeError, match=error):
        route_policy(*args, **kwargs)


@pytest.mark.parametrize(
    ("route_policies", "error", "message"),
    [
        (["/public/*"], TypeError, "must be a dict of path pattern"),
        ({"public/*": PUBLIC}, ValueError, "'public/\\*' is not a path pattern"),
        ({"/public/*": {"allow_origins": ["*"]}}, TypeError, "must be a CORSPolicy or None"),
    ],
)
def test_route_policies_are_checked_at_construction(
    route_policies: Any, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        CORSMiddleware(hug.API("route_policies_checked"), route_policies=route_policies)


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


def test_the_first_decorated_function_of_a_process_is_honoured() -> None:
    # Until some function carries a policy, requests skip the lookup: a fresh
    # interpreter shows that the first decoration, after requests were served, counts.
    script = textwrap.dedent(
        f"""
        import hug
        from hug_cors import CORSMiddleware, route_policy
        api = hug.API("first_decoration")
        api.http.add_middleware(CORSMiddleware(api, allow_origins=[{ORIGIN!r}]))
        hug.get("/plain", api=api)(lambda: "plain")
        hug.test.get(api, "/plain", headers={{"Origin": {ORIGIN!r}}})
        hug.get("/exempt", api=api)(route_policy(None)(lambda: "exempt"))
        response = hug.test.get(api, "/exempt", headers={{"Origin": {ORIGIN!r}}})
        print(sorted(name for name in response.headers_dict if name.startswith("access-")))
        """
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "[]"
