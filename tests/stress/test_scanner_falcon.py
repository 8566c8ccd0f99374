"""A real CORS misconfiguration scanner, CORScanner (PyPI ``cors``), against plain Falcon 4
apps with hug-cors, without hug: a ``falcon.App`` on waitress and a ``falcon.asgi.App`` on
uvicorn, each a server of its own (``tests/stress/falcon_apps.py``).

The scans are those of ``test_scanner.py`` (``tests/stress/scanning.py``): http through
the server itself as a proxy, https through a TLS-terminating CONNECT proxy. waitress takes
a proxied request's absolute URI as its path; uvicorn does with its httptools parser, which
it runs with here (its h11 parser passes the whole URI on as the path, which no route
matches). The app logs what reaches it, so a scan that never arrived cannot pass.

The configurations docs/plain-falcon.md recommends get no finding, on either server.
Falcon's own ``CORSMiddleware(allow_origins="*", allow_credentials="*")``, which reflects
any origin with credentials, is flagged by every check: the control that proves the
scanner works against these servers.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import ssl
from pathlib import Path
from typing import Any, Callable, ContextManager, Dict, Iterator, List, Tuple

import pytest

from tests.stress.falcon_apps import RECOMMENDED
from tests.stress.scanning import ALL_CHECKS, assert_every_check_arrived, run_scanner
from tests.stress.support import (
    RawConnection,
    free_port,
    server_process,
    uvicorn_command,
    waitress_command,
)

SERVERS = {
    "waitress": lambda port: waitress_command(port, "tests.stress.falcon_apps:wsgi_app", 4),
    "uvicorn": lambda port: uvicorn_command(port, "tests.stress.falcon_apps:asgi_app"),
}

Seen = List[Tuple[str, str]]

_runs = itertools.count()


class Served:
    """A Falcon app on a server: its port, and the log of the requests that reached it."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self._log = log

    def seen(self) -> Seen:
        """The Origin and path of each request that has reached the app."""
        lines = self._log.read_text(encoding="utf-8").splitlines()
        return [(origin, path) for origin, path in map(json.loads, lines)]


Serve = Callable[[str, str], ContextManager[Served]]
Scan = Callable[[str, str, str], Tuple[List[Dict[str, Any]], Seen]]


@pytest.fixture
def serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Serve:
    """serve(server, cors), in a ``with``: the Falcon app with the middleware ``cors`` (a
    key of ``falcon_apps.CORS``) on ``server``, stopped at the end of the block."""

    @contextlib.contextmanager
    def run(server: str, cors: str) -> Iterator[Served]:
        number = next(_runs)
        log = tmp_path / f"requests-{number}.jsonl"
        log.touch()
        monkeypatch.setenv("HUG_CORS_SCAN_CORS", cors)
        monkeypatch.setenv("HUG_CORS_SCAN_LOG", str(log))
        port = free_port()
        with server_process(SERVERS[server](port), port, tmp_path / f"server-{number}.log"):
            yield Served(port, log)

    return run


@pytest.fixture
def scan(serve: Serve, tls_context: ssl.SSLContext) -> Scan:
    """scan(server, cors, url): CORScanner's findings for ``url`` served by the Falcon app
    with ``cors`` on ``server``, and what reached the app."""

    def run(server: str, cors: str, url: str) -> Tuple[List[Dict[str, Any]], Seen]:
        with serve(server, cors) as served:
            return run_scanner(url, served.port, tls_context), served.seen()

    return run


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("server", sorted(SERVERS))
@pytest.mark.parametrize("cors", sorted(RECOMMENDED))
def test_recommended_configurations_have_no_finding(
    scan: Scan, cors: str, server: str, scheme: str
) -> None:
    findings, seen = scan(server, cors, f"{scheme}://api.example.com/")
    print(f"\n[scanner falcon {server} {cors} {scheme}] {len(seen)} requests, {findings}")
    assert findings == []
    assert_every_check_arrived(seen, scheme)


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_a_subdomain_pattern_trusts_subdomains_and_nothing_else(scan: Scan, server: str) -> None:
    # https://*.example.com means "any subdomain of example.com": CORScanner's
    # trust_any_subdomain check (https://evil.api.example.com, for an API on
    # api.example.com) is the configured trust, reported as such; no other check finds
    # anything, and an http origin never passes.
    findings, seen = scan(server, "subdomain-pattern", "https://api.example.com/")
    print(f"\n[scanner falcon {server} subdomain-pattern https] {findings}")
    assert [(f["type"], f["origin"]) for f in findings] == [
        ("trust_any_subdomain", "https://evil.api.example.com")
    ]
    assert_every_check_arrived(seen, "https")
    findings, seen = scan(server, "subdomain-pattern", "http://api.example.com/")
    assert findings == []
    assert_every_check_arrived(seen, "http")


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_falcons_own_middleware_reflecting_credentials_is_flagged_by_every_check(
    scan: Scan, server: str
) -> None:
    findings, seen = scan(server, "falcons-own-reflecting-credentials", "https://api.example.com/")
    fired = [finding["type"] for finding in findings]
    print(f"\n[scanner falcon {server} falcon.CORSMiddleware https] {len(seen)} requests, {fired}")
    assert fired == ALL_CHECKS
    assert all(finding["credentials"] == "true" for finding in findings)


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_each_server_serves_a_proxied_absolute_uri_as_its_path(serve: Serve, server: str) -> None:
    # The http scans rely on it: "GET http://api.example.com/?x=1 HTTP/1.1".
    with serve(server, "uncredentialed-wildcard") as served:
        connection = RawConnection(served.port)
        try:
            response = connection.request(
                b"GET http://api.example.com/?x=1 HTTP/1.1\r\n"
                b"Host: api.example.com\r\nOrigin: https://evil.com\r\nConnection: close\r\n\r\n"
            )
        finally:
            connection.close()
        assert response.status == 200
        assert response.get("access-control-allow-origin") == "*"
        assert served.seen() == [("https://evil.com", "/")]
