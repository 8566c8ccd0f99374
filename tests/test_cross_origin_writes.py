"""reject_cross_origin_writes: a browser's write (any method but GET, HEAD and OPTIONS)
from another origin that the route's policy does not allow is answered 403 before the
handler runs. Same-origin requests, allowed origins, safe methods, preflights and clients
that are not browsers pass."""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import logging
import socket
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import falcon
import pytest

from hug_cors import CORSConfigurationWarning, CORSMiddleware, CORSPolicy, route_policy
from tests.helpers import (
    ORIGIN,
    OTHER_ORIGIN,
    MakeApi,
    call,
    cors_headers,
    for_asgi,
    new_falcon_app,
    preflight,
    server,
)
from tests.stress.support import (
    HOST as LOOPBACK,
)
from tests.stress.support import (
    free_port,
    server_process,
    uvicorn_command,
    waitress_command,
)

HOST = "api.example.com"
OWN = f"http://{HOST}"
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]
FETCH_SITES = [None, "same-origin", "none", "same-site", "cross-site", "Cross-Site", "x"]
ORIGINS = [None, OWN, ORIGIN, OTHER_ORIGIN, "null", "http://api.example.com:8080"]

_names = itertools.count()


class Ran:
    """Which handlers ran, as (method, path)."""

    def __init__(self) -> None:
        self.calls: List[str] = []


def writes_api(framework: str, ran: Ran, **config: Any) -> Any:
    """``/items`` serves every method; ``/webhook`` has no CORS (``route_policy(None)``),
    ``/public`` a policy of its own that allows every origin; ``GET /ran`` lists what ran.
    A hug API, or the same routes in a plain Falcon app (WSGI or ASGI)."""
    if framework != "hug":
        return falcon_writes_app(framework == "falcon-asgi", ran, **config)
    import hug

    api = hug.API(f"cross_origin_writes_{next(_names)}")
    api.http.add_middleware(CORSMiddleware(api, allow_origins=[ORIGIN], **config))
    for method in ("get", "post", "put", "delete", "patch"):

        def handler(request: Any, method: str = method) -> str:
            ran.calls.append(f"{request.method} {request.path}")
            return "ran"

        getattr(hug, method)("/items", api=api)(handler)
    hug.post("/webhook", api=api)(route_policy(None)(lambda request: ran.calls.append("hook")))
    public = CORSPolicy(allow_origins=["*"])
    hug.post("/public", api=api)(route_policy(public)(lambda request: ran.calls.append("pub")))
    hug.get("/ran", api=api)(lambda: ran.calls)
    return api


class _Resource:
    def __init__(self, ran: Ran) -> None:
        self.ran = ran


class _Items(_Resource):
    def on_get(self, req: Any, resp: Any) -> None:
        self.ran.calls.append(f"{req.method} {req.path}")
        resp.content_type, resp.text = falcon.MEDIA_TEXT, "ran"

    on_post = on_put = on_delete = on_patch = on_get


class _Webhook(_Resource):
    @route_policy(None)
    def on_post(self, req: Any, resp: Any) -> None:
        self.ran.calls.append("hook")


class _Public(_Resource):
    @route_policy(CORSPolicy(allow_origins=["*"]))
    def on_post(self, req: Any, resp: Any) -> None:
        self.ran.calls.append("pub")


class _Ran(_Resource):
    def on_get(self, req: Any, resp: Any) -> None:
        resp.media = self.ran.calls


def falcon_writes_app(asgi: bool, ran: Ran, **config: Any) -> Any:
    app = new_falcon_app(asgi)
    app.add_middleware(CORSMiddleware(app, allow_origins=[ORIGIN], **config))
    routes = {"/items": _Items, "/webhook": _Webhook, "/public": _Public, "/ran": _Ran}
    for template, resource_class in routes.items():
        app.add_route(template, (for_asgi(resource_class) if asgi else resource_class)(ran))
    return app


def wsgi_writes_app() -> Any:
    """For ``waitress --call tests.test_cross_origin_writes:wsgi_writes_app``."""
    return falcon_writes_app(False, Ran(), reject_cross_origin_writes=True)


def asgi_writes_app() -> Any:
    """For ``uvicorn --factory tests.test_cross_origin_writes:asgi_writes_app``."""
    return falcon_writes_app(True, Ran(), reject_cross_origin_writes=True)


def send(api: Any, method: str, path: str, fetch_site: Optional[str], origin: Optional[str]):
    headers: Dict[str, str] = {"Host": HOST}
    if fetch_site is not None:
        headers["Sec-Fetch-Site"] = fetch_site
    if origin is not None:
        headers["Origin"] = origin
    return call(api, method, path, headers)


