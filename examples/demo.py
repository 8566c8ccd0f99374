"""hug-cors demo: a hug API and a front end on another origin, talking through CORS.

    python -m pip install -e ".[demo]"
    python examples/demo.py                 # API on :8000, page on :3000
    python examples/demo.py --api-port 0 --page-port 0 --other-port 0   # free ports

Open the page URL it prints. The page makes real cross-origin ``fetch()`` calls to
the API and shows, row by row, what the browser allowed or blocked and whether
that is what the API's CORS configuration promises. A third server, "another
site", serves a page that the API does not allow; the main page embeds it to show
a call from a foreign origin being blocked. Ctrl-C stops everything.

Everything listens on 127.0.0.1 only, served by waitress (a threaded WSGI server).
"""

import argparse
import itertools
import json
import mimetypes
import secrets
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any, Callable, Dict, Iterable, List, Optional

import falcon
import hug
from waitress import create_server, wasyncore

from hug_cors import CORSMiddleware

HOST = "127.0.0.1"
PAGE_DIR = Path(__file__).resolve().parent / "demo_page"
PAGE_FILES = ("index.html", "demo.js", "demo.css", "probe.html", "probe.js")

_api_names = itertools.count()
# Each stops the demo cleanly: Ctrl-C, `kill -INT`, and `kill` (a service manager's stop).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


# --- The API: what a real hug back end with a browser front end looks like. ---------


def create_api(page_origin: str) -> hug.API:
    """A hug API whose CORS policy allows one front end, ``page_origin``, with cookies."""
    api = hug.API(f"hug_cors_demo_{next(_api_names)}")  # hug keeps one API per name
    # (No annotations but `int` below: hug reads a function's annotations as its types.)
    api.http.add_middleware(
        CORSMiddleware(
            api,
            allow_origins=[page_origin],  # the front end; never "*" with cookies
            allow_methods=["GET", "POST", "PUT", "DELETE"],  # no PATCH for browsers
            allow_headers=["Content-Type", "X-Request-Id"],
            expose_headers=["X-Total-Count"],  # X-Internal-Trace stays unreadable
            max_age=600,  # the browser may reuse a preflight answer for 10 minutes
            # allow_credentials: the default sends credentials to listed origins only
        )
    )

    @hug.get("/hello", api=api)
    def hello(request):
        return {"message": "Hello from the API", "your_origin": request.get_header("Origin")}

    @hug.post("/echo", api=api)
    def echo(body):
        return {"received": body}

    @hug.get("/items", api=api)
    def list_items(response):
        response.set_header("X-Total-Count", "1")
        response.set_header("X-Internal-Trace", "trace-7f3a")
        return [{"id": 1, "name": "teapot"}]

    @hug.get("/items/{item_id}", api=api)
    def get_item(item_id: int, response):
        if item_id != 1:
            response.status = falcon.HTTP_404
            return {"error": f"there is no item {item_id}"}
        return {"id": 1, "name": "teapot"}

    @hug.put("/items/{item_id}", api=api)
    def put_item(item_id: int, body, request):
        return {"id": item_id, "saved": body, "request_id": request.get_header("X-Request-Id")}

    @hug.patch("/items/{item_id}", api=api)
    def patch_item(item_id: int):
        # Served to same-origin and server-side clients; CORS does not allow it to browsers.
        return {"id": item_id, "patched": True}

    @hug.post("/session", api=api)
    def log_in(response):
        token = secrets.token_hex(8)
        response.set_cookie("demo_session", token, path="/", secure=False, http_only=True)
        return {"session": token}

    @hug.get("/session", api=api)
    def who_am_i(request):
        return {"session": request.cookies.get("demo_session")}

    return api


# --- The front end: static files, and a config.js that says where the API is. -------


def create_page_app(config: Dict[str, str]) -> Callable[..., Iterable[bytes]]:
    """A tiny WSGI app serving ``demo_page/`` and ``/config.js`` (``window.DEMO = config``)."""
    config_js = f"window.DEMO = {json.dumps(config)};\n".encode()

    def page_app(environ: Dict[str, Any], start_response: Callable[..., Any]) -> List[bytes]:
        name = environ.get("PATH_INFO", "/").lstrip("/") or "index.html"
        if name == "config.js":
            body, content_type = config_js, "text/javascript"
        elif name in PAGE_FILES:
            body = (PAGE_DIR / name).read_bytes()
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        if content_type.startswith("text/"):
            content_type += "; charset=utf-8"
        headers = [("Content-Type", content_type), ("Cache-Control", "no-store")]
        start_response("200 OK", headers)
        return [body]

    return page_app


