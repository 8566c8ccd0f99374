"""hug-cors beside hug's SessionMiddleware and LogMiddleware, as docs/other-middleware.md
says: Falcon 2.0 skips the process_request of middleware added after hug-cors once it
answers a preflight (resp.complete), but calls every middleware's process_response, in
any order; the page's SessionMiddlewareWithoutPreflights keeps sessions out of preflights."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import falcon
import falcon.testing
import hug
import pytest
from hug.middleware import LogMiddleware, SessionMiddleware
from hug.store import InMemoryStore

from hug_cors import CORSMiddleware
from tests.helpers import ORIGIN, build_api, call, cors_headers, preflight

PAGE = Path(__file__).resolve().parent.parent / "docs" / "other-middleware.md"

# The order of the add_middleware calls.
CORS_FIRST = "cors first"
CORS_LAST = "cors last"
ORDERS = [CORS_FIRST, CORS_LAST]


class Store(InMemoryStore):
    """hug's in-memory store, keeping a record of each write: (session id, data)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: List[Tuple[str, Dict[str, Any]]] = []

    def set(self, key: str, data: Dict[str, Any]) -> None:
        self.writes.append((key, dict(data)))
        super().set(key, data)

    def session_ids(self) -> List[str]:
        return sorted({key for key, _ in self.writes})


def documented_code() -> Dict[str, Any]:
    """Run the page's sample (the block that defines the subclass); its names."""
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)
    (sample,) = [b for b in blocks if "class SessionMiddlewareWithoutPreflights" in b]
    namespace: Dict[str, Any] = {"__name__": "other_middleware_sample"}
    exec(compile(sample, str(PAGE), "exec"), namespace)
    return namespace


SAMPLE = documented_code()
SessionMiddlewareWithoutPreflights = SAMPLE["SessionMiddlewareWithoutPreflights"]


def build(order: str, *others: Any) -> Tuple[hug.API, List[str]]:
    """build_api's routes plus /visits (counts in the session); CORSMiddleware added
    before or after ``others``. Also returns the paths the handlers ran for."""
    api = build_api(None)
    ran: List[str] = []
    cors = CORSMiddleware(api, allow_origins=[ORIGIN], allow_headers=["X-Token", "Authorization"])
    for middleware in [cors, *others] if order == CORS_FIRST else [*others, cors]:
        api.http.add_middleware(middleware)

    @hug.http("/visits", api=api, accept=("GET", "PUT"))
    def visits(request: Any) -> int:
        ran.append(request.path)
        session = request.context["session"]
        session["visits"] = session.get("visits", 0) + 1
        return int(session["visits"])

    @hug.http("/plain", api=api, accept=("GET", "PUT"))
    def plain(request: Any) -> str:
        ran.append(request.path)
        return "plain"

    return api, ran


def session_cookies(response: Any) -> List[str]:
    """The session ids in the response's Set-Cookie headers."""
    cookies = [value for name, value in response.headers if name.lower() == "set-cookie"]
    assert all(cookie.startswith("sid=") for cookie in cookies), cookies
    return [cookie[len("sid=") :].split(";")[0] for cookie in cookies]


def answered_by_cors(response: Any) -> bool:
    """An allowed preflight's answer: hug-cors' headers."""
    headers = cors_headers(response)
    return (
        headers.get("access-control-allow-origin") == ORIGIN
        and "access-control-allow-methods" in headers
    )


def visit(api: hug.API, sid: Optional[str] = None) -> Any:
    headers = {"Origin": ORIGIN}
    if sid is not None:
        headers["Cookie"] = f"sid={sid}"
    return call(api, "GET", "/visits", headers)


# hug's SessionMiddleware: a session per preflight, in either order


@pytest.mark.parametrize("order", ORDERS)
def test_each_preflight_gets_a_new_empty_session_in_either_order(order: str) -> None:
    store = Store()
    api, ran = build(order, SessionMiddleware(store))
    first, second = preflight(api, "/visits"), preflight(api, "/visits")
    assert answered_by_cors(first)
    assert answered_by_cors(second)
    (first_sid,) = session_cookies(first)
    (second_sid,) = session_cookies(second)
    assert first_sid != second_sid
    assert store.session_ids() == sorted([first_sid, second_sid])
    assert store.get(first_sid) == store.get(second_sid) == {}
    assert ran == []


@pytest.mark.parametrize(("order", "kept"), [(CORS_FIRST, {}), (CORS_LAST, {"visits": 1})])
def test_order_decides_what_a_cookie_carrying_preflight_does_to_the_session(
    order: str, kept: Dict[str, int]
) -> None:
    store = Store()
    api, _ = build(order, SessionMiddleware(store))
    (sid,) = session_cookies(visit(api))
    assert store.get(sid) == {"visits": 1}
    answer = preflight(api, "/visits", Cookie=f"sid={sid}")
    assert answered_by_cors(answer)
    assert session_cookies(answer) == [sid]
    # hug-cors first: the session's process_request never loaded the session, and its
    # process_response saved an empty one over it.
    assert store.get(sid) == kept
    assert visit(api, sid).data == kept.get("visits", 0) + 1


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("session_class", [SessionMiddleware, SessionMiddlewareWithoutPreflights])
def test_an_ordinary_request_keeps_its_session(order: str, session_class: Any) -> None:
    store = Store()
    api, ran = build(order, session_class(store))
    first = visit(api)
    assert first.data == 1
    assert cors_headers(first)["access-control-allow-origin"] == ORIGIN
    (sid,) = session_cookies(first)
    second = visit(api, sid)
    assert second.data == 2
    assert session_cookies(second) == [sid]
    assert store.session_ids() == [sid]
    assert store.get(sid) == {"visits": 2}
    assert ran == ["/visits", "/visits"]


