"""Preflights keep the connection open on real servers: waitress, and gunicorn's threaded
worker, each run as a subprocess.

One TCP connection carries 50 preflights in a row, then allowed and refused preflights
interleaved with GETs. Every request must be answered on that same connection: no
response says ``Connection: close``, the server never closes it, and each preflight's
answer is ``200`` with ``Content-Length: 0``. (waitress closes an HTTP/1.1 connection
after every ``204``, which is why hug-cors answers a preflight ``200``.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, List, Optional, Tuple

from tests.stress.support import (
    RawConnection,
    Response,
    free_port,
    gunicorn_command,
    server_process,
    waitress_command,
)

APP = "tests.stress.apps:load_app"  # allows https://*.example.com, X-Token, PUT on /demo/{id}
PREFLIGHTS_IN_A_ROW = 50
ROUNDS = 20  # of the interleaved mix, five requests each

Check = Callable[[Response], Optional[str]]  # a reason the response is wrong, or None


def preflight(n: int, origin: str, method: str = "PUT") -> Tuple[bytes, Check]:
    allowed = origin.endswith(".example.com") and method == "PUT"
    raw = (
        f"OPTIONS /demo/{n} HTTP/1.1\r\nHost: api.example.com\r\nOrigin: {origin}\r\n"
        f"Access-Control-Request-Method: {method}\r\n"
        "Access-Control-Request-Headers: x-token\r\n\r\n"
    ).encode("ascii")

    def check(response: Response) -> Optional[str]:
        if response.status != 200 or response.get("content-length") != "0":
            length = response.get("content-length")
            return f"status {response.status}, Content-Length {length!r}, not 200 and 0"
        acao = response.get("access-control-allow-origin")
        if acao != (origin if allowed else None):
            return f"Access-Control-Allow-Origin {acao!r} for {origin!r} asking {method}"
        return None

    return raw, check


def get(n: int, origin: str) -> Tuple[bytes, Check]:
    raw = (
        f"GET /demo/{n} HTTP/1.1\r\nHost: api.example.com\r\nOrigin: {origin}\r\n"
        f"X-Request-Id: {n}\r\n\r\n"
    ).encode("ascii")
    allowed = origin.endswith(".example.com")

    def check(response: Response) -> Optional[str]:
        if response.status != 200 or response.get("x-request-id") != str(n):
            return f"status {response.status}, X-Request-Id {response.get('x-request-id')!r}"
        acao = response.get("access-control-allow-origin")
        if acao != (origin if allowed else None):
            return f"Access-Control-Allow-Origin {acao!r} for {origin!r}"
        return None

    return raw, check


def requests() -> List[Tuple[str, bytes, Check]]:
    """50 allowed preflights in a row, then rounds of: an allowed GET, a preflight from a
    refused origin, an allowed preflight, a preflight for a method the policy refuses, a
    GET from a refused origin."""
    sent = [
        ("allowed preflight", *preflight(n, f"https://c{n}.example.com"))
        for n in range(PREFLIGHTS_IN_A_ROW)
    ]
    for n in range(1000, 1000 + ROUNDS):
        sent += [
            ("allowed GET", *get(n, f"https://c{n}.example.com")),
            ("refused-origin preflight", *preflight(n, f"https://c{n}.example.org")),
            ("allowed preflight", *preflight(n, f"https://c{n}.example.com")),
            ("refused-method preflight", *preflight(n, f"https://c{n}.example.com", "DELETE")),
            ("refused-origin GET", *get(n, f"https://c{n}.example.org")),
        ]
    return sent


def assert_one_connection_carries_everything(port: int) -> None:
    connection = RawConnection(port)
    try:
        for number, (kind, raw, check) in enumerate(requests(), 1):
            response = connection.request(raw)
            assert connection.reconnects == 1, (
                f"request {number} ({kind}) went out on a new connection: the server closed "
                f"the one before (reconnects: {connection.reconnects})"
            )
            assert (response.get("connection") or "").lower() != "close", (
                f"request {number} ({kind}): the server answered with Connection: close "
                f"(status {response.status})"
            )
            wrong = check(response)
            assert wrong is None, f"request {number} ({kind}): {wrong}"
        assert not connection.closed_by_server(wait=0.5), (
            "the server closed the connection after the last response"
        )
    finally:
        connection.close()


def test_waitress_keeps_the_connection_open_across_preflights(tmp_path: Path) -> None:
    port = free_port()
    with server_process(waitress_command(port, APP, 4), port, tmp_path / "waitress.log"):
        assert_one_connection_carries_everything(port)


def test_gunicorn_keeps_the_connection_open_across_preflights(tmp_path: Path) -> None:
    port = free_port()
    with server_process(gunicorn_command(port, APP, 4), port, tmp_path / "gunicorn.log"):
        assert_one_connection_carries_everything(port)