def cross_origin(fetch_site: Optional[str], origin: Optional[str]) -> bool:
    """What a browser marks as coming from another origin."""
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    return origin is not None and origin != OWN


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fetch_site", FETCH_SITES)
@pytest.mark.parametrize("origin", ORIGINS)
def test_the_matrix_of_method_fetch_site_and_origin(
    framework: str, method: str, fetch_site: Optional[str], origin: Optional[str]
) -> None:
    ran = Ran()
    api = writes_api(framework, ran, reject_cross_origin_writes=True)
    response = send(api, method, "/items", fetch_site, origin)
    write = method not in ("GET", "HEAD")
    refused = write and cross_origin(fetch_site, origin) and origin != ORIGIN
    if refused:
        assert response.status == "403 Forbidden", (method, fetch_site, origin)
        assert ran.calls == []  # the handler never ran
        assert cors_headers(response) == {}
    else:
        assert response.status != "403 Forbidden", (method, fetch_site, origin)
        assert ran.calls == ([f"{method} /items"] if method != "HEAD" else [])


@pytest.mark.parametrize("fetch_site", FETCH_SITES)
@pytest.mark.parametrize("origin", ORIGINS)
def test_off_by_default_every_write_runs(
    framework: str, fetch_site: Optional[str], origin: Optional[str]
) -> None:
    ran = Ran()
    api = writes_api(framework, ran)
    assert send(api, "POST", "/items", fetch_site, origin).status == "200 OK"
    assert ran.calls == ["POST /items"]


def test_each_route_is_judged_by_its_own_policy(framework: str) -> None:
    ran = Ran()
    api = writes_api(framework, ran, reject_cross_origin_writes=True)
    # No CORS on /webhook: no origin may write there from a browser.
    assert send(api, "POST", "/webhook", "cross-site", ORIGIN).status == "403 Forbidden"
    # A server calling the webhook sends neither header.
    assert send(api, "POST", "/webhook", None, None).status == "200 OK"
    # /public's policy allows every origin.
    assert send(api, "POST", "/public", "cross-site", OTHER_ORIGIN).status == "200 OK"
    assert ran.calls == ["hook", "pub"]


def test_preflights_are_still_answered_and_never_refused_as_writes(framework: str) -> None:
    ran = Ran()
    api = writes_api(framework, ran, reject_cross_origin_writes=True)
    allowed = preflight(api, "/items", "PUT", headers=None, **{"Sec-Fetch-Site": "cross-site"})
    assert cors_headers(allowed)["access-control-allow-origin"] == ORIGIN
    refused = preflight(api, "/items", "PUT", origin=OTHER_ORIGIN)
    assert refused.status == "200 OK"
    assert cors_headers(refused) == {}
    assert ran.calls == []


def error_body(framework: str, description: str) -> Dict[str, Any]:
    """The 403's body, as the app's own error serializer writes it."""
    title = "Cross-origin request refused"
    if framework == "hug":
        return {"errors": {title: description}}
    return {"title": title, "description": description}


def test_a_refusal_is_logged_and_explained_in_debug_mode(
    framework: str, caplog: pytest.LogCaptureFixture
) -> None:
    ran = Ran()
    api = writes_api(framework, ran, reject_cross_origin_writes=True, debug=True)
    with caplog.at_level(logging.INFO, logger="hug_cors"):
        response = send(api, "POST", "/items", "cross-site", OTHER_ORIGIN)
    reason = f"cross-origin POST from origin '{OTHER_ORIGIN}' (Sec-Fetch-Site: cross-site)"
    assert response.headers_dict["hug-cors-refused"] == reason
    assert response.data == error_body(framework, reason)
    logged = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "hug_cors"]
    assert logged == [
        (logging.WARNING, f"refused for '/items': {reason}"),
        (
            logging.WARNING,
            f"CORS refused for POST '/items': origin '{OTHER_ORIGIN}' is not allowed",
        ),
    ]
    caplog.clear()
    quiet_api = writes_api(framework, ran, reject_cross_origin_writes=True)
    with caplog.at_level(logging.INFO, logger="hug_cors"):
        quiet = send(quiet_api, "POST", "/items", "x", None)
    assert quiet.data == error_body(framework, "A page on another origin sent it.")
    assert "hug-cors-refused" not in quiet.headers_dict
    quietly = "cross-origin POST from no Origin (Sec-Fetch-Site: x)"
    logged = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "hug_cors"]
    assert logged == [(logging.INFO, f"refused for '/items': {quietly}")]
    assert ran.calls == []


