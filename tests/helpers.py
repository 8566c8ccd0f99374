"""Helpers the test modules share: a hug API with the routes the tests call, ways to call
it, and the number of examples a property test tries."""

from __future__ import annotations

import itertools
import os
from typing import Any, Callable, Dict, Optional, Type

import falcon
import pytest

from hug_cors import CORSConfigurationError, CORSMiddleware

# mutmut sets MUTANT_UNDER_TEST in every process that runs the tests against mutants. A
# surviving mutant runs the whole suite, property tests included, so there each of those
# tries fewer examples: a mutant that only more examples would catch counts as surviving,
# which makes the score a lower bound, never an overstatement.
UNDER_MUTATION = "MUTANT_UNDER_TEST" in os.environ


def examples(count: int) -> int:
    """``count`` hypothesis examples; at most 40 under mutation testing."""
    return min(count, 40) if UNDER_MUTATION else count


def configuration_error(
    build: Callable[[], object],
    parameter: str,
    value: object,
    kind: Type[CORSConfigurationError] = CORSConfigurationError,
) -> CORSConfigurationError:
    """The configuration error that ``build()`` raises, checked to be exactly of ``kind``
    (pass :class:`~hug_cors.CORSConfigurationTypeError` for a value of the wrong type) and
    to name ``parameter`` and the refused ``value``; returned for further checks."""
    with pytest.raises(kind) as raised:
        build()
    refused = raised.value
    assert type(refused) is kind, f"{type(refused).__name__} raised, not {kind.__name__}"
    # Messages spelled out: pytest does not rewrite the assertions of this module.
    assert (refused.parameter, refused.value) == (parameter, value), (
        f"names {refused.parameter!r}, {refused.value!r}, not {parameter!r}, {value!r}: {refused}"
    )
    assert str(refused) == f"{refused.problem} {refused.fix}", repr(str(refused))
    return refused


ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://evil.example"

_names = itertools.count()


def build_api(middleware_class: Any = CORSMiddleware, **config: Any) -> Any:
    """A fresh hug API with ``middleware_class(api, **config)`` and these routes:

    GET, POST /demo; GET, PUT, DELETE /demo/{id}; GET /missing (raises 404);
    GET /broken (returns 500); GET /moved (302 to /demo); GET /vary (sets its own
    Vary); GET /count (sets X-Total-Count); GET /private (hug basic authentication).
    """
    import hug  # here, so that the plain Falcon environments (no hug) can import this module

    api = hug.API(f"hug_cors_test_{next(_names)}")
    if middleware_class is not None:
        api.http.add_middleware(middleware_class(api, **config))

    @hug.get("/demo", api=api)
    def get_demo() -> Dict[str, str]:
        return {"result": "Hello World"}

    @hug.post("/demo", api=api)
    def post_demo() -> Dict[str, str]:
        return {"result": "posted"}

    @hug.get("/demo/{id}", api=api)
    def get_item(id: str) -> Dict[str, str]:
        return {"result": id}

    @hug.put("/demo/{id}", api=api)
    def put_item(id: str) -> Dict[str, str]:
        return {"result": "put " + id}

    @hug.delete("/demo/{id}", api=api)
    def delete_item(id: str) -> Dict[str, str]:
        return {"result": "deleted " + id}

    @hug.get("/missing", api=api)
    def missing() -> None:
        raise falcon.HTTPNotFound(description="no such thing")

    @hug.get("/broken", api=api)
    def broken(response: Any) -> Dict[str, str]:
        response.status = falcon.HTTP_500
        return {"error": "broken"}

    @hug.get("/moved", api=api)
    def moved() -> None:
        raise falcon.HTTPFound("/demo")

    @hug.get("/vary", api=api)
    def vary(response: Any) -> str:
        response.set_header("Vary", "Accept-Encoding")
        return "varies"

    @hug.get("/count", api=api)
    def count(response: Any) -> str:
        response.set_header("X-Total-Count", "42")
        return "counted"

    authentication = hug.authentication.basic(hug.authentication.verify("user", "secret"))

    @hug.get("/private", api=api, requires=authentication)
    def private() -> str:
        return "secret"

    return api


def call(
    api: Any, method: str, path: str = "/demo", headers: Optional[Dict[str, str]] = None
) -> Any:
    """One request through hug's own test helper; the result has ``.status``,
    ``.headers`` (a list of pairs, repeats kept), ``.headers_dict`` and ``.data``
    (None for an empty body)."""
    import hug

    response = hug.test.call(method, api, path, headers=dict(headers or {}))
    response.data = getattr(response, "data", None)
    return response


def preflight(
    api: hug.API,
    path: str = "/demo/1",
    method: str = "PUT",
    origin: str = ORIGIN,
    headers: Optional[str] = None,
    **extra: str,
) -> Any:
    """A browser's preflight: OPTIONS with Origin and Access-Control-Request-Method."""
    sent = {"Origin": origin, "Access-Control-Request-Method": method, **extra}
    if headers is not None:
        sent["Access-Control-Request-Headers"] = headers
    return call(api, "OPTIONS", path, sent)


def cors_headers(response: Any) -> Dict[str, str]:
    """The response's Access-Control-* headers, lower-case names."""
    return {
        name.lower(): value
        for name, value in response.headers
        if name.lower().startswith("access-control-")
    }


class RefuseEverything:
    """Another middleware that answers before routing: a 403 for every request."""

    def process_request(self, req: Any, resp: Any) -> None:
        raise falcon.HTTPForbidden()
