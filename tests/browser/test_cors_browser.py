"""Every rule a browser can observe (docs/behaviour.md), as Chromium enforces it.

Each test serves a page from one origin and a hug API with ``CORSMiddleware`` from
another, runs ``fetch()`` in the page, and asserts what the page's script observed:
a readable response, or the ``TypeError`` of a call the browser blocked. The API
counts the requests that reach it, which shows preflights and their caching.
"""

from __future__ import annotations

import functools
import secrets
from typing import Any, Callable, Dict, Optional

import pytest
from browser_support import Seen, Tab, localhost, static_pages, strip_header
from hug_apps import MakeApi, basic_auth

from hug_cors import CORSConfigurationWarning

JSON = {"Content-Type": "application/json"}


def assert_allowed(seen: Seen, status: int = 200) -> None:
    assert seen.allowed, f"the browser blocked it: {seen.error}; Chromium said {seen.console}"
    assert seen.status == status, seen


def assert_blocked(seen: Seen) -> None:
    assert seen.blocked, f"the browser did not block it: {seen}"


# --- Scenarios, also run against a broken middleware (test_a_broken_... below) --------


def simple_get(tab: Tab, make_api: MakeApi) -> None:
    """An allowed origin reads a simple GET's body (Access-Control-Allow-Origin)."""
    api = make_api(allow_origins=[tab.origin])
    seen = tab.fetch(api.url("/origin"))
    assert_allowed(seen)
    assert seen.body == {"origin": tab.origin}


def credentialed_cookie(tab: Tab, make_api: MakeApi) -> None:
    """A cookie the API sets comes back on credentials:'include' (-Allow-Credentials)."""
    api = make_api(allow_origins=[tab.origin])
    token = secrets.token_hex(8)
    login = tab.fetch(api.url(f"/session?token={token}"), method="POST", credentials="include")
    assert_allowed(login)
    echoed = tab.fetch(api.url("/session"), credentials="include")
    assert_allowed(echoed)
    assert echoed.body == {"cookie": token}
    # Without credentials the browser sends no cookie: the echo above is the real cookie.
    assert tab.fetch(api.url("/session")).body == {"cookie": None}


def preflighted_put(tab: Tab, make_api: MakeApi) -> None:
    """A PUT is preflighted and sent once the preflight allows it (-Allow-Methods)."""
    api = make_api(allow_origins=[tab.origin])
    seen = tab.fetch(api.url("/items/7"), method="PUT", headers=JSON, body='{"name": "seven"}')
    assert_allowed(seen)
    assert seen.body["put"] == "7"
    assert seen.body["body"] == {"name": "seven"}
    assert (api.count("OPTIONS", "/items/7"), api.count("PUT", "/items/7")) == (1, 1)


def custom_header(tab: Tab, make_api: MakeApi) -> None:
    """A listed request header is allowed by the preflight (-Allow-Headers)."""
    api = make_api(allow_origins=[tab.origin], allow_headers=["X-Token"])
    seen = tab.fetch(api.url("/items/1"), method="PUT", headers={"X-Token": "t0k3n"}, body="")
    assert_allowed(seen)
    assert seen.body["x_token"] == "t0k3n"


def exposed_header(tab: Tab, make_api: MakeApi) -> None:
    """Only exposed response headers are readable (-Expose-Headers)."""
    api = make_api(allow_origins=[tab.origin], expose_headers=["X-Total-Count"])
    seen = tab.fetch(api.url("/items"), read=("X-Total-Count", "X-Secret", "Content-Type"))
    assert_allowed(seen)
    assert seen.read == {
        "X-Total-Count": "3",
        "X-Secret": None,  # sent by the API, but not exposed
        "Content-Type": "application/json; charset=utf-8",  # safelisted: always readable
    }


@pytest.mark.parametrize(
    "scenario", [simple_get, credentialed_cookie, preflighted_put, custom_header, exposed_header]
)
def test_scenario(tab: Tab, make_api: MakeApi, scenario: Callable[[Tab, MakeApi], None]) -> None:
    scenario(tab, make_api)


@pytest.mark.parametrize(
    ("header", "scenario"),
    [
        ("Access-Control-Allow-Origin", simple_get),
        ("Access-Control-Allow-Credentials", credentialed_cookie),
        ("Access-Control-Allow-Methods", preflighted_put),
        ("Access-Control-Allow-Headers", custom_header),
        ("Access-Control-Expose-Headers", exposed_header),
    ],
)
def test_a_broken_middleware_is_caught(
    tab: Tab, make_api: MakeApi, header: str, scenario: Callable[[Tab, MakeApi], None]
) -> None:
    """The suite fails when a CORS header goes missing: these tests can fail."""
    scenario(tab, make_api)  # the real middleware passes ...
    broken = functools.partial(make_api, wrap=lambda app: strip_header(app, header))
    with pytest.raises(AssertionError):  # ... and the same scenario fails without `header`
        scenario(tab, broken)


