"""Per-route policies and debug mode, as Chromium enforces them.

As in test_cors_browser.py, the page's script says whether a fetch() was allowed or
blocked; for debug mode, ``NetworkLog`` also shows the refused preflight's answer as
Chromium received it, which the script never sees.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Tuple

import hug
import pytest
from browser_support import NetworkLog, Received, Seen, Tab, localhost
from hug_apps import Api, MakeApi

from hug_cors import CORSPolicy, route_policy

JSON = {"Content-Type": "application/json"}


def policy_routes(page_origin: str) -> Callable[[hug.API], None]:
    """The routes whose policy is not the middleware's: add them with ``make_api(routes=)``."""
    page_only = route_policy(allow_origins=[page_origin])

    def add(api: hug.API) -> None:
        @hug.get("/public/items", api=api)
        def public_items():
            return {"public": True}

        @hug.get("/admin/users", api=api)
        def admin_users():
            return {"users": []}

        @hug.put("/admin/users/{user_id}", api=api)
        def put_admin_user(user_id, body):
            return {"put": user_id}

        @hug.get("/internal", api=api)
        @route_policy(None)
        def get_internal():
            return {"internal": True}

        @hug.put("/internal", api=api)
        @route_policy(None)
        def put_internal(body):
            return {"put": True}

        @hug.get("/notes", api=api)
        @page_only
        def list_notes():
            return {"notes": ["n1"]}

        @hug.get("/notes/{note_id}", api=api)  # no policy of its own: the middleware's
        def get_note(note_id):
            return {"note": note_id}

        @hug.put("/notes/{note_id}", api=api)
        @page_only
        def put_note(note_id, body):
            return {"put": note_id, "body": body}

        @hug.delete("/notes/{note_id}", api=api)  # no policy of its own: the middleware's
        def delete_note(note_id):
            return {"deleted": note_id}

    return add


def assert_allowed(seen: Seen, body: Any) -> None:
    assert seen.allowed, seen
    assert (seen.status, seen.body) == (200, body), seen


# --- Per-route policies ---------------------------------------------------------------


def test_a_public_path_pattern_allows_what_the_default_refuses(tab: Tab, make_api: MakeApi) -> None:
    api = make_api(
        routes=policy_routes(tab.origin),
        allow_origins=[localhost(tab.origin)],  # the default: another origin than the page's
        route_policies={"/public/*": CORSPolicy(allow_origins=["*"])},
    )
    assert_allowed(tab.fetch(api.url("/public/items")), {"public": True})
    assert tab.fetch(api.url("/items")).blocked  # the default still refuses the page


@pytest.mark.parametrize(
    ("get_path", "put_path"),
    [("/admin/users", "/admin/users/1"), ("/internal", "/internal")],
    ids=["pattern-None", "route_policy-None"],
)
def test_no_cors_routes_are_blocked_for_the_default_origin(
    tab: Tab, make_api: MakeApi, get_path: str, put_path: str
) -> None:
    api = make_api(
        routes=policy_routes(tab.origin),
        allow_origins=[tab.origin],  # the default allows the page ...
        route_policies={"/admin/*": None},
    )
    assert_allowed(tab.fetch(api.url("/items/1")), {"item": "1"})
    # ... but not where there is no CORS: a simple request is sent, its answer withheld,
    simple = tab.fetch(api.url(get_path))
    assert simple.blocked, simple
    assert api.count("GET", get_path) == 1
    # and a preflight reaches the app as a plain OPTIONS, so the PUT is never sent.
    preflighted = tab.fetch(api.url(put_path), method="PUT", headers=JSON, body="{}")
    assert preflighted.blocked, preflighted
    assert (api.count("OPTIONS", put_path), api.count("PUT", put_path)) == (1, 0)


def test_a_decorated_route_allows_what_the_default_refuses(tab: Tab, make_api: MakeApi) -> None:
    api = make_api(routes=policy_routes(tab.origin), allow_origins=[localhost(tab.origin)])
    assert_allowed(tab.fetch(api.url("/notes")), {"notes": ["n1"]})
    assert tab.fetch(api.url("/items")).blocked


