"""Origins from a database shared by a fleet: ``examples/multi_tenant.py`` under real
gunicorn with four worker processes, its tenants' origins in one SQLite file.

An origin added to the table is granted by every worker once the TTL has passed, and
refused again by every one once the TTL has passed after its removal. Each round holds a
connection to every worker at once, and each answer names the process that served it, so
the test proves that all four workers answered, not one.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import time
from pathlib import Path
from typing import Iterator, List, Optional, Set, Tuple

import pytest

from tests.stress.support import (
    HOST,
    RawConnection,
    free_port,
    no_control_socket,
    python_command,
    server_process,
)

TTL = 1.0
WORKERS = 4
TENANT = "https://shop.tenant.example"
FRONT_END = "https://app.example.com"  # listed, and the only origin given credentials
REQUESTS = 40  # per round: with 4 workers, several of them answer


def gunicorn(port: int) -> List[str]:
    return python_command(
        "-m", "gunicorn", "--bind", f"{HOST}:{port}", "--workers", str(WORKERS),
        *no_control_socket(), "examples.multi_tenant:app",
    )  # fmt: skip


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[int, Path]]:
    folder = tmp_path_factory.mktemp("fleet")
    database = folder / "tenants.sqlite3"
    port = free_port()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TENANTS_DB", str(database))
        patch.setenv("TENANTS_TTL", str(TTL))
        with server_process(gunicorn(port), port, folder / "gunicorn.log"):
            yield port, database


def tenants(database: Path, command: str) -> None:
    connection = sqlite3.connect(database, timeout=5)
    with connection:
        connection.execute("CREATE TABLE IF NOT EXISTS tenant_origins (origin TEXT PRIMARY KEY)")
        if command == "add":
            connection.execute("INSERT OR IGNORE INTO tenant_origins VALUES (?)", (TENANT,))
        else:
            connection.execute("DELETE FROM tenant_origins WHERE origin = ?", (TENANT,))
    connection.close()


def round_of_requests(port: int) -> Tuple[Set[int], List[Optional[str]]]:
    """The workers that answered and each answer's Access-Control-Allow-Origin.

    A sync worker serves one connection at a time, from accept to close, and the kernel
    may hand a run of sequential connections to one worker. So each batch first opens
    one connection per worker, then sends the requests: each worker holds a connection
    of its own, and every worker answers."""
    workers: Set[int] = set()
    granted: List[Optional[str]] = []
    for _ in range(REQUESTS // WORKERS):
        connections = [http.client.HTTPConnection(HOST, port, timeout=10) for _ in range(WORKERS)]
        try:
            for connection in connections:
                connection.connect()
            time.sleep(0.05)  # let each worker accept one
            for connection in connections:
                connection.request("GET", "/whoami", headers={"Origin": TENANT})
                response = connection.getresponse()
                workers.add(json.loads(response.read())["worker"])
                granted.append(response.getheader("Access-Control-Allow-Origin"))
        finally:
            for connection in connections:
                connection.close()
    return workers, granted


def test_every_worker_follows_the_table_within_the_ttl(fleet: Tuple[int, Path]) -> None:
    port, database = fleet
    workers, granted = round_of_requests(port)
    assert len(workers) == WORKERS, workers
    assert granted == [None] * REQUESTS  # not registered yet: every worker refuses

    tenants(database, "add")
    time.sleep(TTL + 0.3)  # every worker's refusal has expired
    workers, granted = round_of_requests(port)
    assert len(workers) == WORKERS, workers
    assert granted == [TENANT] * REQUESTS

    tenants(database, "remove")
    time.sleep(TTL + 0.3)
    workers, granted = round_of_requests(port)
    assert len(workers) == WORKERS, workers
    assert granted == [None] * REQUESTS


# Spellings that no browser sends of an origin, as raw header lines: none may be granted
# (nor given credentials), none may be looked up as the tenant's (the function only ever
# sees well-formed origins), and none may turn into a 500.
def hostile(origin: str) -> List[List[bytes]]:
    value = origin.encode()
    host = value.index(b"://") + 3
    return [
        [b"Origin: " + value.upper()],
        [b"Origin: " + value + b"/"],
        [b"Origin: " + value + b":443"],
        [b"Origin: " + value + b"."],
        [b"Origin: " + value + b" https://evil.example"],
        [b"Origin: " + value, b"Origin: https://evil.example"],
        [b"Origin: https://evil.example", b"Origin: " + value],
        [b"Origin: " + value[:host] + b"\xf6" + value[host + 1 :]],  # a Latin-1 letter
        [b"Origin: " + value + b"' OR '1'='1"],
        [b"Origin: null"],
    ]


def test_no_spelling_of_an_allowed_origin_but_its_own_is_granted(
    fleet: Tuple[int, Path],
) -> None:
    """The tenant gets CORS without credentials, the listed front end with them
    (``allow_credentials=[front end]``), and no other spelling of either gets anything."""
    port, database = fleet
    tenants(database, "add")
    time.sleep(TTL + 0.3)
    own = [(b"Origin: " + TENANT.encode(),), (b"Origin: " + FRONT_END.encode(),)]
    expected = {
        own[0]: ([TENANT], []),
        own[1]: ([FRONT_END], ["true"]),
        **{tuple(lines): ([], []) for lines in [*hostile(TENANT), *hostile(FRONT_END)]},
    }
    try:
        for lines, (origin, credentials) in expected.items():
            raw = b"\r\n".join([b"GET /whoami HTTP/1.1", b"Host: api.example.com", *lines])
            connection = RawConnection(port)
            try:
                response = connection.request(raw + b"\r\n\r\n")
            finally:
                connection.close()
            context = f"{lines!r}: {response.status} {response.headers}"
            assert response.status < 500, context
            assert response.all("access-control-allow-origin") == origin, context
            assert response.all("access-control-allow-credentials") == credentials, context
    finally:
        tenants(database, "remove")
        time.sleep(TTL + 0.3)
