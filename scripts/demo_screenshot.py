"""Refresh docs/demo.png: the demo page in headless Chromium, after its checks ran.

    python -m pip install --group browser -e .   # playwright and waitress
    python scripts/demo_screenshot.py

The demo runs on the ports the README names (API on :8000, page on :3000, the refused
site on :3001), so the picture shows what a reader of the README sees. Chromium is
Debian's (`apt-get install chromium`) or the one HUG_CORS_CHROMIUM names. The tests never
write the picture: only this command does.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any, Tuple

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import load_demo  # noqa: E402  (the repository's root, just added)

SCREENSHOT = ROOT / "docs" / "demo.png"
CHROMIUM = os.environ.get("HUG_CORS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def take(
    path: Path = SCREENSHOT, ports: Tuple[int, int, int] = (8000, 3000, 3001), browser: Any = None
) -> str:
    """Screenshot the demo page served on ``ports`` into ``path`` with ``browser`` (a
    Playwright Chromium; by default one of its own); return the page's verdict on its
    own checks, "pass" or "fail"."""
    if browser is None:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
            try:
                return take(path, ports, chromium)
            finally:
                chromium.close()
    demo = load_demo().Demo(*ports)
    page = browser.new_page()
    try:
        page.goto(demo.page_url + "/")
        page.wait_for_selector("#summary[data-done='true']", timeout=60_000)
        page.screenshot(path=str(path), full_page=True)
        return page.locator("#summary").get_attribute("data-status") or "fail"
    finally:
        page.close()
        demo.stop()


def main() -> int:
    status = take()
    print(f"{SCREENSHOT.relative_to(ROOT)}: the demo page; its checks: {status}")
    return 0 if status == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
