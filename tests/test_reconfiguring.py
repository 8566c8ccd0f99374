"""Run-time reconfiguration: configure() checks, then swaps the whole policy at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List, Set

import pytest

from hug_cors import CORSConfigurationError, CORSConfigurationTypeError, CORSPolicy
from tests.helpers import (
    ORIGIN,
    OTHER_ORIGIN,
    MakeApi,
    build_with_middleware,
    call,
    cors_headers,
    preflight,
    server,
)


def test_configure_swaps_in_a_new_policy(make_api: MakeApi) -> None:
    api, middleware = build_with_middleware(make_api, allow_origins=[ORIGIN], max_age=60)
    middleware.configure(allow_origins=[OTHER_ORIGIN])
    assert middleware.allow_origins == [OTHER_ORIGIN]
    assert cors_headers(preflight(api, origin=ORIGIN)) == {}
    answered = cors_headers(preflight(api, origin=OTHER_ORIGIN))
    assert answered["access-control-allow-origin"] == OTHER_ORIGIN
    assert answered["access-control-max-age"] == "60"  # what was not given is kept


def test_configure_changes_the_policies_of_routes_already_served(make_api: MakeApi) -> None:
    """Responses after configure() answer under the new route policies, also for routes
    whose policy the middleware had already looked up."""
    api, middleware = build_with_middleware(
        make_api, allow_origins=[ORIGIN], route_policies={"/demo": None}
    )
    app = server(api)  # one app, as a server runs it
    page = {"Origin": ORIGIN}
    assert "Access-Control-Allow-Origin" not in call(app, "GET", "/demo", page).headers_dict
    middleware.configure(route_policies={})
    answered = call(app, "GET", "/demo", page)
    assert answered.headers_dict["Access-Control-Allow-Origin"] == ORIGIN
    middleware.configure(route_policies={"/demo": None})
    assert "Access-Control-Allow-Origin" not in call(app, "GET", "/demo", page).headers_dict


def test_a_failed_configure_leaves_the_old_policy_in_place(make_api: MakeApi) -> None:
    api, middleware = build_with_middleware(make_api, allow_origins=[ORIGIN])
    old = middleware.policy
    with pytest.raises(CORSConfigurationError) as bad_value:
        middleware.configure(allow_origins=["https://new.example.com/"])
    assert (bad_value.value.parameter, bad_value.value.value) == (
        "allow_origins",
        "https://new.example.com/",
    )
    assert bad_value.value.fix.endswith("use 'https://new.example.com'.")
    for name in ("allow_origin", "api"):
        with pytest.raises(CORSConfigurationTypeError) as unknown:
            middleware.configure(**{name: ORIGIN})
        assert unknown.value.parameter == name
        assert unknown.value.value == ORIGIN
        assert "it takes allow_origins, allow_credentials, max_age," in unknown.value.fix
    assert middleware.policy is old
    assert cors_headers(preflight(api))["access-control-allow-origin"] == ORIGIN


def test_the_middleware_stays_immutable_but_through_configure(make_api: MakeApi) -> None:
    _, middleware = build_with_middleware(make_api)
    with pytest.raises(AttributeError, match="use configure"):
        middleware.max_age = 600


def test_requests_in_flight_see_the_old_or_the_new_policy_never_a_mix(make_api: MakeApi) -> None:
    """Two policies that differ in every header; readers must only ever see one whole."""
    first = {"allow_origins": [ORIGIN], "expose_headers": ["X-First"], "max_age": 1}
    second = {"allow_origins": [ORIGIN], "expose_headers": ["X-Second"], "max_age": 2}
    api, middleware = build_with_middleware(make_api, **first)
    app = server(api)
    seen: Set[Any] = set()
    errors: List[str] = []
    stop = threading.Event()

    def swap() -> None:
        # At least 400 swaps, and on until the readers have seen both policies (a fast
        # app's swaps may all be done before a reader's first request): 30 s at most.
        deadline = time.monotonic() + 30
        n = 0
        while n < 400 or (len(seen) < 2 and time.monotonic() < deadline):
            middleware.configure(**(second if n % 2 else first))
            n += 1
        stop.set()

    def read(_: int) -> None:
        while not stop.is_set():
            asked = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
            answer = call(app, "OPTIONS", "/demo/1", asked).headers_dict
            actual = call(app, "GET", "/demo", {"Origin": ORIGIN}).headers_dict
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


def answers(api: Any) -> List[Any]:
    """What a preflight and a GET from an allowed and a refused origin get."""
    responses = [
        preflight(api, origin=origin, method="PUT") for origin in (ORIGIN, "https://x.example")
    ]
    responses += [
        call(api, "GET", "/demo", {"Origin": origin}) for origin in (ORIGIN, "https://x.example")
    ]
    return [(response.status, sorted(response.headers_dict.items())) for response in responses]


def test_the_configuration_reads_back_whole_and_reapplies_unchanged(
    framework: str, make_api: MakeApi
) -> None:
    admin = CORSPolicy(allow_origins=[OTHER_ORIGIN])

    def tenant(origin: str) -> bool:
        return origin == "https://tenant.example.net"

    config = {
        "allow_origins": [ORIGIN, "https://*.example.org"],
        "allow_credentials": None,
        "max_age": 600,
        "allow_methods": ["PUT", "patch"],
        "allow_headers": ["X-Token"],
        "expose_headers": ["X-Total-Count"],
        "allow_origin_regex": r"https://pr-[0-9]+\.preview\.example\.dev",
        "allow_private_network": True,
        "allow_origin_func": tenant,
        "allow_origin_func_ttl": 30.0,
        "route_policies": {"/demo/*": admin},
        "debug": True,
        "reject_cross_origin_writes": True,
        # Falcon 3 and later answer uncaught exceptions through the middleware themselves.
        "handle_uncaught_errors": framework == "hug",
    }
    api, middleware = build_with_middleware(make_api, **config)
    before = answers(api)
    # As given, not normalised (None stays None, "patch" stays lower case): what reads back
    # can be given again, to this middleware or to a new one.
    assert middleware.config == {
        **config,
        **{name: tuple(config[name]) for name in ("allow_origins", "allow_methods")},
        **{name: tuple(config[name]) for name in ("allow_headers", "expose_headers")},
    }
    middleware.configure(**middleware.config)
    assert answers(api) == before
    assert middleware.config["route_policies"] == {"/demo/*": admin}
    # A copy: changing what was read changes nothing in place.
    middleware.config["route_policies"]["/demo"] = None
    assert "/demo" not in middleware.config["route_policies"]
    middleware.configure(**{**middleware.config, "max_age": 60})
    assert middleware.config["max_age"] == 60
    assert preflight(api, "/demo").headers_dict["access-control-max-age"] == "60"


def test_the_configuration_of_the_defaults_reapplies_to_the_defaults(make_api: MakeApi) -> None:
    api, middleware = build_with_middleware(make_api)
    before = answers(api)
    middleware.configure(**middleware.config)
    assert answers(api) == before
    assert middleware.allow_credentials is False  # None read back, so "*" stays uncredentialed
