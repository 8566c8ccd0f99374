"""The plain Falcon apps ``test_scanner_falcon.py`` scans, without hug: a ``falcon.App``
(``waitress --call tests.stress.falcon_apps:wsgi_app``) and a ``falcon.asgi.App``
(``uvicorn --factory tests.stress.falcon_apps:asgi_app``), each serving ``GET /``.

The environment of the server says what they are: ``HUG_CORS_SCAN_CORS`` names their CORS
middleware (a key of :data:`CORS`), and every request that reaches the app appends its
Origin and path, a JSON list on a line, to the file ``HUG_CORS_SCAN_LOG`` names.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any, Callable, Dict

import falcon
import falcon.asgi

from hug_cors import CORSMiddleware

# What docs/plain-falcon.md recommends: none gets a finding.
RECOMMENDED: Dict[str, Callable[[Any], Any]] = {
    "exact-origins-with-credentials": lambda app: CORSMiddleware(
        app,
        allow_origins=["https://app.example.com", "https://admin.example.com"],
        allow_credentials=True,
    ),
    "uncredentialed-wildcard": lambda app: CORSMiddleware(app),
    "regex": lambda app: CORSMiddleware(
        app, allow_origin_regex=r"https://[a-z0-9-]+\.example\.com"
    ),
    "subdomain-pattern-of-another-domain": lambda app: CORSMiddleware(
        app, allow_origins=["https://*.example.org"], allow_credentials=True
    ),
    "migrated-from-falcons-own": lambda app: CORSMiddleware(
        app,
        allow_origins=["https://app.example.com", "http://localhost:*"],
        allow_credentials=False,
        expose_headers=["X-Total-Count"],
        allow_private_network=True,
    ),
}
CORS: Dict[str, Callable[[Any], Any]] = {
    **RECOMMENDED,
    # Any subdomain of example.com, the API's own domain.
    "subdomain-pattern": lambda app: CORSMiddleware(
        app, allow_origins=["https://*.example.com"], allow_credentials=True
    ),
    # Falcon's own middleware giving credentials to any origin: it reflects every Origin.
    "falcons-own-reflecting-credentials": lambda app: falcon.CORSMiddleware(
        allow_origins="*", allow_credentials="*"
    ),
}


class RequestLog:
    """Falcon middleware, first in the app: appends each request's Origin and path to a file."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = threading.Lock()

    def process_request(self, req: Any, resp: Any) -> None:
        line = json.dumps([req.get_header("Origin") or "", req.path]) + "\n"
        with self._lock, open(self._path, "a", encoding="utf-8") as log:
            log.write(line)

    async def process_request_async(self, req: Any, resp: Any) -> None:
        self.process_request(req, resp)


class Root:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.media = {"result": "Hello World"}


class AsyncRoot:
    async def on_get(self, req: Any, resp: Any) -> None:
        resp.media = {"result": "Hello World"}


def build(app: Any, root: Any) -> Any:
    app.add_middleware(RequestLog(os.environ["HUG_CORS_SCAN_LOG"]))
    app.add_middleware(CORS[os.environ["HUG_CORS_SCAN_CORS"]](app))
    app.add_route("/", root)
    return app


def wsgi_app() -> Any:
    return build(falcon.App(), Root())


def asgi_app() -> Any:
    return build(falcon.asgi.App(), AsyncRoot())
