"""A drop-in for ``hug.middleware.CORSMiddleware``: what hug gets right still holds,
and each of its defects is shown against hug's class and fixed in ours."""

from __future__ import annotations

from typing import Any, Dict

import hug
import pytest
from hug.middleware import CORSMiddleware as HugCORSMiddleware

from hug_cors import CORSMiddleware
from tests.helpers import ORIGIN, OTHER_ORIGIN, build_api, call, cors_headers, preflight

# What hug's own test suite expects of its class (tests/test_middleware.py)


def build_hug_test_api(middleware_class: Any) -> hug.API:
    api = hug.API(f"hug_suite_{middleware_class.__module__}")
    api.http.add_middleware(middleware_class(api, max_age=10))

    @hug.get("/demo", api=api)
    def get_demo() -> Dict[str, str]:
        return {"result": "Hello World"}

    @hug.get("/demo/{param}", api=api)
    def get_param(param: str) -> Dict[str, str]:
        return {"result": f"Hello {param}"}

    @hug.post("/demo", api=api)
    def post_demo(name: str) -> Dict[str, str]:
        return {"result": f"Hello {name}"}

    @hug.put("/demo/{param}", api=api)
    def put_demo(param: str, name: str) -> Dict[str, str]:
        return {"result": f"Goodbye {param} ... Hello {name}"}

    @hug.delete("/demo/{param}", api=api)
    def delete_demo(param: str) -> Dict[str, str]:
        return {"result": f"Goodbye {param}"}

    return api


def method_set(value: str) -> set:
    return set(value.replace(" ", "").split(","))


@pytest.mark.parametrize("middleware_class", [HugCORSMiddleware, CORSMiddleware])
def test_hugs_own_cors_test_passes(middleware_class: Any) -> None:
    api = build_hug_test_api(middleware_class)
    assert hug.test.get(api, "/demo").data == {"result": "Hello World"}
    assert hug.test.get(api, "/demo/Mir").data == {"result": "Hello Mir"}
    assert hug.test.post(api, "/demo", name="Mundo").data == {"result": "Hello Mundo"}
    assert hug.test.put(api, "/demo/Carl", name="Junior").data == {
        "result": "Goodbye Carl ... Hello Junior"
    }
    assert hug.test.delete(api, "/demo/Cruel_World").data == {"result": "Goodbye Cruel_World"}

    response = hug.test.options(api, "/demo")
    assert method_set(response.headers_dict["access-control-allow-methods"]) == {
        "OPTIONS",
        "GET",
        "POST",
    }
    assert method_set(response.headers_dict["allow"]) == {"OPTIONS", "GET", "POST"}

    for path in ("/demo/1", "/v1/demo/1"):
        response = hug.test.options(api, path)
        expected = {"OPTIONS", "GET", "DELETE", "PUT"}
        assert method_set(response.headers_dict["access-control-allow-methods"]) == expected
        assert method_set(response.headers_dict["allow"]) == expected
        assert response.headers_dict["access-control-max-age"] == "10"


@pytest.mark.parametrize("middleware_class", [HugCORSMiddleware, CORSMiddleware])
def test_hugs_cors_example_works(middleware_class: Any) -> None:
    # examples/cors_middleware.py in hug's repository, with only the import changed.
    api = hug.API(f"hug_example_{middleware_class.__module__}")
    api.http.add_middleware(middleware_class(api, max_age=10))

    @hug.get("/demo", api=api)
    def get_demo() -> Dict[str, str]:
        return {"result": "Hello World"}

    response = hug.test.get(api, "/demo", headers={"Origin": ORIGIN})
    assert response.data == {"result": "Hello World"}
    assert response.headers_dict["access-control-allow-origin"] in (ORIGIN, "*")


def test_the_constructor_keeps_hugs_positional_order() -> None:
    api = hug.API("positional_order")
    middleware = CORSMiddleware(api, [ORIGIN], False, 5)
    assert (middleware.api, middleware.allow_origins) == (api, [ORIGIN])
    assert (middleware.allow_credentials, middleware.max_age) == (False, 5)


# hug's defects: each test shows the defect with hug's class and its absence with ours.

FIXED = pytest.mark.parametrize(
    ("middleware_class", "has_defect"), [(HugCORSMiddleware, True), (CORSMiddleware, False)]
)


@FIXED
def test_reflects_any_origin_with_credentials(middleware_class: Any, has_defect: bool) -> None:
    api = build_api(middleware_class)  # the default configuration
    headers = cors_headers(call(api, "GET", "/demo", {"Origin": OTHER_ORIGIN}))
    reflected = headers.get("access-control-allow-origin") == OTHER_ORIGIN
    credentialed = headers.get("access-control-allow-credentials") == "true"
    assert (reflected and credentialed) is has_defect


@FIXED
def test_sends_allow_origin_none_without_origin(middleware_class: Any, has_defect: bool) -> None:
    headers = cors_headers(call(build_api(middleware_class), "GET", "/demo"))
    assert (headers.get("access-control-allow-origin") == "None") is has_defect


@FIXED
def test_sends_credentials_to_refused_origins(middleware_class: Any, has_defect: bool) -> None:
    api = build_api(middleware_class, allow_origins=[ORIGIN])
    headers = cors_headers(call(api, "GET", "/demo", {"Origin": OTHER_ORIGIN}))
    assert "access-control-allow-origin" not in headers
    assert ("access-control-allow-credentials" in headers) is has_defect


@FIXED
def test_sends_no_vary(middleware_class: Any, has_defect: bool) -> None:
    api = build_api(middleware_class, allow_origins=[ORIGIN])
    response = call(api, "GET", "/demo", {"Origin": ORIGIN})
    assert response.headers_dict["access-control-allow-origin"] == ORIGIN
    assert ("vary" not in response.headers_dict) is has_defect


@FIXED
def test_raises_on_options_to_a_path_with_no_route(middleware_class: Any, has_defect: bool) -> None:
    api = build_api(middleware_class, allow_origins=[ORIGIN])
    try:
        crashed = preflight(api, "/no/such/route", "GET").status.startswith("5")
    except KeyError:
        crashed = True
    assert crashed is has_defect


@FIXED
def test_echoes_any_requested_header_to_any_origin(middleware_class: Any, has_defect: bool) -> None:
    api = build_api(middleware_class, allow_origins=[ORIGIN])
    answer = cors_headers(preflight(api, "/demo", "GET", OTHER_ORIGIN, headers="X-Stolen"))
    assert (answer.get("access-control-allow-headers") == "X-Stolen") is has_defect


@FIXED
def test_fails_preflights_on_routes_protected_by_hug_authentication(
    middleware_class: Any, has_defect: bool
) -> None:
    api = hug.API(f"protected_{middleware_class.__module__}")
    api.http.add_middleware(middleware_class(api, allow_origins=[ORIGIN]))
    authentication = hug.authentication.basic(hug.authentication.verify("user", "secret"))

    @hug.http("/account", api=api, requires=authentication)  # every method, OPTIONS too
    def account() -> str:
        return "account"

    assert (preflight(api, "/account", "PUT").status == "401 Unauthorized") is has_defect