# --- Origins --------------------------------------------------------------------------


def test_an_unlisted_origin_is_blocked(tab: Tab, make_api: MakeApi, serve: Any) -> None:
    other_page = serve(static_pages)  # a listed origin, but not this page's
    api = make_api(allow_origins=[other_page])
    assert_blocked(tab.fetch(api.url("/items")))
    # A simple request is sent; the browser withholds the answer from the script.
    assert api.count("GET", "/items") == 1


@pytest.mark.parametrize(
    ("config", "allowed_host"),
    [
        ({"allow_origins": ["http://localhost:*"]}, "localhost"),
        ({"allow_origin_regex": r"http://localhost:[0-9]+"}, "localhost"),
        ({"allow_origins": ["http://127.0.0.1:*"]}, "127.0.0.1"),
        ({"allow_origin_regex": r"http://127\.0\.0\.1:[0-9]+"}, "127.0.0.1"),
        ({"allow_origin_regex": r"http://localhost"}, None),  # fullmatch: the port is missing
    ],
    ids=["localhost-any-port", "localhost-regex", "127-any-port", "127-regex", "regex-fullmatch"],
)
def test_origin_patterns(
    new_tab: Callable[[], Tab],
    page_origin: str,
    make_api: MakeApi,
    config: Dict[str, Any],
    allowed_host: Optional[str],
) -> None:
    api = make_api(**config)
    for origin in (page_origin, localhost(page_origin)):
        tab = new_tab().open(origin + "/")
        seen = tab.fetch(api.url("/origin"))
        if origin.startswith(f"http://{allowed_host}:"):
            assert_allowed(seen)
            assert seen.body == {"origin": origin}
        else:
            assert_blocked(seen)


@pytest.mark.parametrize("listed", ["localhost", "127.0.0.1"])
def test_localhost_and_127_0_0_1_are_different_origins(
    new_tab: Callable[[], Tab], page_origin: str, make_api: MakeApi, listed: str
) -> None:
    """The same server as http://localhost:PORT and http://127.0.0.1:PORT: two origins."""
    as_localhost, as_ip = localhost(page_origin), page_origin
    allowed, refused = (as_localhost, as_ip) if listed == "localhost" else (as_ip, as_localhost)
    api = make_api(allow_origins=[allowed])
    from_allowed = new_tab().open(allowed + "/")
    assert from_allowed.origin == allowed
    assert_allowed(from_allowed.fetch(api.url("/items")))
    from_refused = new_tab().open(refused + "/")
    assert from_refused.origin == refused
    assert_blocked(from_refused.fetch(api.url("/items")))


def test_a_sandboxed_iframe_null_origin_is_refused(tab: Tab, make_api: MakeApi) -> None:
    api = make_api(allow_origins=[tab.origin])
    seen = tab.fetch_in_sandbox(api.url("/origin"))
    assert seen.origin == "null"
    assert_blocked(seen)
    assert api.count("GET", "/origin") == 1  # it was sent, as Origin: null, and refused


def test_a_sandboxed_iframe_null_origin_allowed_when_listed(tab: Tab, make_api: MakeApi) -> None:
    with pytest.warns(CORSConfigurationWarning, match="'null'"):
        api = make_api(allow_origins=["null", tab.origin])
    seen = tab.fetch_in_sandbox(api.url("/origin"))
    assert seen.origin == "null"
    assert_allowed(seen)
    assert seen.body == {"origin": "null"}
    # The page itself is still allowed.
    assert_allowed(tab.fetch(api.url("/origin")))


# --- Credentials ----------------------------------------------------------------------


def test_the_wildcard_never_carries_credentials(tab: Tab, make_api: MakeApi) -> None:
    api = make_api()  # CORSMiddleware(api): every origin, no credentials
    plain = tab.fetch(api.url("/items"))
    assert_allowed(plain)
    assert plain.body == {"items": ["a", "b", "c"]}
    assert_blocked(tab.fetch(api.url("/items"), credentials="include"))
    assert_blocked(tab.fetch(api.url("/session?token=x"), method="POST", credentials="include"))


def test_allow_credentials_false_refuses_credentialed_fetch(tab: Tab, make_api: MakeApi) -> None:
    api = make_api(allow_origins=[tab.origin], allow_credentials=False)
    assert_allowed(tab.fetch(api.url("/items")))
    assert_blocked(tab.fetch(api.url("/items"), credentials="include"))


