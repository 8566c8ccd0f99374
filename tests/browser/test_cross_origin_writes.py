"""reject_cross_origin_writes as Chromium exercises it: a cross-site HTML form POST and a
``no-cors`` fetch are requests CORS never stops (the browser sends them and only hides
the answer); with the option, their handler never runs. The allowed page's writes work."""

from __future__ import annotations

import itertools
from typing import Any, Callable, List

import hug
from browser_support import Tab, localhost, submit_form

from hug_cors import CORSMiddleware

_names = itertools.count()


def orders_api(orders: List[str], **config: Any) -> hug.API:
    api = hug.API(f"browser_cross_origin_writes_{next(_names)}")
    api.http.add_middleware(CORSMiddleware(api, reject_cross_origin_writes=True, **config))

    @hug.post("/orders", api=api)
    def place_order(request):
        orders.append(request.get_header("Origin") or "")
        return {"placed": len(orders)}

    return api


def test_a_cross_site_form_post_and_no_cors_fetch_never_run_the_handler(
    tab: Tab, serve: Callable[[Any], str]
) -> None:
    orders: List[str] = []
    api = localhost(
        serve(orders_api(orders, allow_origins=["https://app.example.com"]).http.server())
    )
    submit_form(tab, api + "/orders")
    tab.fetch(api + "/orders", method="POST", mode="no-cors", body="amount=1000")
    assert orders == []  # CORS alone would have run both


def test_without_the_option_both_run(tab: Tab, serve: Callable[[Any], str]) -> None:
    orders: List[str] = []
    app = orders_api(orders, allow_origins=["https://app.example.com"])
    app.http.middleware[0].configure(reject_cross_origin_writes=False)
    api = localhost(serve(app.http.server()))
    submit_form(tab, api + "/orders")
    tab.fetch(api + "/orders", method="POST", mode="no-cors", body="amount=1000")
    assert orders == [tab.origin, tab.origin]


def test_the_allowed_pages_writes_work(tab: Tab, serve: Callable[[Any], str]) -> None:
    orders: List[str] = []
    api = localhost(serve(orders_api(orders, allow_origins=[tab.origin]).http.server()))
    submit_form(tab, api + "/orders")
    placed = tab.fetch(
        api + "/orders", method="POST", headers={"Content-Type": "application/json"}, body="{}"
    )
    assert placed.allowed, placed
    assert placed.status == 200, placed
    assert orders == [tab.origin, tab.origin]