def test_a_preflight_follows_the_function_of_the_method_it_asks_for(
    tab: Tab, make_api: MakeApi
) -> None:
    """/notes/{id}: PUT has a policy allowing the page; GET and DELETE have the default's."""
    api = make_api(routes=policy_routes(tab.origin), allow_origins=[localhost(tab.origin)])
    put = tab.fetch(api.url("/notes/7"), method="PUT", headers=JSON, body='{"text": "hi"}')
    assert_allowed(put, {"put": "7", "body": {"text": "hi"}})
    assert (api.count("OPTIONS", "/notes/7"), api.count("PUT", "/notes/7")) == (1, 1)
    # The same path, other functions: the default refuses the page.
    assert tab.fetch(api.url("/notes/8"), method="DELETE").blocked
    assert (api.count("OPTIONS", "/notes/8"), api.count("DELETE", "/notes/8")) == (1, 0)
    assert tab.fetch(api.url("/notes/8")).blocked
    # A PUT to an undecorated route: refused too.
    assert tab.fetch(api.url("/items/7"), method="PUT", headers=JSON, body="{}").blocked
    assert api.count("PUT", "/items/7") == 0


# --- Debug mode -----------------------------------------------------------------------


def refused_preflight(tab: Tab, api: Api) -> Received:
    """The page PUTs with X-Trace-Id, which ``api`` refuses: the preflight Chromium got."""
    network = NetworkLog(tab.page, api.origin)
    seen = tab.fetch(api.url("/items/1"), method="PUT", headers={"X-Trace-Id": "1"}, body="")
    assert seen.blocked, seen  # debug mode explains a refusal, it never grants anything
    assert api.count("PUT", "/items/1") == 0
    [preflight] = network.received("OPTIONS")
    assert not [name for name in preflight.headers if name.startswith("access-control-allow-")]
    return preflight


def refusal(page_origin: str, refused: str) -> Tuple[Dict[str, Any], str]:
    """A configuration refusing the page's PUT with X-Trace-Id, and the reason it gives."""
    if refused == "origin":
        return {"allow_origins": [localhost(page_origin)]}, f"origin '{page_origin}' is not allowed"
    config = {"allow_origins": [page_origin], "allow_headers": ["X-Token"]}
    return config, "header 'x-trace-id' is not allowed"


@pytest.mark.parametrize("refused", ["origin", "header"])
def test_debug_explains_a_refused_preflight(tab: Tab, make_api: MakeApi, refused: str) -> None:
    config, reason = refusal(tab.origin, refused)
    preflight = refused_preflight(tab, make_api(debug=True, **config))
    assert preflight.status == 200
    assert preflight.headers["hug-cors-refused"] == reason
    assert preflight.headers["content-type"] == "application/json"
    body = json.loads(preflight.body)
    assert body["refused"] == reason
    assert body["policy"]["allow_origins"] == config["allow_origins"]


@pytest.mark.parametrize("refused", ["origin", "header"])
def test_without_debug_a_refused_preflight_says_nothing(
    tab: Tab, make_api: MakeApi, refused: str
) -> None:
    config, _ = refusal(tab.origin, refused)
    preflight = refused_preflight(tab, make_api(**config))
    assert preflight.status == 200
    assert "hug-cors-refused" not in preflight.headers
    assert preflight.body == ""
    assert preflight.headers["content-length"] == "0"


def test_debug_explains_a_refused_simple_request(tab: Tab, make_api: MakeApi) -> None:
    api = make_api(debug=True, allow_origins=[localhost(tab.origin)])
    network = NetworkLog(tab.page, api.origin)
    seen = tab.fetch(api.url("/items"))
    assert seen.blocked, seen
    [response] = network.received("GET")
    assert response.headers["hug-cors-refused"] == f"origin '{tab.origin}' is not allowed"
    assert "access-control-allow-origin" not in response.headers