def test_an_allowed_origins_write_gets_its_cors_headers(framework: str) -> None:
    ran = Ran()
    api = writes_api(framework, ran, reject_cross_origin_writes=True)
    response = send(api, "PUT", "/items", "cross-site", ORIGIN)
    assert response.status == "200 OK"
    assert cors_headers(response)["access-control-allow-origin"] == ORIGIN


# Spellings a hostile page cannot send but a hostile client can: none lets a browser's
# cross-site write through, and none raises.
RAW_ATTACKS = [
    [b"Sec-Fetch-Site: cross-site", b"Origin: " + ORIGIN.encode() + b"/"],
    [b"Sec-Fetch-Site: cross-site", b"Origin: " + ORIGIN.upper().encode()],
    [
        b"Sec-Fetch-Site: cross-site",
        b"Origin: " + OTHER_ORIGIN.encode(),
        b"Origin: " + ORIGIN.encode(),
    ],
    [b"Sec-Fetch-Site: cross-site", b"Origin: " + ORIGIN.encode() + b" " + OTHER_ORIGIN.encode()],
    [
        b"Sec-Fetch-Site: cross-site",
        b"Sec-Fetch-Site: same-origin",
        b"Origin: https://evil.example",
    ],
    [b"Sec-Fetch-Site: cross-site"],
    [b"Origin: https://evil.example"],
    [b"Origin: http://api.example.com.evil.example"],
    [b"Origin: http://evil.example/api.example.com"],
    [b"Origin: null"],
    [b"Sec-Fetch-Site: cross-site\xff", b"Origin: https://evil.example"],
]


@contextlib.contextmanager
def real_server(framework: str, tmp_path: Path) -> Iterator[int]:
    """The writes app with ``reject_cross_origin_writes=True`` on a real server, its port:
    hug's on the demo's waitress loop (in this process), plain Falcon's on waitress (WSGI)
    or uvicorn (ASGI) in a process of its own."""
    if framework == "hug":
        from tests.servers import serve

        running = serve(server(writes_api(framework, Ran(), reject_cross_origin_writes=True)))
        try:
            yield running.port
        finally:
            running.stop()
        return
    port = free_port()
    if framework == "falcon-wsgi":
        command = waitress_command(port, "tests.test_cross_origin_writes:wsgi_writes_app", 2)
    else:
        command = uvicorn_command(port, "tests.test_cross_origin_writes:asgi_writes_app")
    with server_process(command, port, tmp_path / "server.log"):
        yield port


def what_ran(port: int) -> List[str]:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        connection.request("GET", "/ran", headers={"Host": HOST})
        return list(json.loads(connection.getresponse().read()))
    finally:
        connection.close()


def test_on_a_real_server_no_hostile_spelling_runs_the_handler(
    framework: str, tmp_path: Path
) -> None:
    with real_server(framework, tmp_path) as port:
        for lines in RAW_ATTACKS:
            raw = b"\r\n".join(
                [b"POST /items HTTP/1.1", b"Host: " + HOST.encode(), b"Content-Length: 0", *lines]
            )
            with socket.create_connection((LOOPBACK, port), timeout=10) as connection:
                connection.sendall(raw + b"\r\n\r\n")
                answer = connection.recv(65536)
            status = answer.split(b"\r\n", 1)[0]
            refused = [b"HTTP/1.1 403 Forbidden"]
            if any(byte > 0x7F for line in lines for byte in line):
                refused.append(b"HTTP/1.1 400 Bad Request")  # uvicorn's own answer to it
            assert status in refused, (lines, answer)
        assert what_ran(port) == []


def test_on_a_real_server_same_origin_and_allowed_writes_run(
    framework: str, tmp_path: Path
) -> None:
    with real_server(framework, tmp_path) as port:
        for headers in (
            {"Sec-Fetch-Site": "same-origin", "Origin": OWN},
            {"Origin": OWN},
            {"Sec-Fetch-Site": "cross-site", "Origin": ORIGIN},
            {},
        ):
            connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
            connection.request("POST", "/items", headers={"Host": HOST, **headers})
            assert connection.getresponse().status == 200, headers
            connection.close()
        assert what_ran(port) == ["POST /items"] * 4


def test_with_the_wildcard_it_warns_that_it_refuses_nothing(make_api: MakeApi) -> None:
    with pytest.warns(CORSConfigurationWarning, match="refuses no write"):
        CORSMiddleware(make_api(None), reject_cross_origin_writes=True)
