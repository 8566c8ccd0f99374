"""Servers, a raw HTTP/1.1 client and a TLS-terminating proxy for the stress tests.

Everything binds 127.0.0.1 only, every wait has a deadline, and everything started is
stopped by the context manager that started it.
"""

from __future__ import annotations

import contextlib
import os
import select
import selectors
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]  # the repository: tests.stress.apps imports


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def wait_for_port(
    port: int, process: Optional[subprocess.Popen] = None, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {HOST}:{port} after {timeout} s")


def rss_kb(pid: int) -> int:
    """Resident memory of a process, from /proc/PID/status (VmRSS, in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(f"no VmRSS for process {pid}")


def children(pid: int) -> List[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # the command name, field 2, is in parentheses and may hold spaces
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@contextlib.contextmanager
def server_process(command: List[str], port: int, log: Path) -> Iterator[subprocess.Popen]:
    """``command`` (a server listening on ``port``) as a subprocess, stopped on exit."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(port, process)
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def python_command(*args: str) -> List[str]:
    return [sys.executable, *args]


def waitress_command(port: int, app: str, threads: int) -> List[str]:
    """waitress with ``threads`` threads serving ``app()`` (``module:function``)."""
    return python_command(
        "-m", "waitress", "--listen", f"{HOST}:{port}", f"--threads={threads}", "--call", app
    )


def no_control_socket() -> List[str]:
    """gunicorn 26+ opens a control socket at one path under ~/.gunicorn unless told not
    to, and two servers at once would both want it: the option that says not to."""
    from importlib.metadata import version

    return ["--no-control-socket"] if int(version("gunicorn").split(".")[0]) >= 26 else []


def gunicorn_command(port: int, app: str, threads: int) -> List[str]:
    """gunicorn, one threaded worker (gthread) with ``threads`` threads, serving ``app()``."""
    return python_command(
        "-m",
        "gunicorn",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        "1",
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--keep-alive",
        "30",
        *no_control_socket(),
        f"{app}()",
    )


def uvicorn_command(port: int, factory: str) -> List[str]:
    """uvicorn serving the ASGI app ``factory()`` (``module:function``), with its httptools
    parser: the h11 one passes a proxied request's absolute URI on as the path."""
    return python_command(
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--http",
        "httptools",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
    )


# --- A waitress server in a thread (the scanner tests) ----------------------------------


class TLSProxy:
    """An HTTP proxy for https:// URLs: it answers CONNECT, terminates TLS with a
    certificate for any host, and forwards the plain HTTP to ``backend_port``."""

    def __init__(self, backend_port: int, context: ssl.SSLContext) -> None:
        self._backend = backend_port
        self._context = context
        self._listener = socket.create_server((HOST, 0))
        self._listener.settimeout(0.5)
        self.port = int(self._listener.getsockname()[1])
        self._stopping = threading.Event()
        self._threads: List[threading.Thread] = []
        self.errors: List[Exception] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, client: socket.socket) -> None:
        try:
            self._tunnel(client)
        except (OSError, ssl.SSLError) as error:  # a client that hung up; the test counts
            self.errors.append(error)  # the requests that reached the server

    def _tunnel(self, client: socket.socket) -> None:
        client.settimeout(10)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms stalls
        with contextlib.ExitStack() as stack:
            stack.enter_context(client)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            if not head.startswith(b"CONNECT "):
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            tls = stack.enter_context(self._context.wrap_socket(client, server_side=True))
            backend = stack.enter_context(socket.create_connection((HOST, self._backend), 10))
            backend.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._pump(tls, backend)

    def _pump(self, tls: ssl.SSLSocket, backend: socket.socket) -> None:
        deadline = time.monotonic() + 60
        with selectors.DefaultSelector() as selector:
            selector.register(tls, selectors.EVENT_READ, backend)
            selector.register(backend, selectors.EVENT_READ, tls)
            while time.monotonic() < deadline and not self._stopping.is_set():
                for key, _ in selector.select(timeout=0.5):
                    source: Any = key.fileobj
                    try:
                        data = source.recv(65536)
                    except ssl.SSLWantReadError:
                        continue
                    except OSError:
                        return
                    if not data:
                        return
                    key.data.sendall(data)
                if tls.pending():  # decrypted bytes the selector cannot see
                    backend.sendall(tls.recv(tls.pending()))

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()
        self._accepting.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)


# --- A raw HTTP/1.1 client with keep-alive ----------------------------------------------


class Response:
    __slots__ = ("headers", "status")

    def __init__(self, status: int, headers: List[Tuple[str, str]]) -> None:
        self.status = status
        self.headers = headers

    def get(self, name: str) -> Optional[str]:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def all(self, name: str) -> List[str]:
        return [value for key, value in self.headers if key == name]


class RawConnection:
    """One keep-alive connection; sends bytes as given, reads one response per request."""

    def __init__(self, port: int, timeout: float = 10) -> None:
        self._port = port
        self._timeout = timeout
        self._sock: Optional[socket.socket] = None
        self._buffer = b""
        self.reconnects = 0

    def _connect(self) -> socket.socket:
        if self._sock is None:
            self._sock = socket.create_connection((HOST, self._port), timeout=self._timeout)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._buffer = b""
            self.reconnects += 1
        return self._sock

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def closed_by_server(self, wait: float = 0.5) -> bool:
        """Whether the server has closed the open connection, waiting up to ``wait`` s
        (a closed socket reads as end of file; an open, idle one has nothing to read)."""
        if self._sock is None:
            raise AssertionError("no connection is open")
        ready, _, _ = select.select([self._sock], [], [], wait)
        return bool(ready) and self._sock.recv(1, socket.MSG_PEEK) == b""

    def request(self, raw: bytes, head_only: bool = False) -> Response:
        """Send one request; read its response (the body is read and dropped)."""
        for attempt in (1, 2):
            sock = self._connect()
            try:
                sock.sendall(raw)
                return self._read(sock, head_only)
            except (ConnectionError, EOFError):
                self.close()  # the server closed an idle keep-alive connection: retry once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _fill(self, sock: socket.socket) -> None:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("the server closed the connection")
        self._buffer += chunk

    def _read(self, sock: socket.socket, head_only: bool) -> Response:
        while b"\r\n\r\n" not in self._buffer:
            self._fill(sock)
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        length = 0 if head_only or status in (204, 304) else None
        close = False
        for name, value in headers:
            if name == "content-length" and length is None:
                length = int(value)
            elif name == "connection" and value.lower() == "close":
                close = True
            elif name == "transfer-encoding":
                raise AssertionError("chunked responses are not expected here")
        length = length or 0
        while len(self._buffer) < length:
            self._fill(sock)
        self._buffer = self._buffer[length:]
        if close:
            self.close()
        return Response(status, headers)
