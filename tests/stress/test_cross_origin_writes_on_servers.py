"""Cross-origin writes are refused on real servers, whatever spelling of a path or of a
header an attacker sends: waitress, and gunicorn's threaded worker, each run as a
subprocess serving ``writes_app.py``.

A hostile page wants a handler to run a write it is not allowed to make: a form POST or a
``no-cors`` fetch, which the browser sends with the user's cookies. It tries the paths that
reach a handler under another spelling than its route's (hug's implicit ``/v{anything}``
prefix, ``?api_version=``, repeated or trailing slashes, ``%``-encoded letters, a sink, the
not-found handler), from each origin, marked ``Sec-Fetch-Site: cross-site`` or, as a
browser from before 2023 sends it, with an ``Origin`` alone. Each request goes out byte for
byte on a raw HTTP/1.1 connection. The rule checked on every response: a handler ran (it
names itself in ``X-Handler``) only if its own policy allows the origin. The positive
controls show that the allowed writes, and the same-origin ones, do run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional

import pytest

from tests.stress.support import (
    RawConnection,
    Response,
    free_port,
    gunicorn_command,
    server_process,
    waitress_command,
)
from tests.stress.writes_app import ADMIN_ORIGIN, APP_ORIGIN, WRITERS
from tests.test_cross_origin_writes import RAW_ATTACKS

HOST = "api.example.com"
EVIL_ORIGIN = "https://evil.example"
THREADS = 2

SPELLINGS = [
    "/items",
    "/items/",
    "//items",
    "/v1/items",
    "/v2/items",
    "/items?api_version=1",
    "/%69tems",
    "/admin/items",
    "/admin/items/",
    "//admin/items",
    "/admin//items",
    "/v1/admin/items",
    "/v9/admin/items",
    "/%61dmin/items",
    "/ADMIN/items",
    "/admin/items?api_version=1",
    "/webhook",
    "/webhook/",
    "//webhook",
    "/v1/webhook",
    "/%77ebhook",
    "/versioned",
    "/v1/versioned",
    "/v2/versioned",
    "/versioned?api_version=1",
    "/files",
    "/files/x",
    "/v1/files/x",
    "//files/x",
    "/nowhere",
    "/v1/nowhere",
    "/admin/nowhere",
]
ORIGINS = [APP_ORIGIN, ADMIN_ORIGIN, EVIL_ORIGIN]


class Server(NamedTuple):
    name: str
    port: int


@pytest.fixture(scope="module", params=["waitress", "gunicorn"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    name = request.param
    port = free_port()
    command = {"waitress": waitress_command, "gunicorn": gunicorn_command}[name]
    log: Path = tmp_path_factory.mktemp(name) / f"{name}.log"
    with server_process(command(port, "tests.stress.writes_app:app", THREADS), port, log):
        yield Server(name, port)


def write(server: Server, method: str, target: str, lines: List[str]) -> Response:
    """One request on a fresh connection: ``method`` and ``target`` as given, an empty
    body, and the header ``lines``."""
    raw = "\r\n".join([f"{method} {target} HTTP/1.1", f"Host: {HOST}", "Content-Length: 0", *lines])
    return send_raw(server, (raw + "\r\n\r\n").encode("latin-1"))


def send_raw(server: Server, raw: bytes) -> Response:
    connection = RawConnection(server.port)
    try:
        return connection.request(raw)
    finally:
        connection.close()


def browser_lines(origin: str, fetch_site: Optional[str]) -> List[str]:
    return [f"Origin: {origin}"] + ([f"Sec-Fetch-Site: {fetch_site}"] if fetch_site else [])


@pytest.mark.parametrize("fetch_site", ["cross-site", "same-site", None])
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_no_spelling_runs_a_handler_for_an_origin_its_policy_refuses(
    server: Server, method: str, fetch_site: Optional[str]
) -> None:
    leaks, ran = [], []
    for target in SPELLINGS:
        for origin in ORIGINS:
            response = write(server, method, target, browser_lines(origin, fetch_site))
            handler = response.get("x-handler")
            if handler is None:
                assert response.status in (403, 405), (target, origin, response.status)
                continue
            ran.append((target, origin))
            if origin not in WRITERS[handler]:
                leaks.append(f"{method} {target} from {origin}: ran {handler}")
    assert leaks == [], f"{server.name}: " + "; ".join(leaks)
    if method == "POST":  # the positive controls: the writers' own writes run
        assert ("/items", APP_ORIGIN) in ran
        assert ("/v1/items", APP_ORIGIN) in ran
        assert ("/admin/items", ADMIN_ORIGIN) in ran
        assert ("/v1/admin/items", ADMIN_ORIGIN) in ran


@pytest.mark.parametrize("lines", RAW_ATTACKS, ids=lambda lines: ascii(b" | ".join(lines))[2:-1])
def test_no_hostile_header_spelling_runs_the_handler(server: Server, lines: List[bytes]) -> None:
    raw = b"\r\n".join(
        [b"POST /items HTTP/1.1", b"Host: " + HOST.encode(), b"Content-Length: 0", *lines]
    )
    response = send_raw(server, raw + b"\r\n\r\n")
    assert response.status == 403
    assert response.get("x-handler") is None


@pytest.mark.parametrize("target", ["/webhook", "/files/x", "/nowhere", "/admin/items"])
def test_same_origin_writes_and_servers_run_everywhere(server: Server, target: str) -> None:
    """Where no page may write across origins, the API's own pages and other servers can."""
    for lines in (
        browser_lines(f"http://{HOST}", "same-origin"),
        browser_lines(f"http://{HOST}", None),
        [],  # curl, a webhook sender: no Origin, no Sec-Fetch-Site
    ):
        response = write(server, "POST", target, lines)
        assert response.get("x-handler") is not None, (target, lines, response.status)
