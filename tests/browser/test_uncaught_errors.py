"""An exception that no handler catches, as a page on another origin sees it: without
handle_uncaught_errors, the server's own 500 carries no CORS header and the browser
reports a CORS error; with it, the page reads the 500 and nothing of the exception."""

from __future__ import annotations

from browser_support import Tab
from hug_apps import MakeApi


def test_without_handle_uncaught_errors_the_page_sees_a_cors_error(
    tab: Tab, make_api: MakeApi
) -> None:
    api = make_api(allow_origins=[tab.origin])
    crashed = tab.fetch(api.url("/crash"))
    assert crashed.blocked, crashed
    assert api.count("GET", "/crash") == 1


def test_with_handle_uncaught_errors_the_page_reads_the_500(tab: Tab, make_api: MakeApi) -> None:
    api = make_api(allow_origins=[tab.origin], handle_uncaught_errors=True)
    crashed = tab.fetch(api.url("/crash"))
    assert crashed.allowed, crashed
    assert crashed.status == 500, crashed
    assert "hunter2" not in str(crashed.body)
    assert tab.fetch(api.url("/items")).status == 200  # the server serves on


def test_a_refused_page_still_cannot_read_the_500(tab: Tab, make_api: MakeApi) -> None:
    api = make_api(allow_origins=["https://app.example.com"], handle_uncaught_errors=True)
    assert tab.fetch(api.url("/crash")).blocked
