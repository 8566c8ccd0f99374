"""CORScanner (PyPI ``cors``) against a server on 127.0.0.1, whatever framework it serves.

The scanner tests, ``test_scanner.py`` (hug) and ``test_scanner_falcon.py`` (plain
Falcon), scan ``http://api.example.com/`` and ``https://api.example.com/``: CORScanner
derives its attack origins from that host name. Its requests go through a proxy: for http
the server itself, which must take the absolute URI of a proxied request as the request's
path, and for https a :class:`~tests.stress.support.TLSProxy` in front of the server.
CORScanner runs in a process of its own (``corscanner_driver.py``).
"""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence, Tuple

from tests.stress.corscanner_driver import CHECKS
from tests.stress.support import HOST, TLSProxy

DRIVER = Path(__file__).with_name("corscanner_driver.py")
# CORScanner's checks in the order it runs them, by the names its findings carry.
ALL_CHECKS = [name[len("test_") :] for name in CHECKS]


class Counting:
    """WSGI wrapper: the Origin of every request that reached the app, and its path."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.seen: List[Tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, environ: Dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self._lock:
            self.seen.append((environ.get("HTTP_ORIGIN", ""), environ["PATH_INFO"]))
        return self.app(environ, start_response)


def run_scanner(url: str, port: int, tls_context: ssl.SSLContext) -> List[Dict[str, Any]]:
    """Every check of CORScanner against ``url``, served on ``port`` (an https ``url``
    through a TLSProxy to it, stopped after the scan): the findings."""
    proxy = TLSProxy(port, tls_context) if url.startswith("https:") else None
    try:
        done = subprocess.run(
            [sys.executable, str(DRIVER), url, f"http://{HOST}:{proxy.port if proxy else port}"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        if proxy is not None:
            proxy.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["checks"] == CHECKS
    findings: List[Dict[str, Any]] = report["findings"]
    return findings


def scanned_origins(seen: Sequence[Tuple[str, str]]) -> List[str]:
    """The origins of the requests for ``/`` among ``seen`` (Origin, path) pairs."""
    return sorted({origin for origin, path in seen if path == "/"})


def assert_every_check_arrived(seen: Sequence[Tuple[str, str]], scheme: str) -> None:
    """The requests of every check of a scan of ``scheme://api.example.com/`` reached the
    server: a scan that never arrived finds nothing either."""
    origins = scanned_origins(seen)
    # 4 + 6 third parties + 23 special characters + ..., and http://api.example.com for https
    assert len(origins) >= (35 if scheme == "https" else 34), origins
    assert "null" in origins
    assert f"{scheme}://evil.com" in origins