def test_credentials_on_a_preflighted_request(tab: Tab, make_api: MakeApi) -> None:
    api = make_api(allow_origins=[tab.origin], allow_headers=["X-Token"])
    token = secrets.token_hex(8)
    assert_allowed(
        tab.fetch(api.url(f"/session?token={token}"), method="POST", credentials="include")
    )
    seen = tab.fetch(api.url("/session"), credentials="include", headers={"X-Token": "1"})
    assert_allowed(seen)
    assert seen.body == {"cookie": token}
    assert api.count("OPTIONS", "/session") == 1


# --- Preflights: methods and headers ----------------------------------------------------


@pytest.mark.parametrize(
    ("allow_methods", "method", "allowed"),
    [
        (None, "PUT", True),  # None: the methods the route serves
        (None, "DELETE", True),
        (None, "PATCH", False),  # /items/{id} serves no PATCH
        (["PUT"], "PUT", True),
        (["PUT"], "DELETE", False),  # served, but not listed
        (["put", "patch"], "PATCH", True),  # lower-case standard names are normalised
        (["PATCH"], "patch", False),  # browsers send "patch" as written: case-sensitive
    ],
)
def test_preflight_methods(
    tab: Tab, make_api: MakeApi, allow_methods: Any, method: str, allowed: bool
) -> None:
    api = make_api(allow_origins=[tab.origin], allow_methods=allow_methods)
    seen = tab.fetch(api.url("/items/1"), method=method)
    assert api.count("OPTIONS", "/items/1") == 1
    if allowed:
        assert seen.allowed, seen
        assert api.count(method, "/items/1") == 1
    else:
        assert_blocked(seen)
        assert api.count(method, "/items/1") == 0  # never sent: the handler never ran


@pytest.mark.parametrize("allow_methods", [None, ["OPTIONS"]])
def test_a_browser_options_request(tab: Tab, make_api: MakeApi, allow_methods: Any) -> None:
    """fetch() with method OPTIONS is preflighted (Access-Control-Request-Method: OPTIONS),
    then sent as a plain OPTIONS, which reaches the app. With allow_methods=None the route's
    methods decide, and the route answers OPTIONS: the middleware's own answers list it."""
    api = make_api(allow_origins=[tab.origin], allow_methods=allow_methods)
    seen = tab.fetch(api.url("/items/1"), method="OPTIONS")
    assert_allowed(seen)
    assert api.count("OPTIONS", "/items/1") == 2  # the preflight, then the request itself


@pytest.mark.parametrize(
    ("allow_headers", "sent", "allowed"),
    [
        (["X-Token"], {"X-Token": "1"}, True),
        (["x-token"], {"X-TOKEN": "1"}, True),  # names match case-insensitively
        (["X-Token"], {"X-Token": "1", "X-Other": "2"}, False),
        (["X-Token"], {"X-Other": "2"}, False),
        ([], {"Content-Type": "application/json", "Accept": "x/y"}, True),  # always allowed
        (None, {"X-Anything": "1", "X-Else": "2"}, True),  # None: any well-formed name
        (["*"], {"X-Anything": "1"}, True),
    ],
)
def test_preflight_headers(
    tab: Tab, make_api: MakeApi, allow_headers: Any, sent: Dict[str, str], allowed: bool
) -> None:
    api = make_api(allow_origins=[tab.origin], allow_headers=allow_headers)
    seen = tab.fetch(api.url("/items"), headers=sent)
    assert api.count("OPTIONS", "/items") == 1
    if allowed:
        assert_allowed(seen)
        assert api.count("GET", "/items") == 1
    else:
        assert_blocked(seen)
        assert api.count("GET", "/items") == 0


@pytest.mark.parametrize(
    ("config", "allowed"),
    [
        ({"allow_headers": ["Authorization"]}, True),
        ({"allow_headers": ["X-Token"]}, False),
        ({"allow_headers": ["*"]}, False),  # "*" never covers Authorization
        ({"allow_headers": ["*"], "allow_credentials": False}, False),
        ({"allow_headers": ["*"], "wildcard": True}, False),
        ({"allow_headers": ["*", "Authorization"]}, True),
        ({"allow_headers": None}, True),  # None: any well-formed header, Authorization too
    ],
    ids=[
        "listed",
        "not-listed",
        "star",
        "star-no-credentials",
        "star-any-origin",
        "star-and-listed",
        "default",
    ],
)
def test_authorization_header(
    tab: Tab, make_api: MakeApi, config: Dict[str, Any], allowed: bool
) -> None:
    config = dict(config)
    if not config.pop("wildcard", False):
        config["allow_origins"] = [tab.origin]
    api = make_api(**config)
    seen = tab.fetch(api.url("/items"), headers={"Authorization": basic_auth()})
    if allowed:
        assert_allowed(seen)
    else:
        assert_blocked(seen)
        assert api.count("GET", "/items") == 0
    if "*" in (config["allow_headers"] or ()):
        # The same "*" does allow other custom headers.
        assert_allowed(tab.fetch(api.url("/items"), headers={"X-Custom": "1"}))


