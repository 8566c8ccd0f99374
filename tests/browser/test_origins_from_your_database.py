"""Origins from the application's data, as Chromium enforces them: a page whose origin
a tenant registers after the server started is blocked before, and served once the
decisions kept for the TTL have expired."""

from __future__ import annotations

import time
from typing import Set

from browser_support import Tab
from hug_apps import MakeApi

JSON = {"Content-Type": "application/json"}
TTL = 0.5


def test_a_page_on_a_newly_registered_origin_succeeds(tab: Tab, make_api: MakeApi) -> None:
    registered: Set[str] = set()  # the tenants table
    api = make_api(allow_origin_func=registered.__contains__, allow_origin_func_ttl=TTL)
    assert tab.fetch(api.url("/items")).blocked
    put = tab.fetch(api.url("/items/7"), method="PUT", headers=JSON, body='{"n": 1}')
    assert put.blocked, put
    assert api.count("PUT", "/items/7") == 0  # the refused preflight kept the PUT back

    registered.add(tab.origin)  # the tenant registers its front end
    time.sleep(TTL + 0.2)
    listed = tab.fetch(api.url("/items"))
    assert listed.allowed, listed
    assert listed.status == 200, listed
    put = tab.fetch(api.url("/items/7"), method="PUT", headers=JSON, body='{"n": 1}')
    assert put.allowed, put
    assert api.count("PUT", "/items/7") == 1

    registered.discard(tab.origin)  # and leaves
    time.sleep(TTL + 0.2)
    assert tab.fetch(api.url("/items")).blocked
