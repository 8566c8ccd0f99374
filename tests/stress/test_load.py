"""Load and concurrency against real multi-threaded servers, each run as a subprocess:
waitress with threads, and gunicorn's threaded worker (``-w 1 --threads N``).

100,000 requests per server, a mix of allowed, refused and hostile ones, every request with
an origin of its own (``https://c<n>.example.com``), over several keep-alive connections at
once. Checked on every response: no 5xx; ``Access-Control-Allow-Origin`` is the request's
own origin or absent (never another request's); it is present exactly when the origin is
allowed; the response is the request's own (``X-Request-Id`` echoed). The resident memory
of the process serving the requests after 100,000 requests is within 5% of what it was
after 20,000.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

import pytest

from tests.stress.support import (
    RawConnection,
    children,
    free_port,
    gunicorn_command,
    rss_kb,
    server_process,
    waitress_command,
)

TOTAL = 100_000
CHECKPOINT = 20_000
CONNECTIONS = 32  # concurrent keep-alive connections, one client thread each
THREADS = 8  # server threads
MEMORY_GROWTH = 0.05


class Expected(NamedTuple):
    origin: Optional[str]  # the request's Origin, as sent (None: no Origin)
    allowed: Optional[bool]  # True: ACAO must be the origin; False: absent; None: either
    request_id: Optional[str]  # echoed by GET /demo/{id}


def build_request(n: int) -> Tuple[bytes, Expected]:
    """Request number ``n`` of the mix: 40% allowed GETs, 10% refused GETs, 10% allowed
    preflights, 10% refused preflights, 30% hostile requests."""
    kind = n % 20
    own = f"https://c{n}.example.com"
    lines: List[str] = []
    method, path, allowed, request_id = "GET", f"/demo/{n}", True, str(n)
    origin: Optional[str] = own
    if kind < 8:
        lines = [f"Origin: {own}", f"X-Request-Id: {n}"]
    elif kind < 10:
        origin = f"https://c{n}.example.org"
        lines = [f"Origin: {origin}", f"X-Request-Id: {n}"]
        allowed = False
    elif kind < 12:
        method, request_id = "OPTIONS", None
        lines = [
            f"Origin: {own}",
            "Access-Control-Request-Method: PUT",
            "Access-Control-Request-Headers: content-type, x-token",
        ]
    elif kind == 12:  # a method the route does not serve
        method, request_id, allowed = "OPTIONS", None, False
        lines = [f"Origin: {own}", "Access-Control-Request-Method: DELETE"]
    elif kind == 13:  # a header that is not allowed
        method, request_id, allowed = "OPTIONS", None, False
        lines = [
            f"Origin: {own}",
            "Access-Control-Request-Method: PUT",
            "Access-Control-Request-Headers: x-other",
        ]
    elif kind == 14:  # two Origin lines, both allowed: the server joins them, never allowed
        lines = [f"Origin: {own}", f"Origin: https://d{n}.example.com", f"X-Request-Id: {n}"]
        origin, allowed = f"{own}, https://d{n}.example.com", False
    elif kind == 15:  # latin-1 bytes no browser sends in an origin
        origin, allowed = f"https://c{n}\xe9.example.com", False
        lines = [f"Origin: {origin}", f"X-Request-Id: {n}"]
    elif kind == 16:  # a 6 KB origin (under gunicorn's 8 KB field limit)
        origin, allowed = f"https://c{n}" + "x" * 6000 + ".example.com", None
        lines = [f"Origin: {origin}", f"X-Request-Id: {n}"]
    elif kind == 17:  # a 7 KB header list: refused, never echoed
        method, request_id, allowed = "OPTIONS", None, False
        lines = [
            f"Origin: {own}",
            "Access-Control-Request-Method: PUT",
            "Access-Control-Request-Headers: " + "x-token, " * 780,
        ]
    elif kind == 18:  # private network access, not enabled; or the null origin
        if n % 40 < 20:
            method, request_id, allowed = "OPTIONS", None, False
            lines = [
                f"Origin: {own}",
                "Access-Control-Request-Method: GET",
                "Access-Control-Request-Private-Network: true",
            ]
        else:
            origin, allowed = "null", False
            lines = ["Origin: null", f"X-Request-Id: {n}"]
    else:  # no Origin at all
        origin, allowed = None, False
        lines = [f"X-Request-Id: {n}"]
    head = "\r\n".join([f"{method} {path} HTTP/1.1", "Host: api.example.com", *lines])
    return (head + "\r\n\r\n").encode("latin-1"), Expected(origin, allowed, request_id)


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.errors: List[str] = []  # every failed check; the first few are shown
        self.statuses: Dict[int, int] = {}
        self.allowed = 0

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def check(n: int, expected: Expected, response: object, results: Results) -> None:
    from tests.stress.support import Response

    assert isinstance(response, Response)
    if response.status >= 500:
        results.fail(f"#{n}: {response.status}")
    acao = response.all("access-control-allow-origin")
    if len(acao) > 1:
        results.fail(f"#{n}: {len(acao)} Access-Control-Allow-Origin headers")
    got = acao[0] if acao else None
    if got is not None and got != expected.origin:
        results.fail(f"#{n}: Access-Control-Allow-Origin {got[:80]!r}, sent {expected.origin!r}")
    if expected.allowed is True and got is None:
        results.fail(f"#{n}: {expected.origin!r} refused ({response.status})")
    if expected.allowed is False and got is not None:
        results.fail(f"#{n}: {expected.origin!r} allowed")
    if got is not None and response.get("access-control-allow-credentials") != "true":
        results.fail(f"#{n}: no credentials for {got!r}")
    echoed = response.get("x-request-id")
    if expected.request_id is not None and response.status == 200 and echoed != expected.request_id:
        results.fail(f"#{n}: the response to request {echoed!r}")
    with results.lock:
        results.requests += 1
        results.statuses[response.status] = results.statuses.get(response.status, 0) + 1
        results.allowed += got is not None


def run_phase(
    port: int, numbers: range, connections: List[RawConnection], results: Results
) -> None:
    """Send requests ``numbers`` over ``connections`` at once, one thread per connection."""
    lock = threading.Lock()
    queue = iter(numbers)

    def work(connection: RawConnection) -> None:
        deadline = time.monotonic() + 170
        while time.monotonic() < deadline:
            with lock:
                n = next(queue, None)
            if n is None:
                return
            raw, expected = build_request(n)
            try:
                response = connection.request(raw)
            except Exception as error:  # reported, not raised: the other threads go on
                results.fail(f"#{n}: {type(error).__name__}: {error}")
                connection.close()
                continue
            check(n, expected, response, results)
        results.fail("the phase ran out of time")

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)


def load(port: int, serving_pid: Callable[[], int], name: str) -> None:
    connections = [RawConnection(port) for _ in range(CONNECTIONS)]
    results = Results()
    try:
        start = time.monotonic()
        run_phase(port, range(CHECKPOINT), connections, results)
        rss_checkpoint = rss_kb(serving_pid())
        run_phase(port, range(CHECKPOINT, TOTAL), connections, results)
        elapsed = time.monotonic() - start
        rss_end = rss_kb(serving_pid())
    finally:
        for connection in connections:
            connection.close()
    growth = rss_end / rss_checkpoint - 1
    print(
        f"\n[load {name}] {results.requests} requests in {elapsed:.1f} s "
        f"({results.requests / elapsed:.0f} req/s), {len(results.errors)} errors, "
        f"{results.allowed} allowed, statuses {dict(sorted(results.statuses.items()))}, "
        f"{sum(c.reconnects for c in connections)} connections; "
        f"RSS {rss_checkpoint} kB at {CHECKPOINT}, {rss_end} kB at {TOTAL} ({growth:+.1%})"
    )
    assert results.errors == [], results.errors[:10]
    assert results.requests == TOTAL
    assert not any(status >= 500 for status in results.statuses)
    assert growth <= MEMORY_GROWTH, f"RSS grew {growth:.1%} from {CHECKPOINT} to {TOTAL}"


def test_waitress_with_threads(tmp_path: Path) -> None:
    port = free_port()
    command = waitress_command(port, "tests.stress.apps:load_app", THREADS)
    with server_process(command, port, tmp_path / "waitress.log") as server:
        load(port, lambda: server.pid, "waitress")


def test_gunicorn_with_threads(tmp_path: Path) -> None:
    pytest.importorskip("gunicorn")  # tests/stress/conftest.py fails first under CI=true
    port = free_port()
    command = gunicorn_command(port, "tests.stress.apps:load_app", THREADS)
    with server_process(command, port, tmp_path / "gunicorn.log") as server:

        def worker() -> int:  # the one process serving requests
            [pid] = children(server.pid)
            return pid

        load(port, worker, "gunicorn")