# --- Serving: waitress in a background thread, stoppable. ----------------------------


class Server:
    """A waitress server bound to 127.0.0.1:``port`` (0: a free port) at construction,
    serving ``app`` in a background thread once :meth:`serve` is called."""

    def __init__(self, port: int = 0) -> None:
        self._app: Optional[Callable[..., Any]] = None
        self._map: Dict[Any, Any] = {}
        try:
            self._server = create_server(self._call, map=self._map, host=HOST, port=port)
        except OSError as error:
            raise OSError(
                error.errno, f"cannot listen on {HOST}:{port}: {error.strerror}"
            ) from None
        self.port: int = self._server.effective_port
        self.url = f"http://{HOST}:{self.port}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=self.url, daemon=True)

    def serve(self, app: Callable[..., Any]) -> "Server":
        self._app = app
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _call(self, environ: Dict[str, Any], start_response: Callable[..., Any]) -> Any:
        assert self._app is not None
        return self._app(environ, start_response)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            wasyncore.loop(timeout=1.0, map=self._map, count=1)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._server.pull_trigger()  # wake the loop now rather than in a second
            self._thread.join(timeout=10)
        # Closed only here, once the loop has stopped: closing them in the loop thread
        # raced with pull_trigger() above, which could write to a closed descriptor.
        for dispatcher in list(self._map.values()):
            dispatcher.close()
        self._server.task_dispatcher.shutdown(timeout=5)


class Demo:
    """The demo's three servers: the API, the page, and another site the API refuses."""

    def __init__(self, api_port: int = 8000, page_port: int = 3000, other_port: int = 0) -> None:
        # Bind every port first: the API must know the page's origin, and the page the
        # API's URL, before anything is served.
        self.servers: List[Server] = []
        try:
            for port in (api_port, page_port, other_port):
                self.servers.append(Server(port))
            api, page, other = self.servers
            self.api_url, self.page_url, self.other_url = api.url, page.url, other.url
            config = {"api": api.url, "page": page.url, "other": other.url}
            api.serve(create_api(page_origin=page.url).http.server())
            page.serve(create_page_app(config))
            other.serve(create_page_app(config))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        self.servers = []


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api-port", type=int, default=8000, help="the API's port (0: free)")
    parser.add_argument("--page-port", type=int, default=3000, help="the page's port (0: free)")
    parser.add_argument(
        "--other-port", type=int, default=0, help="the refused site's port (default 0: free)"
    )
    args = parser.parse_args(argv)

    # Handlers of our own rather than Python's KeyboardInterrupt: a program started in the
    # background (`nohup python examples/demo.py &`) inherits an ignored SIGINT, and Python
    # then installs no handler, so Ctrl-C and `kill -INT` did nothing. The handler only
    # records the signal: the main loop stops the servers, never a half-run statement.
    stop_requested: List[int] = []

    def request_stop(signum: int, frame: Optional[FrameType]) -> None:
        stop_requested.append(signum)

    previous = {signum: signal.signal(signum, request_stop) for signum in STOP_SIGNALS}
    try:
        return _serve(args, stop_requested)
    finally:
        for signum, handler in previous.items():
            if handler is not None:  # None: set outside Python, and cannot be put back
                signal.signal(signum, handler)


def _serve(args: argparse.Namespace, stop_requested: List[int]) -> int:
    """Run the demo until ``stop_requested`` has a signal in it; the exit status."""
    try:
        demo = Demo(args.api_port, args.page_port, args.other_port)
    except OSError as error:
        print(f"{error.strerror}. Choose another port, or 0 for a free one.", file=sys.stderr)
        return 2
    try:
        print(f"API (hug + hug_cors.CORSMiddleware): {demo.api_url}")
        print(f"Front-end page (another origin):      {demo.page_url}")
        print(f"Another site, refused by the API:     {demo.other_url}")
        print(f"Open {demo.page_url} in a browser. Press Ctrl-C to stop.", flush=True)
        while not stop_requested:
            if not all(server.running for server in demo.servers):
                print("A server stopped unexpectedly.", file=sys.stderr)
                return 1
            time.sleep(0.2)  # a signal's handler runs during it: seen within 0.2 s
        print("\nStopping...", flush=True)
        return 0
    finally:
        demo.stop()
        print("Stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
