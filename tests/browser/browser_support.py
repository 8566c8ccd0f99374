"""The browser suite's helpers: pages and servers, a fetching tab, the network log.

Nothing here imports hug or a Falcon app, so that both browser environments load it: the
hug tests (``tox -e browser``, whose hug API is in hug_apps.py) and the plain Falcon 4
tests (``tox -e browser-falcon``, test_falcon_asgi.py). Every server listens on 127.0.0.1
in a background thread; different ports are different origins. Imported by conftest.py
(fixtures) and the tests. Servers are imported when one starts (waitress by
tests/servers.py, uvicorn here), so that a missing one is reported by a fixture, which
skips the test, or fails it with CI=true.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Iterator, List, NoReturn, Optional, Tuple

import pytest

HOST = "127.0.0.1"
PAGES = Path(__file__).parent / "pages"
TIMEOUT_MS = 10_000  # for every page action and every fetch()

WSGIApp = Callable[[Dict[str, Any], Callable[..., Any]], Any]
ASGIApp = Callable[
    [Dict[str, Any], Callable[[], Awaitable[Any]], Callable[..., Awaitable[None]]], Awaitable[None]
]


def unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it when CI=true: a browser test never skips silently there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser suite must run, not skip)", pytrace=False)
    pytest.skip(reason)


# --- Servers --------------------------------------------------------------------------


def page(path: str) -> Optional[bytes]:
    """The test page at ``path``: ``/`` (blank) or ``/sandbox.html``; None for anything else."""
    name = path.lstrip("/") or "index.html"
    return (PAGES / name).read_bytes() if name in ("index.html", "sandbox.html") else None


def static_pages(environ: Dict[str, Any], start_response: Callable[..., Any]) -> List[bytes]:
    """The test pages as a WSGI app."""
    body = page(environ["PATH_INFO"])
    if body is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [body]


async def asgi_pages(
    scope: Dict[str, Any],
    receive: Callable[[], Awaitable[Any]],
    send: Callable[..., Awaitable[None]],
) -> None:
    """The test pages as an ASGI app."""
    body = page(scope["path"])
    status, content_type = (200, b"text/html; charset=utf-8") if body else (404, b"text/plain")
    headers = [(b"content-type", content_type)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body or b"not found"})


class UvicornServer:
    """``app`` served by uvicorn on a free port of 127.0.0.1, in a background thread:
    ``.url``, ``.stop()``. The thread is not the main one, so uvicorn leaves the signal
    handlers alone."""

    def __init__(self, app: ASGIApp) -> None:
        import uvicorn

        self._socket = socket.create_server((HOST, 0))
        self.url = f"http://{HOST}:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(
            app, lifespan="off", access_log=False, log_level="warning", timeout_graceful_shutdown=5
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name=self.url, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"uvicorn did not start serving {self.url} within 10 s")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


@contextlib.contextmanager
def serving(start_server: Callable[[Any], Any]) -> Iterator[Callable[[Any], str]]:
    """``serve(app)``: ``start_server(app)``, a server with ``.url`` and ``.stop()``, and
    its origin; every server started is stopped on exit, the newest first."""
    servers: List[Any] = []

    def serve(app: Any) -> str:
        servers.append(start_server(app))
        return str(servers[-1].url)

    try:
        yield serve
    finally:
        for server in reversed(servers):
            server.stop()


def localhost(origin: str) -> str:
    """The same server as ``origin`` named http://localhost:PORT: another origin."""
    return origin.replace(f"//{HOST}:", "//localhost:")


# --- Wrappers of a WSGI app -----------------------------------------------------------


class RequestCounter:
    """WSGI wrapper counting the requests that reach the server, by method and path."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self._counts: collections.Counter[Tuple[str, str]] = collections.Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: Dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self._lock:
            self._counts[environ["REQUEST_METHOD"], environ["PATH_INFO"]] += 1
        return self.app(environ, start_response)

    def count(self, method: str, path: Optional[str] = None) -> int:
        with self._lock:
            return sum(n for (m, p), n in self._counts.items() if m == method and path in (None, p))


def strip_header(app: WSGIApp, name: str) -> WSGIApp:
    """``app`` with the response header ``name`` removed: a broken CORS middleware."""

    def broken(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def start(status: str, headers: List[Tuple[str, str]], *exc_info: Any) -> Any:
            kept = [(k, v) for k, v in headers if k.lower() != name.lower()]
            return start_response(status, kept, *exc_info)

        return app(environ, start)

    return broken


# --- The page's view ------------------------------------------------------------------


@dataclass
class Seen:
    """What a page's script observed of one fetch(): a response, or the error it threw."""

    allowed: bool
    error: Optional[str] = None  # "TypeError: Failed to fetch" for a blocked call
    status: Optional[int] = None
    body: Any = None  # the JSON body, or the text if it is not JSON
    headers: Dict[str, str] = field(default_factory=dict)  # every header JS can read
    read: Dict[str, Optional[str]] = field(default_factory=dict)  # response.headers.get()
    redirected: bool = False
    origin: Optional[str] = None  # the fetching document's origin
    console: List[str] = field(default_factory=list)  # what Chromium logged meanwhile

    @property
    def blocked(self) -> bool:
        """fetch() rejected with the TypeError the Fetch standard specifies for CORS."""
        return not self.allowed and (self.error or "").startswith("TypeError")


