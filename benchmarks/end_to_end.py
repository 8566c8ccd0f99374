"""End to end: the demo-like app under real servers on 127.0.0.1 (gunicorn and bjoern
driven by wrk, waitress too for the connection count), and the connections each server
opens for 1,000 preflights from one keep-alive client."""

from __future__ import annotations

import http.client
import importlib.util
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any, Dict, List, Tuple

from bench_apps import ORIGIN
from cases import PREFLIGHT

BENCH_DIR = Path(__file__).resolve().parent
HOST = "127.0.0.1"
E2E_VARIANTS = ("none", "hug", "hug-cors")
E2E_SCENARIOS = {
    "GET /hello, allowed origin": ("GET", "/hello", {"Origin": ORIGIN}),
    "preflight PUT /items/1": ("OPTIONS", "/items/1", {"Origin": ORIGIN, **PREFLIGHT}),
}
# Driven by wrk; every server also gets the connection count (waitress only that).
WRK_SERVERS = ("gunicorn", "bjoern")
E2E_SERVERS = ("waitress", "gunicorn", "bjoern")
SERVER_LABELS = {
    "waitress": "waitress --threads 4",
    "gunicorn": "gunicorn -w 2",
    "bjoern": "bjoern -w 2",
}
CONNECTION_PREFLIGHTS = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(kind: str, variant: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, HUG_CORS_BENCH_VARIANT=variant)
    if kind == "gunicorn":
        command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync"]
        command += ["--bind", f"{HOST}:{port}", "--chdir", str(BENCH_DIR)]
        command += ["--log-level", "warning", "bench_apps:demo_app_from_environment()"]
        if int(version("gunicorn").split(".")[0]) >= 26:  # one control socket per user
            command.append("--no-control-socket")
    elif kind == "waitress":
        command = [sys.executable, "-m", "waitress", "--listen", f"{HOST}:{port}"]
        command += ["--threads", "4", "--call", "bench_apps:demo_app_from_environment"]
    else:
        command = [sys.executable, str(BENCH_DIR / "serve_bjoern.py"), str(port), "2"]
    return subprocess.Popen(
        command, env=env, cwd=BENCH_DIR, start_new_session=True, stdout=subprocess.DEVNULL
    )


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=1) as sock:
                sock.sendall(b"GET /hello HTTP/1.0\r\nHost: bench\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1."):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server on port {port} did not answer within {timeout:.0f}s")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)  # the session started for this server
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def wrk_script(method: str, headers: Dict[str, str], directory: str) -> str:
    lines = [f'wrk.method = "{method}"']
    lines += [f'wrk.headers["{name}"] = "{value}"' for name, value in headers.items()]
    path = Path(directory) / f"{method.lower()}_{len(os.listdir(directory))}.lua"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def run_wrk(url: str, script: str, seconds: float) -> Dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds:g}s", "-s", script, url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    found = re.search(r"Requests/sec:\s*([0-9.]+)", output)
    latency = re.search(r"Latency\s+([0-9.]+)(us|ms|s)", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    scale = {"us": 1, "ms": 1000, "s": 1_000_000}
    return {
        "rps": float(found.group(1)) if found else 0.0,
        "latency_us": float(latency.group(1)) * scale[latency.group(2)] if latency else 0.0,
        "non_2xx": float(bad.group(1)) if bad else 0.0,
        "socket_errors": float(sum(int(x) for x in errors.groups())) if errors else 0.0,
    }


class CountingConnection(http.client.HTTPConnection):
    """An HTTP/1.1 keep-alive connection that counts the TCP connections it opens."""

    opened = 0

    def connect(self) -> None:
        super().connect()
        self.opened += 1


def connections_opened(port: int, count: int) -> Tuple[int, int]:
    """(connections opened, non-2xx answers) for ``count`` preflights sent one after
    another by one keep-alive client, which reconnects only when the server closed the
    connection (with ``Connection: close``, or silently: then the request is sent again)."""
    method, path, headers = E2E_SCENARIOS["preflight PUT /items/1"]
    connection = CountingConnection(HOST, port, timeout=10)
    deadline = time.monotonic() + 120
    bad = 0
    try:
        for _ in range(count):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} preflights took more than 120 s")
            for attempt in (1, 2):
                try:
                    connection.request(method, path, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    break
                except (http.client.RemoteDisconnected, ConnectionError):
                    connection.close()  # closed after the last answer: reconnect, once
                    if attempt == 2:
                        raise
            bad += not 200 <= response.status < 300
    finally:
        connection.close()
    return connection.opened, bad


def end_to_end(
    rounds: int, seconds: float, log: Any
) -> Tuple[List[List[str]], List[List[str]], List[str]]:
    """wrk's requests per second (rows), connections per 1,000 preflights (connection
    rows), and notes."""
    notes: List[str] = []
    has_wrk = shutil.which("wrk") is not None
    if not has_wrk:
        notes.append("wrk: skipped, not installed (Debian/Ubuntu: apt-get install wrk)")
    servers = []
    for kind in E2E_SERVERS:
        if importlib.util.find_spec(kind) is None:
            notes.append(f"{kind}: skipped, not installed (pip install {kind})")
        else:
            servers.append(kind)
    rows = [["server", "scenario", *(f"{v} req/s" for v in E2E_VARIANTS), "hug-cors / none"]]
    connection_rows = [["server", *E2E_VARIANTS]]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="hug_cors_bench_") as directory:
        scripts = {
            name: wrk_script(method, headers, directory)
            for name, (method, _, headers) in E2E_SCENARIOS.items()
        }
        for kind in servers:
            processes: Dict[str, Tuple[subprocess.Popen, int]] = {}
            try:
                for variant in E2E_VARIANTS:
                    port = free_port()
                    processes[variant] = (start_server(kind, variant, port), port)
                for process, port in processes.values():
                    wait_ready(port, process)
                log(f"e2e: {SERVER_LABELS[kind]} up for {', '.join(E2E_VARIANTS)}")
                opened = {}
                for variant in E2E_VARIANTS:
                    port = processes[variant][1]
                    opened[variant], bad = connections_opened(port, CONNECTION_PREFLIGHTS)
                    log(
                        f"e2e: {kind} {variant:8} {opened[variant]:,} connections for "
                        f"{CONNECTION_PREFLIGHTS:,} preflights"
                    )
                    if bad:
                        notes.append(
                            f"{kind}, {variant}: {bad} of {CONNECTION_PREFLIGHTS:,} preflights "
                            "answered with a non-2xx status"
                        )
                scale = 1000 / CONNECTION_PREFLIGHTS
                connection_rows.append(
                    [SERVER_LABELS[kind]] + [f"{opened[v] * scale:,.0f}" for v in E2E_VARIANTS]
                )
                if kind not in WRK_SERVERS or not has_wrk:
                    continue
                results: Dict[Tuple[str, str], List[Dict[str, float]]] = {}
                for _ in range(rounds):
                    for scenario, (_, path, _) in E2E_SCENARIOS.items():
                        order = list(E2E_VARIANTS)
                        rng.shuffle(order)
                        for variant in order:
                            url = f"http://{HOST}:{processes[variant][1]}{path}"
                            result = run_wrk(url, scripts[scenario], seconds)
                            results.setdefault((scenario, variant), []).append(result)
                            log(f"e2e: {kind} {variant:8} {scenario}: {result['rps']:,.0f} req/s")
                for scenario in E2E_SCENARIOS:
                    medians = {
                        v: statistics.median(r["rps"] for r in results[(scenario, v)])
                        for v in E2E_VARIANTS
                    }
                    bad = sum(r["non_2xx"] for v in E2E_VARIANTS for r in results[(scenario, v)])
                    errors = sum(
                        r["socket_errors"] for v in E2E_VARIANTS for r in results[(scenario, v)]
                    )
                    if bad or errors:
                        notes.append(
                            f"{kind}, {scenario}: {bad:.0f} non-2xx responses, "
                            f"{errors:.0f} socket errors (all variants together)"
                        )
                    ratio = medians["hug-cors"] / medians["none"] if medians["none"] else 0.0
                    rows.append(
                        [SERVER_LABELS[kind], scenario]
                        + [f"{medians[v]:,.0f}" for v in E2E_VARIANTS]
                        + [f"{ratio:.3f}"]
                    )
            except (RuntimeError, subprocess.SubprocessError, OSError) as error:
                notes.append(f"{kind}: failed: {error}")
            finally:
                for process, _ in processes.values():
                    stop_server(process)
    return (
        (rows if len(rows) > 1 else []),
        (connection_rows if len(connection_rows) > 1 else []),
        notes,
    )
