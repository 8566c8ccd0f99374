"""The demo, examples/demo.py: its page's self-check passes in Chromium, and it runs;
scripts/demo_screenshot.py, which refreshes docs/demo.png, takes its picture."""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from browser_support import Tab, localhost
from tests.servers import DEMO, load_demo

ROOT = Path(__file__).resolve().parents[2]
ROWS = [
    "simple-get",
    "json-post",
    "put-custom-header",
    "cookie",
    "exposed-header",
    "refused-method",
    "refused-origin",
    "error-readable",
]


def load_script(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def demo(requirements: None) -> Iterator[Any]:
    """The demo's servers, started in-process on free ports."""
    running = load_demo().Demo(api_port=0, page_port=0, other_port=0)
    try:
        yield running
    finally:
        running.stop()


def run_demo_page(tab: Tab, url: str) -> List[Dict[str, str]]:
    """Open the demo page, wait for its checks to finish, and return its table."""
    tab.open(url)
    tab.page.wait_for_selector("#summary[data-done='true']", timeout=60_000)
    return tab.page.eval_on_selector_all(
        "#results tbody tr",
        """rows => rows.map(row => ({
            row: row.dataset.row,
            status: row.dataset.status,
            observed: row.querySelector(".observed").textContent,
        }))""",
    )


def test_every_row_of_the_demo_page_passes(new_tab: Callable[[], Tab], demo: Any) -> None:
    tab = new_tab()
    table = run_demo_page(tab, demo.page_url + "/")
    assert [row["row"] for row in table] == ROWS
    failed = [row for row in table if row["status"] != "pass"]
    assert not failed, f"rows that did not behave as expected: {failed}; Chromium: {tab.console}"
    summary = tab.page.locator("#summary")
    assert summary.get_attribute("data-status") == "pass"
    assert summary.text_content() == f"\u2714 All {len(ROWS)} checks behaved as promised."
    assert tab.page.locator("#wrong-origin").is_hidden()
    # The rows observed real answers, not just "no exception".
    observed = {row["row"]: row["observed"] for row in table}
    assert observed["exposed-header"] == 'X-Total-Count: "1", X-Internal-Trace: null'
    assert observed["error-readable"] == 'allowed: 404 {"error":"there is no item 99"}'
    assert observed["refused-method"] == "blocked: TypeError: Failed to fetch"


def test_the_screenshot_command_pictures_the_passing_page(browser: Any, tmp_path: Path) -> None:
    picture = tmp_path / "demo.png"
    assert load_script("demo_screenshot").take(picture, (0, 0, 0), browser) == "pass"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_demo_page_fails_from_an_origin_the_api_does_not_allow(
    new_tab: Callable[[], Tab], demo: Any
) -> None:
    """Opened as http://localhost:PORT, the page is not the allowed origin: the rows that
    need it fail, so the page's self-check does check something."""
    tab = new_tab()
    table = run_demo_page(tab, localhost(demo.page_url) + "/")
    status = {row["row"]: row["status"] for row in table}
    assert status == {
        row: "pass" if row in ("refused-method", "refused-origin") else "fail" for row in ROWS
    }
    assert tab.page.locator("#summary").get_attribute("data-status") == "fail"
    assert tab.page.locator("#wrong-origin").is_visible()


def test_the_demo_command_starts_serves_and_stops_on_ctrl_c(requirements: None) -> None:
    command = [sys.executable, str(DEMO), "--api-port", "0", "--page-port", "0"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]  # the demo flushes them
        urls = [line.rsplit(None, 1)[-1] for line in lines[:3]]
        api, page, other = urls
        assert all(url.startswith("http://127.0.0.1:") for url in urls), lines
        assert len(set(urls)) == 3, lines
        assert lines[3].startswith(f"Open {page} in a browser.")

        request = urllib.request.Request(api + "/hello", headers={"Origin": page})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Access-Control-Allow-Origin"] == page
            assert response.headers["Access-Control-Allow-Credentials"] == "true"
            assert json.load(response)["your_origin"] == page
        with urllib.request.urlopen(page + "/", timeout=10) as response:
            assert b"hug-cors demo" in response.read()
        with urllib.request.urlopen(page + "/config.js", timeout=10) as response:
            config = json.loads(response.read().decode().split("=", 1)[1].rstrip(";\n"))
            assert config == {"api": api, "page": page, "other": other}

        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert err == ""  # no traceback
    assert out.strip().endswith("Stopped.")
