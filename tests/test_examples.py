"""Every example under examples/ runs, and does what its docstring says."""

from __future__ import annotations

import importlib.util
import queue
import runpy
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import IO, Any, List, Optional

import hug
import pytest
from falcon import testing

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def origin_answer(api: Any, path: str, origin: str) -> Any:
    response = hug.test.call("GET", api, path, headers={"Origin": origin})
    return response.headers_dict.get("access-control-allow-origin")


def test_per_route_policies() -> None:
    example = load("per_route_policies")
    other = "https://other.example"
    assert origin_answer(example.api, "/public/prices", other) == "*"
    assert origin_answer(example.api, "/status", other) == "*"
    assert origin_answer(example.api, "/account", other) is None
    assert origin_answer(example.api, "/account", example.FRONT_END) == example.FRONT_END
    assert origin_answer(example.api, "/admin/users", example.FRONT_END) is None


def test_debug_mode(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "debug_mode.py"), run_name="__main__")
    printed = capsys.readouterr().out
    assert "200 OK" in printed
    assert "Hug-CORS-Refused: header 'x-trace-id' is not allowed" in printed


def test_configure_at_runtime(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "configure_at_runtime.py"), run_name="__main__")
    first, second = capsys.readouterr().out.splitlines()
    assert "https://globex.example.com" in first
    assert "trailing slash" in second
    assert "https://initech.example.com'" in second


def test_plain_falcon() -> None:
    example = load("plain_falcon")
    client = testing.TestClient(example.app)
    headers = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"}
    answer = client.simulate_options("/items/1", headers=headers)
    assert answer.headers["Access-Control-Allow-Methods"] == "GET, OPTIONS, PUT"


# The demo's command: it must stop on a signal even when started with SIGINT ignored.

# A shell starting a background job (`nohup python examples/demo.py &`) sets SIGINT to
# "ignore" and execs the program, which inherits it: done here the same way.
IGNORING_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)
DEMO_STARTS_WITHIN = 60.0  # seconds: it imports hug and builds an API, slow on a busy machine
DEMO_STOPS_WITHIN = 5.0


def read_lines(stream: IO[str]) -> queue.Queue[Optional[str]]:
    """The lines of ``stream``, read in a thread so that every wait can be bounded; None
    at its end, when the thread closes it."""
    lines: queue.Queue[Optional[str]] = queue.Queue()

    def read() -> None:
        with stream:
            for line in stream:
                lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def next_lines(lines: queue.Queue[Optional[str]], count: int, timeout: float) -> List[str]:
    """The next ``count`` lines, failing if they do not all come within ``timeout``."""
    deadline = time.monotonic() + timeout
    got: List[str] = []
    while len(got) < count:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail(f"no line within {timeout} s; so far: {got}")
        if line is None:
            pytest.fail(f"the output ended early: {got}")
        got.append(line)
    return got


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_demo_stops_on_a_signal_when_started_with_sigint_ignored(
    stop: signal.Signals, tmp_path: Path
) -> None:
    demo = [str(EXAMPLES / "demo.py"), "--api-port", "0", "--page-port", "0"]
    with open(tmp_path / "stderr", "w+") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", IGNORING_SIGINT, *demo],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,  # a Ctrl-C on pytest does not reach it: only our signal
        )
        try:
            assert process.stdout is not None
            lines = read_lines(process.stdout)
            started = next_lines(lines, 4, DEMO_STARTS_WITHIN)  # the demo flushes them
            page = started[1].rsplit(None, 1)[-1]
            assert page.startswith("http://127.0.0.1:"), started
            with urllib.request.urlopen(page + "/config.js", timeout=10) as response:
                assert response.status == 200  # listening and serving

            process.send_signal(stop)
            status = process.wait(timeout=DEMO_STOPS_WITHIN)
            rest = next_lines(lines, 3, 5)  # what it printed on the way out
            assert lines.get(timeout=5) is None
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        stderr.seek(0)
        errors = stderr.read()
    assert status == 0, errors
    assert errors == ""  # no traceback
    assert rest == ["\n", "Stopping...\n", "Stopped.\n"]


def test_loading_the_demo_leaves_the_signal_handlers_alone() -> None:
    before = [signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)]
    demo = load("demo")
    assert demo.Server is not None  # what tests/servers.py uses
    assert [signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)] == before


def test_every_example_is_covered_here() -> None:
    tested = {"per_route_policies", "debug_mode", "configure_at_runtime", "plain_falcon"}
    elsewhere = {
        "demo": "tests/browser/test_demo.py",
        "explain_request": "tests/test_explain.py",
        "multi_tenant": "tests/stress/test_multi_tenant_fleet.py",
    }
    assert {p.stem for p in EXAMPLES.glob("*.py")} == tested | set(elsewhere)
