"""A hug API whose per-route CORS policies are a security boundary, served by real servers
in ``test_route_policy_leaks.py`` (``waitress --call tests.stress.route_policy_app:app``,
``gunicorn 'tests.stress.route_policy_app:app()'``).

The default policy lets ``https://app.example.com`` call with credentials; the admin
routes allow only ``https://admin.example.com``; ``/private/data``, ``/versioned``, the
``/files`` sink and the not-found handler carry ``@route_policy(None)`` (no CORS at all).
``/public`` keeps the default. An access check after hug-cors refuses any request that
carries ``X-Deny`` before routing. ``app_admin_pattern_only`` leaves out the
``"/v*/admin/*"`` pattern. Every handler names itself in its body and in an
``X-Handler`` header, so that a client which reads only the head of a response (the raw
client of ``support.py``) still knows which handler ran.

No ``from __future__ import annotations`` here: hug reads the annotations themselves to
convert fields (``id: hug.types.number``), and postponed ones are strings it ignores. The
handlers annotate nothing else: hug would apply a return annotation to their output.
"""

from typing import Any, Dict

import falcon
import hug

from hug_cors import CORSMiddleware, CORSPolicy, route_policy

APP_ORIGIN = "https://app.example.com"  # allowed by the default policy only
ADMIN_ORIGIN = "https://admin.example.com"  # allowed by the admin routes only


class AccessCheck:
    """Another middleware, added after hug-cors, that refuses a request carrying
    ``X-Deny`` with a 403 before routing, as an authentication or rate-limit check does."""

    def process_request(self, request: Any, response: Any) -> None:
        if request.get_header("X-Deny"):
            raise falcon.HTTPForbidden(description="denied before routing")


def build_api(name: str, versioned_pattern: bool) -> hug.API:
    """The API; with ``versioned_pattern``, ``"/v*/admin/*"`` beside ``"/admin/*"``."""
    api = hug.API(name)
    admin = CORSPolicy(allow_origins=[ADMIN_ORIGIN])
    route_policies = {"/admin/*": admin}
    if versioned_pattern:
        route_policies["/v*/admin/*"] = admin
    api.http.add_middleware(
        CORSMiddleware(api, allow_origins=[APP_ORIGIN], route_policies=route_policies)
    )
    api.http.add_middleware(AccessCheck())

    def named(response: Any, handler: str) -> Dict[str, str]:
        response.set_header("X-Handler", handler)
        return {"handler": handler}

    @hug.get("/admin/users", api=api)
    def admin_users(response):
        response.set_header("X-Handler", "admin_users")
        return ["admin_users", "alice", "bob"]

    @hug.get("/admin/users/{id}", api=api)
    def admin_user(id: hug.types.number, response):
        # The id as hug converted it: "1\n" (from "1%0A") arrives as 1.
        response.set_header("X-Handler", "admin_user")
        response.set_header("X-Id", repr(id))
        return {"handler": "admin_user", "id": id}

    @hug.get("/private/data", api=api)
    @route_policy(None)
    def private_data(response):
        return named(response, "private_data")

    @hug.get("/versioned", api=api, versions=1)
    @route_policy(None)
    def versioned(response):
        return named(response, "versioned")

    @hug.sink("/files", api=api)
    @route_policy(None)
    def files(request, response):
        return named(response, "files")

    @hug.not_found(api=api)
    @route_policy(None)
    def not_found(response):
        return named(response, "not_found")

    @hug.get("/public", api=api)
    def public(response):
        return named(response, "public")

    return api


def app() -> Any:
    """The WSGI app (a factory: waitress ``--call``, gunicorn ``'module:app()'``), with
    both admin patterns, as the documentation advises for versioned APIs."""
    return build_api("hug_cors_route_policy_leaks", versioned_pattern=True).http.server()


def app_admin_pattern_only() -> Any:
    """The same API with ``"/admin/*"`` alone: hug's ``/v{api_version}`` twin of an admin
    route must still get the admin policy, the pattern matching the route, not the path."""
    return build_api(
        "hug_cors_route_policy_leaks_unversioned", versioned_pattern=False
    ).http.server()
