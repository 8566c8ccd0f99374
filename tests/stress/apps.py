"""The hug APIs the stress tests serve, importable by a server started as a subprocess
(``waitress-serve --call tests.stress.apps:load_app``, ``gunicorn 'tests.stress.apps:load_app()'``).
"""

from __future__ import annotations

from typing import Any, Dict

import hug

from hug_cors import CORSMiddleware

# The load test's policy: any subdomain of example.com, so that every request can use an
# origin of its own; a header and a response header to check preflights and exposure.
LOAD_ALLOW_ORIGINS = ["https://*.example.com"]


def build_api(name: str, middleware: Any = None) -> hug.API:
    """A hug API with ``middleware`` (None: none) and GET, POST /, GET, PUT /demo/{id}."""
    api = hug.API(name)
    if middleware is not None:
        api.http.add_middleware(middleware(api))

    @hug.get("/", api=api)
    def index() -> Dict[str, str]:
        return {"result": "Hello World"}

    @hug.post("/", api=api)
    def post_index() -> Dict[str, str]:
        return {"result": "posted"}

    @hug.get("/demo/{id}", api=api)
    def get_item(id: str, request: Any, response: Any) -> Dict[str, str]:
        # Echoed so the client can check each response belongs to its own request.
        response.set_header("X-Request-Id", request.get_header("X-Request-Id") or "")
        return {"result": id}

    @hug.put("/demo/{id}", api=api)
    def put_item(id: str) -> Dict[str, str]:
        return {"result": "put " + id}

    return api


def load_app() -> Any:
    """The WSGI app of the load test."""
    api = build_api(
        "hug_cors_load",
        lambda api: CORSMiddleware(
            api,
            allow_origins=LOAD_ALLOW_ORIGINS,
            allow_headers=["X-Token"],
            expose_headers=["X-Request-Id"],
            max_age=600,
        ),
    )
    return api.http.server()