_FETCH = """async ({url, init, read, timeout}) => {
  const seen = {origin: self.origin};
  try {
    const response = await fetch(url, {...init, signal: AbortSignal.timeout(timeout)});
    const text = await response.text();
    let body = text;
    try { body = JSON.parse(text); } catch (notJson) { /* keep the text */ }
    const headers = {};
    response.headers.forEach((value, name) => { headers[name] = value; });
    return {...seen, allowed: true, status: response.status, body, headers,
            read: Object.fromEntries(read.map((name) => [name, response.headers.get(name)])),
            redirected: response.redirected};
  } catch (error) {
    return {...seen, allowed: false, error: `${error.name}: ${error.message}`};
  }
}"""

_FETCH_IN_SANDBOX = """({url, init, timeout}) => new Promise((resolve) => {
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts");
  const timer = setTimeout(() => resolve({allowed: false, error: "no answer (timeout)"}), timeout);
  window.addEventListener("message", (event) => {
    if (event.source !== frame.contentWindow) return;
    clearTimeout(timer);
    resolve(event.data);
  });
  frame.src = "/sandbox.html#" + encodeURIComponent(JSON.stringify({url, init, timeout}));
  document.body.append(frame);
})"""


class Tab:
    """A Chromium tab showing a page; its fetch() calls are the page's own."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: List[str] = []
        page.on("console", lambda message: self.console.append(message.text))

    @property
    def origin(self) -> str:
        return str(self.page.evaluate("location.origin"))

    def open(self, url: str) -> Tab:
        self.page.goto(url)
        return self

    def fetch(self, url: str, read: Tuple[str, ...] = (), **init: Any) -> Seen:
        """``fetch(url, init)`` run by the page; ``read`` names headers to ``.get()``."""
        del self.console[:]
        arguments = {"url": url, "init": init, "read": list(read), "timeout": TIMEOUT_MS}
        seen = Seen(**self.page.evaluate(_FETCH, arguments))
        seen.console = list(self.console)
        return seen

    def fetch_in_sandbox(self, url: str, **init: Any) -> Seen:
        """The same, run by an ``<iframe sandbox="allow-scripts">`` (origin ``null``)."""
        del self.console[:]
        arguments = {"url": url, "init": init, "timeout": TIMEOUT_MS}
        seen = Seen(**self.page.evaluate(_FETCH_IN_SANDBOX, arguments))
        seen.console = list(self.console)
        return seen


# Submits a form to ``url`` in a frame; resolves true once the answer has loaded there.
_SUBMIT_FORM = """(url) => new Promise((resolve) => {
  let submitted = false;
  const frame = document.createElement("iframe");
  frame.name = "target";
  frame.addEventListener("load", () => { if (submitted) resolve(true); });
  document.body.append(frame);
  const form = document.createElement("form");
  form.method = "POST";
  form.action = url;
  form.target = "target";
  const field = document.createElement("input");
  field.name = "amount";
  field.value = "1000";
  form.append(field);
  document.body.append(form);
  form.submit();
  submitted = true;
  setTimeout(() => resolve(false), 10000);
})"""


def submit_form(tab: Tab, url: str) -> None:
    """A cross-site HTML form POST from ``tab`` to ``url``, its answer loaded in a frame:
    a request CORS never stops (the browser sends it and only hides the answer)."""
    assert tab.page.evaluate(_SUBMIT_FORM, url), "the form's answer never loaded"


# --- The network's view ---------------------------------------------------------------


@dataclass
class Received:
    """One response as Chromium's network stack received it, before any CORS check."""

    method: str
    url: str
    status: int
    headers: Dict[str, str]  # names in lower case
    body: str


class NetworkLog:
    """The responses ``page`` receives from ``origin``, CORS preflights included.

    Playwright's ``page.on("response")`` never reports a preflight, and ``page.route()``
    would answer preflights itself; the DevTools protocol's Fetch domain, paused at the
    response stage, sees them, body included, and lets each one go on unchanged.
    """

    def __init__(self, page: Any, origin: str) -> None:
        self.responses: List[Received] = []
        self._cdp = page.context.new_cdp_session(page)
        self._cdp.on("Fetch.requestPaused", self._paused)
        pattern = {"urlPattern": origin + "/*", "requestStage": "Response"}
        self._cdp.send("Fetch.enable", {"patterns": [pattern]})

    def _paused(self, event: Dict[str, Any]) -> None:
        try:
            answer = self._cdp.send("Fetch.getResponseBody", {"requestId": event["requestId"]})
            body = answer["body"]
            if answer["base64Encoded"]:
                body = base64.b64decode(body).decode("utf-8", "replace")
            self.responses.append(
                Received(
                    method=event["request"]["method"],
                    url=event["request"]["url"],
                    status=event["responseStatusCode"],
                    headers={h["name"].lower(): h["value"] for h in event["responseHeaders"]},
                    body=body,
                )
            )
        finally:  # never leave the request paused
            self._cdp.send("Fetch.continueResponse", {"requestId": event["requestId"]})

    def received(self, method: str) -> List[Received]:
        return [response for response in self.responses if response.method == method]
