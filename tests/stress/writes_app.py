"""A hug API that refuses cross-origin writes, served by real servers in
``test_cross_origin_writes_on_servers.py`` (``waitress --call tests.stress.writes_app:app``,
``gunicorn 'tests.stress.writes_app:app()'``).

Each write handler has its own policy, and so its own writers: ``/items`` the default's
(``https://app.example.com``), ``/admin/items`` the admin pattern's
(``https://admin.example.com``), and ``/webhook``, ``/v1/versioned``, the ``/files`` sink
and the not-found handler none (``@route_policy(None)``: no page may write there). Every
handler names itself in an ``X-Handler`` header, so a client that reads only the head of a
response knows which handler ran.

No ``from __future__ import annotations``: hug reads the annotations themselves, and the
handlers annotate nothing (hug would apply a return annotation to their output).
"""

from typing import Any

import hug

from hug_cors import CORSMiddleware, CORSPolicy, route_policy

APP_ORIGIN = "https://app.example.com"
ADMIN_ORIGIN = "https://admin.example.com"
# Which origins may write through each handler, by its X-Handler name.
WRITERS = {
    "items": {APP_ORIGIN},
    "admin_items": {ADMIN_ORIGIN},
    "webhook": set(),
    "versioned": set(),
    "files": set(),
    "not_found": set(),
}


def build_api() -> hug.API:
    api = hug.API("hug_cors_cross_origin_writes_on_servers")
    admin = CORSPolicy(allow_origins=[ADMIN_ORIGIN])
    api.http.add_middleware(
        CORSMiddleware(
            api,
            allow_origins=[APP_ORIGIN],
            route_policies={"/admin/*": admin, "/v*/admin/*": admin},
            reject_cross_origin_writes=True,
        )
    )

    def ran(response: Any, handler: str) -> str:
        response.set_header("X-Handler", handler)
        return handler

    @hug.post("/items", api=api)
    def items(response):
        return ran(response, "items")

    # No default version: hug runs the not-found handler for any other, so the two must
    # share a policy (hug-cors refuses to start otherwise).
    @hug.post("/versioned", api=api, versions=1)
    @route_policy(None)
    def versioned(response):
        return ran(response, "versioned")

    @hug.post("/admin/items", api=api)
    def admin_items(response):
        return ran(response, "admin_items")

    @hug.post("/webhook", api=api)
    @route_policy(None)
    def webhook(response):
        return ran(response, "webhook")

    @hug.sink("/files", api=api)
    @route_policy(None)
    def files(request, response):
        return ran(response, "files")

    @hug.not_found(api=api)
    @route_policy(None)
    def not_found(response):
        return ran(response, "not_found")

    return api


def app() -> Any:
    """The WSGI app (a factory: waitress ``--call``, gunicorn ``'module:app()'``)."""
    return build_api().http.server()
