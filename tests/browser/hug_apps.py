"""The hug API the hug browser tests call (``make_api`` in conftest.py serves it).

Only the hug tests import this module: it imports hug, which the plain Falcon browser
environment (``tox -e browser-falcon``, Falcon 4) does not have.
"""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass
from typing import Any, Callable, Optional

import falcon
import hug
from browser_support import RequestCounter

from hug_cors import CORSMiddleware

USER, PASSWORD = "user", "secret"


@dataclass
class Api:
    """A running hug API: its origin and a count of the requests it received."""

    origin: str
    requests: RequestCounter

    def url(self, path: str) -> str:
        return self.origin + path

    def count(self, method: str, path: Optional[str] = None) -> int:
        return self.requests.count(method, path)


_names = itertools.count()


def build_api(routes: Optional[Callable[[hug.API], None]] = None, **config: Any) -> hug.API:
    """A hug API with ``CORSMiddleware(api, **config)`` and the routes the tests call,
    and those ``routes(api)`` adds."""
    api = hug.API(f"hug_cors_browser_{next(_names)}")
    api.http.add_middleware(CORSMiddleware(api, **config))
    # hug reads annotations as input and output types, so the routes have none.

    @hug.get("/items", api=api)
    def list_items(response):
        response.set_header("X-Total-Count", "3")
        response.set_header("X-Secret", "hidden")
        return {"items": ["a", "b", "c"]}

    @hug.post("/items", api=api)
    def create_item(body):
        return {"created": body}

    @hug.get("/items/{item_id}", api=api)
    def get_item(item_id):
        return {"item": item_id}

    @hug.put("/items/{item_id}", api=api)
    def put_item(item_id, body, request):
        return {"put": item_id, "body": body, "x_token": request.get_header("X-Token")}

    @hug.delete("/items/{item_id}", api=api)
    def delete_item(item_id):
        return {"deleted": item_id}

    @hug.get("/origin", api=api)
    def origin(request):
        return {"origin": request.get_header("Origin")}

    @hug.post("/session", api=api)
    def log_in(token, response):
        response.set_cookie("session", token, path="/", secure=False, http_only=True)
        return {"logged_in": True}

    @hug.get("/session", api=api)
    def session(request):
        return {"cookie": request.cookies.get("session")}

    @hug.get("/missing", api=api)
    def missing(response):
        response.status = falcon.HTTP_404
        return {"error": "no such item"}

    @hug.get("/broken", api=api)
    def broken(response):
        response.status = falcon.HTTP_500
        return {"error": "broken"}

    @hug.get("/forbidden", api=api)
    def forbidden():
        raise falcon.HTTPForbidden(title="Forbidden", description="not for you")

    @hug.get("/moved", api=api)
    def moved():
        raise falcon.HTTPFound("/items")

    @hug.get("/crash", api=api)
    def crash():
        raise RuntimeError("the database password is hunter2")

    authentication = hug.authentication.basic(hug.authentication.verify(USER, PASSWORD))

    @hug.get("/private", api=api, requires=authentication)
    def private():
        return {"secret": "the private answer"}

    if routes is not None:
        routes(api)
    return api


MakeApi = Callable[..., Api]


def basic_auth(user: str = USER, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
