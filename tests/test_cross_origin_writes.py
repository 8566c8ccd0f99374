"""reject_cross_origin_writes: a browser's write (any method but GET, HEAD and OPTIONS)
from another origin that the route's policy does not allow is answered 403 before the
handler runs. Same-origin requests, allowed origins, safe methods, preflights and clients
that are not browsers pass."""

from __future__ import annotations

import http.client
import itertools
import logging
from typing import Any, Dict, List, Optional

import hug
import pytest

from hug_cors import CORSConfigurationWarning, CORSMiddleware, CORSPolicy, route_policy
from tests.helpers import ORIGIN, OTHER_ORIGIN, call, cors_headers, preflight
from tests.servers import serve

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


def writes_api(ran: Ran, **config: Any) -> hug.API:
    """``/items`` serves every method; ``/webhook`` has no CORS (``route_policy(None)``),
    ``/public`` a policy of its own that allows every origin."""
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
    return api


def send(api: hug.API, method: str, path: str, fetch_site: Optional[str], origin: Optional[str]):
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
    method: str, fetch_site: Optional[str], origin: Optional[str]
) -> None:
    ran = Ran()
    api = writes_api(ran, reject_cross_origin_writes=True)
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
def test_off_by_default_every_write_runs(fetch_site: Optional[str], origin: Optional[str]) -> None:
    ran = Ran()
    api = writes_api(ran)
    assert send(api, "POST", "/items", fetch_site, origin).status == "200 OK"
    assert ran.calls == ["POST /items"]


def test_each_route_is_judged_by_its_own_policy() -> None:
    ran = Ran()
    api = writes_api(ran, reject_cross_origin_writes=True)
    # No CORS on /webhook: no origin may write there from a browser.
    assert send(api, "POST", "/webhook", "cross-site", ORIGIN).status == "403 Forbidden"
    # A server calling the webhook sends neither header.
    assert send(api, "POST", "/webhook", None, None).status == "200 OK"
    # /public's policy allows every origin.
    assert send(api, "POST", "/public", "cross-site", OTHER_ORIGIN).status == "200 OK"
    assert ran.calls == ["hook", "pub"]


def test_preflights_are_still_answered_and_never_refused_as_writes() -> None:
    ran = Ran()
    api = writes_api(ran, reject_cross_origin_writes=True)
    allowed = preflight(api, "/items", "PUT", headers=None, **{"Sec-Fetch-Site": "cross-site"})
    assert cors_headers(allowed)["access-control-allow-origin"] == ORIGIN
    refused = preflight(api, "/items", "PUT", origin=OTHER_ORIGIN)
    assert refused.status == "200 OK"
    assert cors_headers(refused) == {}
    assert ran.calls == []


def test_a_refusal_is_logged_and_explained_in_debug_mode(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran = Ran()
    api = writes_api(ran, reject_cross_origin_writes=True, debug=True)
    with caplog.at_level(logging.INFO, logger="hug_cors"):
        response = send(api, "POST", "/items", "cross-site", OTHER_ORIGIN)
    reason = f"cross-origin POST from origin '{OTHER_ORIGIN}' (Sec-Fetch-Site: cross-site)"
    assert response.headers_dict["hug-cors-refused"] == reason
    assert response.data == {"errors": {"Cross-origin request refused": reason}}
    assert f"refused for '/items': {reason}" in caplog.text
    quiet = send(writes_api(ran, reject_cross_origin_writes=True), "POST", "/items", "x", None)
    assert quiet.data == {
        "errors": {"Cross-origin request refused": "A page on another origin sent it."}
    }
    assert "hug-cors-refused" not in quiet.headers_dict
    assert ran.calls == []


def test_an_allowed_origins_write_gets_its_cors_headers() -> None:
    ran = Ran()
    api = writes_api(ran, reject_cross_origin_writes=True)
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


@pytest.mark.parametrize("lines", RAW_ATTACKS, ids=lambda lines: ascii(b" | ".join(lines))[2:-1])
def test_on_a_real_server_no_hostile_spelling_runs_the_handler(lines: List[bytes]) -> None:
    import socket

    ran = Ran()
    server = serve(writes_api(ran, reject_cross_origin_writes=True).http.server())
    try:
        raw = b"\r\n".join(
            [b"POST /items HTTP/1.1", b"Host: " + HOST.encode(), b"Content-Length: 0", *lines]
        )
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
            connection.sendall(raw + b"\r\n\r\n")
            answer = connection.recv(65536)
        status = answer.split(b"\r\n", 1)[0]
        assert status == b"HTTP/1.1 403 Forbidden", answer
        assert ran.calls == []
    finally:
        server.stop()


def test_on_a_real_server_same_origin_and_allowed_writes_run() -> None:
    ran = Ran()
    server = serve(writes_api(ran, reject_cross_origin_writes=True).http.server())
    try:
        for headers in (
            {"Sec-Fetch-Site": "same-origin", "Origin": OWN},
            {"Origin": OWN},
            {"Sec-Fetch-Site": "cross-site", "Origin": ORIGIN},
            {},
        ):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            connection.request("POST", "/items", headers={"Host": HOST, **headers})
            assert connection.getresponse().status == 200, headers
            connection.close()
        assert ran.calls == ["POST /items"] * 4
    finally:
        server.stop()


def test_with_the_wildcard_it_warns_that_it_refuses_nothing() -> None:
    with pytest.warns(CORSConfigurationWarning, match="refuses no write"):
        CORSMiddleware(hug.API("writes_wildcard"), reject_cross_origin_writes=True)
