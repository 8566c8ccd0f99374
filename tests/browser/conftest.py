"""Fixtures of the browser suite: Chromium, local servers, and tabs that run fetch().

A test opens a page from one server (``tab``), builds a hug API with
``CORSMiddleware`` on another (``make_api``), and asserts what the page's own
JavaScript observed: a response it may read, or the ``TypeError`` of a blocked call.
This module imports no hug (hug_apps.py, which builds the hug API, is imported by
``make_api`` when called), so that the plain Falcon tests, test_falcon_asgi.py, use
these fixtures in an environment without hug.

Without playwright, waitress or Chromium the suite skips with a message saying what
to install, or fails when the environment variable ``CI`` is ``"true"``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from typing import TYPE_CHECKING, Any, Callable, Iterator, List, Optional

import pytest
from browser_support import (
    TIMEOUT_MS,
    RequestCounter,
    Tab,
    WSGIApp,
    serving,
    static_pages,
    unavailable,
)
from tests import servers as local_servers

if TYPE_CHECKING:
    from hug_apps import MakeApi

CHROMIUM = os.environ.get("HUG_CORS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
MISSING = [name for name in ("playwright", "waitress") if importlib.util.find_spec(name) is None]


# --- Chromium -------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def requirements() -> None:
    """Every browser test needs playwright, waitress and Chromium: say what is missing."""
    if MISSING:
        unavailable(
            f"the browser suite needs {' and '.join(MISSING)}: run `tox -e browser`, or "
            "`python -m pip install --group browser` (pip >= 25.1) and Chromium"
        )
    if not os.path.exists(CHROMIUM):
        unavailable(
            f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` "
            "or point HUG_CORS_CHROMIUM at a Chromium binary"
        )


@pytest.fixture(scope="session")
def browser(requirements: None) -> Iterator[Any]:
    """Headless Debian Chromium driven by playwright (never `playwright install`)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"], timeout=30_000
            )
        except PlaywrightError as error:
            unavailable(f"Chromium at {CHROMIUM} does not start: {error.message.splitlines()[0]}")
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def serve(requirements: None) -> Iterator[Callable[[WSGIApp], str]]:
    """``serve(app)`` starts ``app`` on a free port and returns its origin; stopped after."""
    with serving(local_servers.serve) as serve:
        yield serve


@pytest.fixture
def page_origin(serve: Callable[[WSGIApp], str]) -> str:
    """The origin of a server of test pages, http://127.0.0.1:PORT."""
    return serve(static_pages)


@pytest.fixture
def make_api(serve: Callable[[WSGIApp], str]) -> MakeApi:
    """``make_api(wrap=None, **config)``: serve ``build_api(**config)`` on a free port,
    behind a request counter (and ``wrap(app)``, to break it), and return the Api."""

    from hug_apps import Api, build_api

    def make(wrap: Optional[Callable[[WSGIApp], WSGIApp]] = None, **config: Any) -> Api:
        app: WSGIApp = build_api(**config).http.server()
        counter = RequestCounter(wrap(app) if wrap else app)
        return Api(serve(counter), counter)

    return make


@pytest.fixture
def new_tab(browser: Any) -> Iterator[Callable[[], Tab]]:
    """``new_tab()``: a tab in a fresh browser context (its own cookies and preflight cache)."""
    contexts: List[Any] = []

    def new() -> Tab:
        contexts.append(browser.new_context(viewport={"width": 1000, "height": 800}))
        page = contexts[-1].new_page()
        page.set_default_timeout(TIMEOUT_MS)
        return Tab(page)

    try:
        yield new
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def tab(new_tab: Callable[[], Tab], page_origin: str) -> Tab:
    """A tab showing a blank page from ``page_origin``, ready to fetch() from there."""
    return new_tab().open(page_origin + "/")
