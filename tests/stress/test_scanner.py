"""A real CORS misconfiguration scanner, CORScanner (PyPI ``cors``), against hug-cors.

CORScanner derives its attack origins from the target's host name (``evil.com``,
``api.example.com.evil.com``, ``evilexample.com``, ``null``, ``api.exampleacom``,
``evil.api.example.com``, special characters, well-known third parties, http for an
https site), so it scans ``http://api.example.com/`` and ``https://api.example.com/``
through a proxy: for http, waitress itself (it takes the absolute URI of a proxied request
as the request's path), and for https a CONNECT proxy that terminates TLS and forwards to
waitress. The server counts what reaches it, so a scan that never arrived cannot pass.

The configurations the docs recommend get no finding. hug's own CORSMiddleware with its
defaults is flagged by every check: the control that proves the scanner works here.
"""

from __future__ import annotations

import itertools
import ssl
from typing import Any, Callable, Dict, Iterator, List, Tuple

import hug.middleware
import pytest

from hug_cors import CORSMiddleware
from tests.servers import serve
from tests.stress.apps import build_api
from tests.stress.scanning import (
    ALL_CHECKS,
    Counting,
    assert_every_check_arrived,
    run_scanner,
)
from tests.stress.support import HOST

_names = itertools.count()


Scan = Callable[[Any, str], Tuple[List[Dict[str, Any]], Counting]]


@pytest.fixture
def scan(tls_context: ssl.SSLContext) -> Iterator[Scan]:
    """scan(middleware, url): CORScanner's findings for ``url`` served by a hug API with
    ``middleware`` (a callable taking the API), and what reached the server."""
    stops: List[Callable[[], None]] = []

    def run(middleware: Any, url: str) -> Tuple[List[Dict[str, Any]], Counting]:
        # hug.API(name) is one API per name: each scan needs a name of its own.
        app = Counting(build_api(f"hug_cors_scan_{next(_names)}", middleware).http.server())
        server = serve(app)
        stops.append(server.stop)
        return run_scanner(url, server.port, tls_context), app

    try:
        yield run
    finally:
        for stop in reversed(stops):
            stop()


RECOMMENDED = {
    "exact-origin": lambda api: CORSMiddleware(api, allow_origins=["https://app.example.com"]),
    "default-wildcard": lambda api: CORSMiddleware(api),
    "regex": lambda api: CORSMiddleware(
        api, allow_origin_regex=r"https://[a-z0-9-]+\.example\.com"
    ),
    "subdomain-pattern-of-another-domain": lambda api: CORSMiddleware(
        api, allow_origins=["https://*.example.org"]
    ),
    "everything-configured": lambda api: CORSMiddleware(
        api,
        allow_origins=["https://app.example.com", "http://localhost:*"],
        allow_methods=["GET", "PUT"],
        allow_headers=["X-Token"],
        expose_headers=["X-Total-Count"],
        max_age=600,
        allow_private_network=True,
    ),
}


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("name", sorted(RECOMMENDED))
def test_recommended_configurations_have_no_finding(scan: Scan, name: str, scheme: str) -> None:
    findings, app = scan(RECOMMENDED[name], f"{scheme}://api.example.com/")
    print(f"\n[scanner {name} {scheme}] {len(app.seen)} requests, findings: {findings}")
    assert findings == []
    assert_every_check_arrived(app.seen, scheme)


def test_a_subdomain_pattern_trusts_subdomains_and_nothing_else(scan: Scan) -> None:
    # https://*.example.com means "any subdomain of example.com", so CORScanner's
    # trust_any_subdomain check (https://evil.api.example.com, for an API on
    # api.example.com) is the configured trust, reported as such; every other check,
    # including the special-character and suffix tricks, finds nothing.
    def middleware(api: Any) -> CORSMiddleware:
        return CORSMiddleware(api, allow_origins=["https://*.example.com"])

    findings, _ = scan(middleware, "https://api.example.com/")
    print(f"\n[scanner subdomain-pattern https] findings: {findings}")
    assert [(f["type"], f["origin"]) for f in findings] == [
        ("trust_any_subdomain", "https://evil.api.example.com")
    ]
    findings, _ = scan(middleware, "http://api.example.com/")  # http origins: never
    assert findings == []


def test_hugs_own_middleware_is_flagged_by_every_check(scan: Scan) -> None:
    findings, app = scan(hug.middleware.CORSMiddleware, "https://api.example.com/")
    fired = [finding["type"] for finding in findings]
    print(f"\n[scanner hug.middleware.CORSMiddleware https] {len(app.seen)} requests, {fired}")
    assert fired == ALL_CHECKS
    assert all(finding["credentials"] == "true" for finding in findings)


def test_waitress_serves_a_proxied_absolute_uri_as_its_path() -> None:
    # The http scans rely on it: "GET http://api.example.com/demo/1?x=1 HTTP/1.1".
    import socket

    app = Counting(build_api("hug_cors_scan_absolute", None).http.server())
    server = serve(app)
    try:
        with socket.create_connection((HOST, server.port), timeout=10) as connection:
            connection.sendall(
                b"GET http://api.example.com/demo/1?x=1 HTTP/1.1\r\n"
                b"Host: api.example.com\r\nOrigin: https://evil.com\r\nConnection: close\r\n\r\n"
            )
            response = b""
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                response += chunk
    finally:
        server.stop()
    assert response.startswith(b"HTTP/1.1 200 ")
    assert response.endswith(b'{"result": "1"}')
    assert app.seen == [("https://evil.com", "/demo/1")]