@pytest.mark.parametrize("independent_middleware", [True, False])
def test_no_falcon_setting_keeps_process_response_from_a_preflight(
    independent_middleware: bool,
) -> None:
    """hug leaves independent_middleware at True; False does not help either."""
    store = Store()
    cors = CORSMiddleware(None, allow_origins=[ORIGIN], allow_methods=["PUT"])
    app = falcon.API(
        middleware=[cors, SessionMiddleware(store)],
        independent_middleware=independent_middleware,
    )
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    answer = falcon.testing.simulate_request(app, "OPTIONS", "/items/1", headers=headers)
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert answer.headers["set-cookie"].startswith("sid=")
    assert len(store.session_ids()) == 1


# The documented subclass: no session on preflights


@pytest.mark.parametrize("order", ORDERS)
def test_the_documented_subclass_keeps_sessions_out_of_preflights(order: str) -> None:
    store = Store()
    api, ran = build(order, SessionMiddlewareWithoutPreflights(store))
    for path in ["/visits", "/plain", "/private", "/nowhere"]:
        answer = preflight(api, path)
        assert session_cookies(answer) == [], path
    assert store.writes == []
    (sid,) = session_cookies(visit(api))
    answer = preflight(api, "/visits", Cookie=f"sid={sid}")
    assert answered_by_cors(answer)
    assert session_cookies(answer) == []
    assert store.get(sid) == {"visits": 1}
    assert visit(api, sid).data == 2
    assert ran == ["/visits", "/visits"]


@pytest.mark.parametrize("order", ORDERS)
def test_the_documented_subclass_still_sessions_a_plain_options(order: str) -> None:
    store = Store()
    api, _ = build(order, SessionMiddlewareWithoutPreflights(store))
    (sid,) = session_cookies(call(api, "OPTIONS", "/visits", {"Origin": ORIGIN}))
    assert store.session_ids() == [sid]


def test_the_documented_sample_api() -> None:
    api = SAMPLE["api"]
    answer = preflight(api, "/visits", "GET", headers="x-token")
    assert cors_headers(answer)["access-control-allow-origin"] == ORIGIN
    assert session_cookies(answer) == []
    first = visit(api)
    (sid,) = session_cookies(first)
    assert first.data == 1
    assert visit(api, sid).data == 2


# hug's LogMiddleware


@pytest.mark.parametrize(("order", "requested_lines"), [(CORS_FIRST, 0), (CORS_LAST, 1)])
def test_log_middleware_logs_each_preflight_response(
    order: str, requested_lines: int, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("hug_cors_test_other_middleware")
    api, ran = build(order, LogMiddleware(logger))
    with caplog.at_level(logging.INFO, logger=logger.name):
        answer = preflight(api, "/visits")
    assert answered_by_cors(answer)
    messages = [r.getMessage() for r in caplog.records if r.name == logger.name]
    requested = [m for m in messages if m.startswith("Requested: OPTIONS /visits")]
    combined = [m for m in messages if "] OPTIONS /visits " in m]
    assert len(requested) == requested_lines
    assert len(combined) == 1
    assert ran == []


@pytest.mark.parametrize("order", ORDERS)
def test_session_and_log_middleware_together(order: str, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("hug_cors_test_other_middleware")
    store = Store()
    api, ran = build(order, SessionMiddlewareWithoutPreflights(store), LogMiddleware(logger))
    with caplog.at_level(logging.INFO, logger=logger.name):
        answer = preflight(api, "/visits")
        ordinary = visit(api)
    assert answered_by_cors(answer)
    assert session_cookies(answer) == []
    assert ordinary.data == 1
    assert len(session_cookies(ordinary)) == 1
    messages = [r.getMessage() for r in caplog.records if r.name == logger.name]
    assert sum("] OPTIONS /visits " in m for m in messages) == 1
    assert sum("] GET /visits " in m for m in messages) == 1
    assert ran == ["/visits"]


# Authentication and handlers


@pytest.mark.parametrize("order", ORDERS)
def test_a_preflight_is_answered_before_hugs_requires_authentication(order: str) -> None:
    api, _ = build(order, SessionMiddleware(Store()), LogMiddleware())
    answer = preflight(api, "/private", "GET", headers="authorization")
    assert not answer.status.startswith("401")
    headers = cors_headers(answer)
    assert headers["access-control-allow-origin"] == ORIGIN
    assert headers["access-control-allow-headers"] == "authorization"
    refused = call(api, "GET", "/private", {"Origin": ORIGIN})
    assert refused.status.startswith("401")
    assert cors_headers(refused)["access-control-allow-origin"] == ORIGIN


@pytest.mark.parametrize("order", ORDERS)
def test_preflights_never_reach_the_handler(order: str) -> None:
    api, ran = build(order, SessionMiddleware(Store()), LogMiddleware())
    allowed = preflight(api, "/plain", "PUT", headers="x-token")
    refused = preflight(api, "/plain", "PUT", headers="x-not-allowed")
    assert answered_by_cors(allowed)
    assert "access-control-allow-origin" not in cors_headers(refused)
    assert ran == []
    assert call(api, "PUT", "/plain", {"Origin": ORIGIN}).data == "plain"
    assert ran == ["/plain"]