def test_safelisted_requests_need_no_preflight(tab: Tab, make_api: MakeApi) -> None:
    api = make_api(allow_origins=[tab.origin])
    assert_allowed(tab.fetch(api.url("/items")))
    assert tab.fetch(api.url("/items"), method="HEAD").allowed  # hug answers HEAD with 405
    assert_allowed(tab.fetch(api.url("/items"), headers={"Accept": "application/json"}))
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        seen = tab.fetch(
            api.url("/items"), method="POST", headers={"Content-Type": content_type}, body="a=1"
        )
        assert seen.allowed, seen
    assert api.count("OPTIONS") == 0
    assert (api.count("GET"), api.count("HEAD"), api.count("POST")) == (2, 1, 2)
    # The counter does see preflights: a JSON POST has one.
    assert_allowed(tab.fetch(api.url("/items"), method="POST", headers=JSON, body="{}"))
    assert api.count("OPTIONS") == 1


@pytest.mark.parametrize(("max_age", "preflights"), [(600, 1), (0, 2)])
def test_max_age_caches_the_preflight(
    tab: Tab, make_api: MakeApi, max_age: int, preflights: int
) -> None:
    api = make_api(allow_origins=[tab.origin], max_age=max_age)
    for n in (1, 2):
        seen = tab.fetch(api.url("/items/1"), method="PUT", headers={"X-Token": str(n)}, body="")
        assert_allowed(seen)
    assert api.count("PUT", "/items/1") == 2
    assert api.count("OPTIONS", "/items/1") == preflights


def test_preflight_on_a_route_with_hug_authentication(tab: Tab, make_api: MakeApi) -> None:
    api = make_api(allow_origins=[tab.origin], allow_headers=["Authorization"])
    seen = tab.fetch(api.url("/private"), headers={"Authorization": basic_auth()})
    assert_allowed(seen)
    assert seen.body == {"secret": "the private answer"}
    assert (api.count("OPTIONS", "/private"), api.count("GET", "/private")) == (1, 1)
    # A wrong password: the preflight (cached now) passes, and the 401 is readable.
    refused = tab.fetch(api.url("/private"), headers={"Authorization": basic_auth("user", "no")})
    assert_allowed(refused, status=401)
    # No credentials at all: a simple request, no preflight, and a readable 401.
    assert_allowed(tab.fetch(api.url("/private")), status=401)


# --- Actual responses -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/missing", 404, {"error": "no such item"}),  # returned by hug
        ("/broken", 500, {"error": "broken"}),
        ("/forbidden", 403, {"errors": {"Forbidden": "not for you"}}),  # raised HTTPError
        ("/no/such/route", 404, None),  # hug's own not-found answer
    ],
)
def test_error_responses_are_readable(
    tab: Tab, make_api: MakeApi, path: str, status: int, body: Optional[Dict[str, str]]
) -> None:
    api = make_api(allow_origins=[tab.origin], expose_headers=["X-Total-Count"])
    seen = tab.fetch(api.url(path), credentials="include")
    assert_allowed(seen, status=status)
    if body is not None:
        assert seen.body == body
    else:
        assert "404" in seen.body  # hug documents the API in its 404 body


def test_a_redirect_is_followed_and_readable(tab: Tab, make_api: MakeApi) -> None:
    api = make_api(allow_origins=[tab.origin])
    seen = tab.fetch(api.url("/moved"), credentials="include")
    assert_allowed(seen)
    assert seen.redirected
    assert seen.body == {"items": ["a", "b", "c"]}


BOTH = {"X-Secret": "hidden", "X-Total-Count": "3"}


@pytest.mark.parametrize(
    ("config", "credentials", "readable"),
    [
        ({"expose_headers": ["X-Total-Count"]}, "same-origin", {"X-Total-Count": "3"}),
        ({"expose_headers": ["x-secret", "X-TOTAL-COUNT"]}, "same-origin", BOTH),
        ({"expose_headers": ["*"]}, "include", BOTH),  # credentialed: names, not "*"
        ({"expose_headers": ["*"], "wildcard": True}, "omit", BOTH),
        ({}, "same-origin", {}),
    ],
    ids=["listed", "case-insensitive", "star-credentialed", "star-any-origin", "none"],
)
def test_exposed_headers(
    tab: Tab, make_api: MakeApi, config: Dict[str, Any], credentials: str, readable: Any
) -> None:
    config = dict(config)
    if not config.pop("wildcard", False):
        config["allow_origins"] = [tab.origin]
    api = make_api(**config)
    seen = tab.fetch(api.url("/items"), credentials=credentials, read=("X-Secret", "X-Total-Count"))
    assert_allowed(seen)
    expected = {"X-Secret": None, "X-Total-Count": None, **readable}
    assert seen.read == expected
