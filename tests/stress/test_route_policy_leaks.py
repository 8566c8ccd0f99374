"""Per-route CORS policies hold on real servers, whatever spelling of a path an attacker
sends: waitress, and gunicorn's threaded worker, each run as a subprocess serving
``route_policy_app.py``.

The admin routes allow only ``https://admin.example.com``; ``/private/data``,
``/versioned``, the ``/files`` sink and the not-found handler have no CORS at all; the
default policy allows ``https://app.example.com`` with credentials. An attacker on the app
origin (or any page it can script) wants a credentialed cross-origin read of a protected
handler, and so sends the paths that reach that handler under another spelling than its
route's: hug's implicit ``/v{anything}`` prefix, ``?api_version=``, leading or trailing
slashes, a ``%0A`` in a number field, ``%``-encoded letters, paths that only a sink or the
not-found handler serves. Each request goes out byte for byte on a raw HTTP/1.1 connection
(no client library normalises it), and each response is checked for the handler that ran
(the ``X-Handler`` header each handler sets) and the CORS headers it carries, for a GET
and for a preflight, from both origins. ``/public`` is the positive control: the app
origin is allowed there, so the checks can tell a refusal from a broken middleware.

Each server runs the API twice over: with the patterns ``"/admin/*"`` and
``"/v*/admin/*"``, and with ``"/admin/*"`` alone, where only the route hug dispatches to
can tell that ``/v1/admin/users`` is an admin route. The same spellings are sent again with
a header that makes another middleware refuse them before routing: its 403 must carry the
policy of the route all the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional

import pytest

from tests.stress.route_policy_app import ADMIN_ORIGIN, APP_ORIGIN
from tests.stress.support import (
    RawConnection,
    Response,
    free_port,
    gunicorn_command,
    server_process,
    waitress_command,
)

APPS = {
    "both-patterns": "tests.stress.route_policy_app:app",  # "/admin/*" and "/v*/admin/*"
    "admin-pattern-only": "tests.stress.route_policy_app:app_admin_pattern_only",
}
THREADS = 2

ADMIN = "admin"  # the admin routes' policy: only ADMIN_ORIGIN, with credentials
NONE = "none"  # route_policy(None): no CORS header at all
DEFAULT = "default"  # the middleware's own: only APP_ORIGIN, with credentials


class Spelling(NamedTuple):
    target: str  # the request-target, sent as is
    handler: str  # the X-Handler of the function that must serve it
    policy: str  # ADMIN, NONE or DEFAULT: the policy of that function
    attack: str  # what the spelling tries
    under_gunicorn: Optional[str] = None  # the handler under gunicorn, when it differs


SPELLINGS = [
    Spelling("/admin/users", "admin_users", ADMIN, "the route itself"),
    Spelling("//admin/users", "admin_users", ADMIN, "a leading slash Falcon's router drops"),
    Spelling("//v1/admin/users", "admin_users", ADMIN, "a leading slash and a version"),
    Spelling("/admin/users/", "admin_users", ADMIN, "a trailing slash Falcon's router drops"),
    Spelling("/v1/admin/users", "admin_users", ADMIN, "hug's /v{api_version} twin"),
    Spelling("/vX/admin/users", "admin_users", ADMIN, "hug's twin with a version no one has"),
    Spelling("/admin/users/1", "admin_user", ADMIN, "the field route itself"),
    Spelling("/admin/users/1%0A", "admin_user", ADMIN, 'a newline in the field ("1\\n" is 1)'),
    Spelling("/admin/users/1%0a", "admin_user", ADMIN, "a newline, lower-case escape"),
    Spelling("/v1/admin/users/1%0A", "admin_user", ADMIN, "a version and a newline"),
    Spelling("/v1%0A/admin/users", "admin_users", ADMIN, "a newline in hug's version"),
    # Both servers percent-decode PATH_INFO: Falcon sees /admin/users.
    Spelling("/%61dmin/users", "admin_users", ADMIN, "a %-encoded letter"),
    Spelling("/admin%2Fusers", "admin_users", ADMIN, "a %-encoded slash"),
    Spelling("/private/data", "private_data", NONE, "the route itself"),
    Spelling("/vX/private/data", "private_data", NONE, "hug's twin of a route_policy(None)"),
    Spelling("//private/data", "private_data", NONE, "a leading slash"),
    Spelling("/private/data/", "private_data", NONE, "a trailing slash"),
    Spelling("/versioned?api_version=1", "versioned", NONE, "the version in the query"),
    Spelling("/v1/versioned", "versioned", NONE, "the version in the path"),
    Spelling("/files/x", "files", NONE, "a path of a route_policy(None) sink"),
    Spelling("/filesx", "files", NONE, "Falcon's sink prefix matches without a slash"),
    # waitress strips extra leading slashes before Falcon sees the path; gunicorn does not,
    # and Falcon's sink prefix then misses: the not-found handler serves it.
    Spelling("//files/x", "files", NONE, "a leading slash on a sink", "not_found"),
    Spelling("/nope", "not_found", NONE, "a path only the not-found handler serves"),
    Spelling("/v1/nope", "not_found", NONE, "a versioned path to the not-found handler"),
    Spelling("/public", "public", DEFAULT, "(control) the app origin's own route"),
    Spelling("//public", "public", DEFAULT, "(control) a leading slash keeps the default"),
]


class Server(NamedTuple):
    name: str  # waitress or gunicorn
    app: str  # a key of APPS
    port: int


@pytest.fixture(
    scope="module",
    params=[(name, app) for app in APPS for name in ("waitress", "gunicorn")],
    ids=lambda param: "-".join(param),
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    name, app = request.param
    port = free_port()
    command = {"waitress": waitress_command, "gunicorn": gunicorn_command}[name]
    log: Path = tmp_path_factory.mktemp(name) / f"{name}.log"
    with server_process(command(port, APPS[app], THREADS), port, log):
        yield Server(name, app, port)


def send(server: Server, method: str, target: str, origin: str, *extra: str) -> Response:
    """One request on a fresh connection, the target as given, with ``Origin`` and the
    ``extra`` header lines."""
    lines = [f"{method} {target} HTTP/1.1", "Host: api.example.com", f"Origin: {origin}"]
    if method == "OPTIONS":  # a preflight for a GET
        lines.append("Access-Control-Request-Method: GET")
    lines.extend(extra)
    connection = RawConnection(server.port)
    try:
        return connection.request(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
    finally:
        connection.close()


def cors_headers(response: Response) -> List[str]:
    return [f"{k}: {v}" for k, v in response.headers if k.startswith("access-control-")]


def describe(
    server: Server, method: str, spelling: Spelling, origin: str, response: Response
) -> str:
    return (
        f"{server.name} ({server.app}): {method} {spelling.target} from {origin} "
        f"({spelling.attack}): "
        f"status {response.status}, handler {response.get('x-handler')!r}, "
        f"CORS headers {cors_headers(response)}, Vary {response.get('vary')!r}"
    )


def allowed_origin(spelling: Spelling) -> Optional[str]:
    return {ADMIN: ADMIN_ORIGIN, NONE: None, DEFAULT: APP_ORIGIN}[spelling.policy]


def check_cors(response: Response, spelling: Spelling, origin: str, context: str) -> None:
    """``origin`` is allowed, with credentials, exactly when the handler's policy allows
    it; refused, it gets neither header; under no policy, no CORS header at all."""
    assert response.status < 500, context
    acao = response.all("access-control-allow-origin")
    credentials = response.all("access-control-allow-credentials")
    if allowed_origin(spelling) == origin:
        assert acao == [origin], context
        assert credentials == ["true"], context
    else:
        assert acao == [], context
        assert credentials == [], context
    if spelling.policy == NONE:
        assert cors_headers(response) == [], context
        assert response.get("vary") is None, context


def check_handler(server: Server, response: Response, spelling: Spelling, context: str) -> None:
    handler = spelling.handler
    if server.name == "gunicorn" and spelling.under_gunicorn is not None:
        handler = spelling.under_gunicorn
    assert response.get("x-handler") == handler, context
    if handler == "admin_user":  # hug converted the field ("1\n" too) with hug.types.number
        assert response.get("x-id") == "1", context


ids = [spelling.target for spelling in SPELLINGS]


@pytest.mark.parametrize("origin", [APP_ORIGIN, ADMIN_ORIGIN])
@pytest.mark.parametrize("spelling", SPELLINGS, ids=ids)
def test_get_runs_the_handler_under_its_own_policy(
    server: Server, spelling: Spelling, origin: str
) -> None:
    """A credentialed GET from each origin through each spelling: the handler the route
    names runs, and the CORS headers are those of its policy, not of the default one."""
    response = send(server, "GET", spelling.target, origin)
    context = describe(server, "GET", spelling, origin, response)
    check_handler(server, response, spelling, context)
    check_cors(response, spelling, origin, context)


@pytest.mark.parametrize("origin", [APP_ORIGIN, ADMIN_ORIGIN])
@pytest.mark.parametrize("spelling", SPELLINGS, ids=ids)
def test_preflight_is_answered_under_the_handlers_policy(
    server: Server, spelling: Spelling, origin: str
) -> None:
    """A preflight for GET from each origin through each spelling: granted only where the
    policy of the handler that would serve the GET allows that origin."""
    response = send(server, "OPTIONS", spelling.target, origin)
    context = describe(server, "OPTIONS", spelling, origin, response)
    check_cors(response, spelling, origin, context)
    methods = response.get("access-control-allow-methods")
    if allowed_origin(spelling) == origin:
        assert methods is not None, context
        assert "GET" in [m.strip() for m in methods.split(",")], context
    else:
        assert methods is None, context


@pytest.mark.parametrize("origin", [APP_ORIGIN, ADMIN_ORIGIN])
@pytest.mark.parametrize("spelling", SPELLINGS, ids=ids)
def test_a_refusal_before_routing_answers_under_the_policy_of_the_route(
    server: Server, spelling: Spelling, origin: str
) -> None:
    """Another middleware's 403, raised in its ``process_request`` before Falcon routes
    the request: no handler runs, and the answer carries the CORS headers of the policy of
    the function the path leads to, never the default over it."""
    response = send(server, "GET", spelling.target, origin, "X-Deny: yes")
    context = describe(server, "GET (denied)", spelling, origin, response)
    assert response.status == 403, context
    assert response.get("x-handler") is None, context
    check_cors(response, spelling, origin, context)


class Unserved(NamedTuple):
    method: str  # sent as is
    target: str
    handler: Optional[str]  # the X-Handler of the function that serves it, if any
    policy: str  # the policy its response answers under
    attack: str


# Methods the route's functions do not serve: no function runs, so the answer (Falcon's
# 405, or its 400 for a method it does not know) carries the patterns matching the route's
# templates, else the default; never the default over a route's pattern. A sink and the
# not-found handler serve every method, under their own policy.
UNSERVED = [
    Unserved("PUT", "/admin/users", None, ADMIN, "a standard method the route lacks"),
    Unserved("DELETE", "/v1/admin/users/1", None, ADMIN, "the same through hug's twin"),
    Unserved("PURGE", "/admin/users", None, ADMIN, "a method Falcon does not know"),
    Unserved("SEARCH", "//admin/users/1/", None, ADMIN, "WebDAV's method, extra slashes"),
    Unserved("PURGE", "/vX/admin/users/1", None, ADMIN, "an unknown method and version"),
    Unserved("DELETE", "/private/data", None, DEFAULT, "no function runs: the default's"),
    Unserved("PURGE", "/files/x", "files", NONE, "a sink serves every method"),
    Unserved("SEARCH", "/nope", "not_found", NONE, "the not-found handler serves it"),
    Unserved("get", "/admin/users", None, NONE, "a lower-case method: refused bare"),
    Unserved("get", "/public", None, NONE, "(control) lower case, the default's route"),
    Unserved("PURGE", "/public", None, DEFAULT, "(control) the default's route"),
]


@pytest.mark.parametrize("origin", [APP_ORIGIN, ADMIN_ORIGIN])
@pytest.mark.parametrize("unserved", UNSERVED, ids=[f"{u.method} {u.target}" for u in UNSERVED])
def test_a_method_no_function_serves_answers_under_the_routes_policy(
    server: Server, unserved: Unserved, origin: str
) -> None:
    """A credentialed request with a method the route does not serve, as a hostile page's
    ``fetch`` can send: no other function runs, and the answer is readable only by the
    origins of the route's policy."""
    response = send(server, unserved.method, unserved.target, origin)
    spelling = Spelling(unserved.target, str(unserved.handler), unserved.policy, unserved.attack)
    context = describe(server, unserved.method, spelling, origin, response)
    assert response.get("x-handler") == unserved.handler, context
    if unserved.handler is None:
        assert response.status in (400, 405), context
    check_cors(response, spelling, origin, context)
