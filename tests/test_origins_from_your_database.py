"""Origins from the application's own data: ``allow_origin_func`` and its per-process,
bounded, thread-safe decision cache; credentials for some allowed origins only.

The function is the user's (a database query in real life): here a counting stand-in that
records every origin it was asked about.
"""

from __future__ import annotations

import logging
import threading
import time
import tracemalloc
from typing import Any, Dict, List, Set

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hug_cors import (
    CORSConfigurationError,
    CORSConfigurationTypeError,
    CORSConfigurationWarning,
    CORSMiddleware,
    CORSPolicy,
    explain,
)
from hug_cors._origins import MAX_DECISIONS
from tests.helpers import (
    ORIGIN,
    MakeApi,
    build_with_middleware,
    call,
    configuration_error,
    cors_headers,
    examples,
    preflight,
)

TENANT = "https://shop.tenant.example"
STRANGER = "https://evil.example"


class Tenants:
    """The registered origins, and every origin the middleware asked about."""

    def __init__(self, *origins: str) -> None:
        self.origins: Set[str] = set(origins)
        self.asked: List[str] = []
        self.lock = threading.Lock()

    def __call__(self, origin: str) -> bool:
        with self.lock:
            self.asked.append(origin)
        return origin in self.origins


def allowed_origin(api: Any, origin: str) -> Any:
    return cors_headers(call(api, "GET", "/demo", {"Origin": origin})).get(
        "access-control-allow-origin"
    )


def test_the_function_allows_the_origins_the_lists_do_not(make_api: MakeApi) -> None:
    tenants = Tenants(TENANT)
    api = make_api(allow_origins=[ORIGIN], allow_origin_func=tenants)
    answered = cors_headers(call(api, "GET", "/demo", {"Origin": TENANT}))
    assert answered == {
        "access-control-allow-origin": TENANT,
        "access-control-allow-credentials": "true",  # as listed origins, by default
    }
    granted = cors_headers(preflight(api, origin=TENANT))
    assert granted["access-control-allow-origin"] == TENANT
    assert cors_headers(call(api, "GET", "/demo", {"Origin": STRANGER})) == {}
    assert cors_headers(preflight(api, origin=STRANGER)) == {}
    assert allowed_origin(api, ORIGIN) == ORIGIN
    assert tenants.asked == [TENANT, STRANGER]  # never for a listed origin; each once


def test_the_function_alone_allows_no_other_origin(make_api: MakeApi) -> None:
    """Without allow_origins, the function is the whole list (not "*")."""
    tenants = Tenants(TENANT)
    api = make_api(allow_origin_func=tenants)
    assert allowed_origin(api, TENANT) == TENANT
    assert allowed_origin(api, STRANGER) is None


def test_patterns_and_the_regex_decide_before_the_function() -> None:
    tenants = Tenants()
    policy = CORSPolicy(
        allow_origins=["https://*.example.com"],
        allow_origin_regex=r"https://pr-[0-9]+\.preview\.example\.dev",
        allow_origin_func=tenants,
    )
    for origin in ("https://a.example.com", "https://pr-7.preview.example.dev"):
        assert policy.actual(origin).refusal is None
    assert tenants.asked == []
    assert policy.decided_by("https://a.example.com") == "allow_origins"
    assert policy.decided_by("https://pr-7.preview.example.dev") == "allow_origin_regex"
    assert policy.decided_by(STRANGER) is None
    assert tenants.asked == [STRANGER]
    listed = CORSPolicy(allow_origins=[ORIGIN], allow_origin_func=tenants)
    assert listed.decided_by(ORIGIN) == "allow_origins"
    assert CORSPolicy().decided_by(STRANGER) == "allow_origins"  # "*"
    # explain names the function only when it decided.
    assert not any("allow_origin_func" in step for step in explain(listed, ORIGIN).steps)


@pytest.mark.parametrize(
    "origin",
    [
        "null",
        "HTTPS://shop.tenant.example",  # browsers send lower case
        "https://shop.tenant.example:443",  # and no default port
        "https://shop.tenant.example/",
        "https://shop.tenant.example\r\nX-Evil: 1",
        "https://" + "a" * 300 + ".example",
        "",
        "file://",
    ],
)
def test_the_function_is_never_asked_about_what_no_browser_sends(origin: str) -> None:
    tenants = Tenants(origin, TENANT)
    policy = CORSPolicy(allow_origin_func=tenants)
    answer = policy.actual(origin)
    assert answer.headers == ()
    assert answer.refusal is not None
    assert policy.preflight(origin, "GET").headers == ()
    assert tenants.asked == []


def test_each_decision_is_kept_for_the_ttl_in_each_process() -> None:
    tenants = Tenants(TENANT)
    policy = CORSPolicy(allow_origin_func=tenants, allow_origin_func_ttl=0.3)
    for _ in range(5):
        assert policy.actual(TENANT).refusal is None
        assert policy.actual(STRANGER).refusal is not None
    assert tenants.asked == [TENANT, STRANGER]
    tenants.origins = {STRANGER}  # the data changed: seen after the TTL, not before
    assert policy.actual(TENANT).refusal is None
    time.sleep(0.35)
    assert policy.actual(TENANT).refusal is not None
    assert policy.actual(STRANGER).refusal is None
    assert tenants.asked == [TENANT, STRANGER, TENANT, STRANGER]


def test_through_the_middleware_each_decision_also_lasts_the_ttl_and_no_longer(
    make_api: MakeApi,
) -> None:
    """The middleware takes a kept decision from the policy's ready answers, without
    asking the policy: an expired one must not be served from there."""
    tenants = Tenants(TENANT)
    api = make_api(allow_origin_func=tenants, allow_origin_func_ttl=0.3)
    for _ in range(3):
        assert allowed_origin(api, TENANT) == TENANT
        assert allowed_origin(api, STRANGER) is None
    tenants.origins = {STRANGER}
    assert allowed_origin(api, TENANT) == TENANT
    time.sleep(0.35)
    assert allowed_origin(api, TENANT) is None
    assert allowed_origin(api, STRANGER) == STRANGER
    assert tenants.asked == [TENANT, STRANGER, TENANT, STRANGER]


def test_a_ttl_of_zero_asks_every_time() -> None:
    tenants = Tenants(TENANT)
    policy = CORSPolicy(allow_origin_func=tenants, allow_origin_func_ttl=0)
    for _ in range(3):
        assert policy.actual(TENANT).refusal is None
    assert tenants.asked == [TENANT] * 3


def test_a_flood_of_distinct_origins_is_bounded_in_calls_and_memory() -> None:
    """Three times as many distinct hostile origins as decisions are kept: the function
    is asked at most once per origin, never more often than the cache holds decisions
    within one TTL, and memory stops growing once the cache is full."""
    tenants = Tenants(TENANT)
    policy = CORSPolicy(allow_origin_func=tenants, allow_origin_func_ttl=600)
    assert policy.actual(TENANT).refusal is None
    flood = [f"https://x{n}.attacker.example" for n in range(3 * MAX_DECISIONS)]
    tracemalloc.start()
    try:
        for origin in flood[:MAX_DECISIONS]:
            policy.actual(origin)
        full, _ = tracemalloc.get_traced_memory()
        for origin in flood[MAX_DECISIONS:]:
            assert policy.actual(origin).refusal is not None
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(tenants.asked) == MAX_DECISIONS  # the tenant, then the cache filled up
    assert len(set(tenants.asked)) == len(tenants.asked)
    assert after - full < 256 * 1024, f"{after - full} bytes more after the cache was full"
    # Decisions kept before the flood still answer, without asking again.
    assert policy.actual(TENANT).refusal is None
    for origin in flood[:100]:
        policy.actual(origin)
    assert len(tenants.asked) == MAX_DECISIONS
    # A new origin during the flood is refused unasked, and says why.
    assert "never asked" in str(policy.actual("https://new.tenant.example").refusal)


def test_expired_decisions_make_room_for_new_origins() -> None:
    tenants = Tenants()
    policy = CORSPolicy(allow_origin_func=tenants, allow_origin_func_ttl=0.2)
    for n in range(MAX_DECISIONS):
        policy.actual(f"https://x{n}.attacker.example")
    time.sleep(0.25)
    tenants.origins = {TENANT}
    assert policy.actual(TENANT).refusal is None
    assert tenants.asked[-1] == TENANT


def test_one_origin_asked_by_many_threads_at_once_is_asked_once() -> None:
    asked: List[str] = []

    def slow(origin: str) -> bool:
        asked.append(origin)
        time.sleep(0.05)
        return True

    policy = CORSPolicy(allow_origin_func=slow)
    start = threading.Barrier(8)
    results: List[Any] = []

    def request() -> None:
        start.wait()
        results.append(policy.actual(TENANT).refusal)

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert results == [None] * 8
    assert asked == [TENANT]


def test_a_function_that_raises_refuses_logs_and_never_becomes_a_500(
    make_api: MakeApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(origin: str) -> bool:
        raise ConnectionError("the database is down")

    api = make_api(allow_origin_func=broken, debug=True)
    with caplog.at_level(logging.WARNING, logger="hug_cors"):
        response = call(api, "GET", "/demo", {"Origin": TENANT})
        refused_preflight = preflight(api, origin=TENANT)
    assert response.status == "200 OK"
    assert cors_headers(response) == {}
    assert cors_headers(refused_preflight) == {}
    assert response.headers_dict["hug-cors-refused"] == (
        f"origin '{TENANT}' is not allowed (allow_origin_func raised ConnectionError)"
    )
    raised = [record for record in caplog.records if record.exc_info]
    assert len(raised) == 1  # the decision is kept: the preflight did not ask again
    assert raised[0].exc_info is not None
    assert isinstance(raised[0].exc_info[1], ConnectionError)
    assert TENANT in raised[0].getMessage()


@pytest.mark.parametrize("returned", [1, "yes", [TENANT], object()])
def test_a_function_must_answer_true_or_false(
    returned: object, caplog: pytest.LogCaptureFixture
) -> None:
    policy = CORSPolicy(allow_origin_func=lambda origin: returned)
    with caplog.at_level(logging.ERROR, logger="hug_cors"):
        answer = policy.actual(TENANT)
    assert answer.headers == ()
    assert f"allow_origin_func returned a {type(returned).__name__}" in str(answer.refusal)
    assert "not True or False" in caplog.text


def test_none_is_a_quiet_refusal(caplog: pytest.LogCaptureFixture) -> None:
    policy = CORSPolicy(allow_origin_func=lambda origin: None)  # type: ignore[arg-type,return-value]
    with caplog.at_level(logging.DEBUG, logger="hug_cors"):
        assert policy.actual(TENANT).refusal == (
            f"origin '{TENANT}' is not allowed (allow_origin_func refused it)"
        )
    assert caplog.records == []


def test_debug_mode_and_explain_say_the_function_decided(make_api: MakeApi) -> None:
    tenants = Tenants(TENANT)
    api = make_api(allow_origin_func=tenants, debug=True)
    refused = call(api, "GET", "/demo", {"Origin": STRANGER})
    assert refused.headers_dict["hug-cors-refused"] == (
        f"origin '{STRANGER}' is not allowed (allow_origin_func refused it)"
    )
    cors = CORSMiddleware(make_api(), allow_origin_func=tenants, allow_origin_func_ttl=30)
    allowed = explain(cors, TENANT)
    assert allowed.allowed
    assert f"allow_origin_func allows '{TENANT}' (each process keeps that for 30 s)." in (
        allowed.steps
    )
    blocked = explain(cors, STRANGER)
    assert not blocked.allowed
    assert blocked.fix == (
        f"make allow_origin_func allow '{STRANGER}' (add it to your tenants' origins), "
        "or add it to allow_origins"
    )


def test_configure_swaps_the_function_and_forgets_its_decisions(make_api: MakeApi) -> None:
    first, second = Tenants(TENANT), Tenants()
    api, middleware = build_with_middleware(make_api, allow_origin_func=first)
    assert allowed_origin(api, TENANT) == TENANT
    middleware.configure(allow_origin_func=second)
    assert allowed_origin(api, TENANT) is None
    assert second.asked == [TENANT]
    middleware.configure(allow_origin_func=None, allow_origins=[ORIGIN])
    assert allowed_origin(api, TENANT) is None
    assert second.asked == [TENANT]


def test_a_route_policy_has_a_function_of_its_own(make_api: MakeApi) -> None:
    admins = Tenants("https://admin.example.com")
    tenants = Tenants(TENANT)
    api = make_api(
        allow_origin_func=tenants,
        route_policies={"/demo/*": CORSPolicy(allow_origin_func=admins)},
    )
    assert allowed_origin(api, TENANT) == TENANT  # /demo: the default policy
    granted = cors_headers(preflight(api, "/demo/1", origin="https://admin.example.com"))
    assert granted["access-control-allow-origin"] == "https://admin.example.com"
    assert cors_headers(preflight(api, "/demo/1", origin=TENANT)) == {}
    assert admins.asked == ["https://admin.example.com", TENANT]


def test_the_functions_configuration_is_checked() -> None:
    configuration_error(
        lambda: CORSPolicy(allow_origin_func="tenants"),  # type: ignore[arg-type]
        "allow_origin_func",
        "tenants",
        CORSConfigurationTypeError,
    )
    for ttl in (-1, float("inf")):
        configuration_error(
            lambda ttl=ttl: CORSPolicy(allow_origin_func=bool, allow_origin_func_ttl=ttl),
            "allow_origin_func_ttl",
            ttl,
        )
    configuration_error(
        lambda: CORSPolicy(allow_origin_func_ttl=True),
        "allow_origin_func_ttl",
        True,
        CORSConfigurationTypeError,
    )
    error = configuration_error(
        lambda: CORSPolicy(allow_origins=["*"], allow_origin_func=bool),
        "allow_origins",
        ["*"],
    )
    assert "with allow_origin_func" in error.problem


def test_a_nan_ttl_is_refused() -> None:
    with pytest.raises(CORSConfigurationError) as raised:
        CORSPolicy(allow_origin_func=bool, allow_origin_func_ttl=float("nan"))
    assert raised.value.parameter == "allow_origin_func_ttl"


# --- Credentials for some origins ------------------------------------------------------


def credentialed(policy: CORSPolicy, origin: str) -> Dict[str, str]:
    return dict(policy.actual(origin).headers)


def test_credentials_go_to_the_listed_origins_and_patterns_only() -> None:
    policy = CORSPolicy(
        allow_origins=[ORIGIN, "https://docs.example.org", "https://*.partner.example"],
        allow_credentials=[ORIGIN, "https://*.partner.example"],
    )
    assert credentialed(policy, ORIGIN) == {
        "Access-Control-Allow-Origin": ORIGIN,
        "Access-Control-Allow-Credentials": "true",
    }
    assert credentialed(policy, "https://a.partner.example")[
        "Access-Control-Allow-Credentials"
    ] == ("true")
    assert credentialed(policy, "https://docs.example.org") == {
        "Access-Control-Allow-Origin": "https://docs.example.org"
    }
    granted = dict(policy.preflight("https://docs.example.org", "PUT").headers)
    assert "Access-Control-Allow-Credentials" not in granted
    assert policy.summary()["allow_credentials"] == ["https://*.partner.example", ORIGIN]


def test_credentials_through_the_middleware_and_the_function(make_api: MakeApi) -> None:
    tenants = Tenants(TENANT, "https://blog.tenant.example")
    api = make_api(allow_origin_func=tenants, allow_credentials=[TENANT])
    assert cors_headers(call(api, "GET", "/demo", {"Origin": TENANT})) == {
        "access-control-allow-origin": TENANT,
        "access-control-allow-credentials": "true",
    }
    assert cors_headers(call(api, "GET", "/demo", {"Origin": "https://blog.tenant.example"})) == {
        "access-control-allow-origin": "https://blog.tenant.example"
    }


@pytest.mark.parametrize(
    ("config", "value"),
    [
        ({"allow_origins": [ORIGIN], "allow_credentials": ["https://other.example"]}, None),
        (
            {
                "allow_origins": ["https://a.example.com"],
                "allow_credentials": ["https://*.example.com"],
            },
            "https://*.example.com",
        ),
        (
            {
                "allow_origin_regex": r"https://[a-z]+\.example\.com",
                "allow_credentials": ["https://*.example.com"],
            },
            "https://*.example.com",
        ),
    ],
)
def test_credentials_for_an_origin_that_is_not_allowed_are_refused(
    config: Dict[str, Any], value: Any
) -> None:
    listed = config["allow_credentials"][0]
    error = configuration_error(lambda: CORSPolicy(**config), "allow_credentials", listed)
    assert error.fix == "Add it to allow_origins, or remove it from allow_credentials."


def test_credentials_listed_under_the_wildcard_are_refused() -> None:
    configuration_error(
        lambda: CORSPolicy(allow_credentials=[ORIGIN]), "allow_credentials", [ORIGIN]
    )


def test_a_pattern_covers_its_exact_origins_and_the_function_any() -> None:
    CORSPolicy(allow_origins=["https://*.example.com"], allow_credentials=["https://a.example.com"])
    CORSPolicy(allow_origin_func=bool, allow_credentials=[TENANT])


def test_plain_http_warns_only_for_origins_that_get_credentials() -> None:
    with pytest.warns(CORSConfigurationWarning, match="'http://b.example' is plain http"):
        CORSPolicy(
            allow_origins=["http://a.example", "http://b.example"],
            allow_credentials=["http://b.example"],
        )
    CORSPolicy(allow_origins=["http://a.example"], allow_credentials=[])  # no credentials


def test_the_decisions_of_patterns_are_kept_and_bounded() -> None:
    """Pattern and regex decisions are kept per origin (their answer is ready the next
    time), at most MAX_DECISIONS of them: a flood of made-up origins does not grow memory."""
    policy = CORSPolicy(allow_origins=["https://*.example.com"])
    first = policy.actual("https://a.example.com")
    assert policy.actual("https://a.example.com") is first
    tracemalloc.start()
    try:
        # Full, then turned over once: the dict's own table has reached its size.
        for n in range(2 * MAX_DECISIONS):
            policy.actual(f"https://x{n}.example.com")
        settled, _ = tracemalloc.get_traced_memory()
        for n in range(2 * MAX_DECISIONS, 5 * MAX_DECISIONS):
            policy.actual(f"https://x{n}.example.com")
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Keeping the 30,000 answers of the flood would take 10 MB; what moves is the dict's
    # table and the answers in turn-over.
    assert after - settled < 1024 * 1024, f"{after - settled} bytes more"
    assert policy.actual("https://a.example.com").refusal is None


def test_a_flood_never_turns_over_the_listed_origins_ready_answers() -> None:
    """Adapters take an answer from ``ready_answers`` before asking the policy: the listed
    origins' stay there whatever a flood of pattern-allowed origins does, and the flood's
    are at most MAX_DECISIONS."""
    policy = CORSPolicy(allow_origins=[ORIGIN, "https://*.example.com"])
    listed = policy.ready_answers[ORIGIN]
    for n in range(2 * MAX_DECISIONS):
        policy.actual(f"https://x{n}.example.com")
    assert policy.ready_answers[ORIGIN] is listed
    assert policy.ready_answers[None] == policy.actual(None)
    assert len(policy.ready_answers) == MAX_DECISIONS + 2
    assert "https://x0.example.com" not in policy.ready_answers  # the oldest went first
    assert f"https://x{2 * MAX_DECISIONS - 1}.example.com" in policy.ready_answers


def test_an_origin_longer_than_any_browser_sends_is_refused_and_never_kept() -> None:
    """A host has at most 253 characters: a longer origin matches no pattern, regex or
    function, and no decision about it is kept (so a flood of 8 KB origins takes no
    memory beyond the request)."""
    tenants = Tenants()
    policy = CORSPolicy(
        allow_origins=["https://*.example.com"],
        allow_origin_regex=r"https://[a-z.]+\.example\.org",
        allow_origin_func=tenants,
    )
    long_host = "a." * 130  # 260 characters of labels
    for origin in (f"https://{long_host}example.com", f"https://{long_host}example.org"):
        tenants.origins.add(origin)
        assert policy.actual(origin).refusal is not None
    tracemalloc.start()
    try:
        for n in range(2000):
            policy.actual(f"https://{n}{'x' * 8000}.example.com")
        grown, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert grown < 256 * 1024
    assert tenants.asked == []


TENANTS = ["https://a.tenant.example", "http://localhost:3000", "https://b.tenant.example:8443"]
# Tenants' origins, and what an attacker makes of them: other case, default ports, a
# trailing slash or path, white space, null, other schemes.
ORIGINS = st.one_of(
    st.sampled_from(TENANTS),
    st.sampled_from(TENANTS).map(str.upper),
    st.sampled_from(TENANTS).map(lambda origin: origin + "/"),
    st.sampled_from(TENANTS).map(lambda origin: origin + ":443"),
    st.sampled_from(TENANTS).map(lambda origin: " " + origin),
    st.sampled_from(["null", "", "https://evil.example", "file://", "https://a.tenant.example."]),
    st.text(max_size=40),
)


@settings(max_examples=examples(300), deadline=None)
@given(origin=ORIGINS, method=st.sampled_from(["GET", "PUT", "DELETE"]))
def test_a_function_allows_exactly_what_listing_its_origins_would(origin: str, method: str) -> None:
    """Differential: allow_origin_func=registered.__contains__ answers every request as
    allow_origins=registered does, whatever the Origin header holds."""
    listed = CORSPolicy(allow_origins=TENANTS, allow_methods=["PUT"])
    asked = CORSPolicy(allow_origin_func=set(TENANTS).__contains__, allow_methods=["PUT"])
    for policy_answer in (lambda p: p.actual(origin), lambda p: p.preflight(origin, method)):
        expected, answered = policy_answer(listed), policy_answer(asked)
        assert answered.headers == expected.headers
        assert answered.vary == expected.vary
        assert (answered.refusal is None) == (expected.refusal is None)


ALLOWED = [*TENANTS, "https://*.partner.example", "http://localhost:*"]
CREDENTIALED = ["https://a.tenant.example", "https://*.partner.example"]
PARTNERS = st.sampled_from(["https://x.partner.example", "https://x.y.partner.example"])


@settings(max_examples=examples(300), deadline=None)
@given(origin=st.one_of(ORIGINS, PARTNERS, PARTNERS.map(str.upper)))
def test_credentials_go_where_listing_only_those_origins_would_allow(origin: str) -> None:
    """Differential: with allow_credentials=[some], an origin gets CORS where the whole
    list allows it, and credentials only where a policy of those alone would allow it."""
    policy = CORSPolicy(allow_origins=ALLOWED, allow_credentials=CREDENTIALED)
    everyone = CORSPolicy(allow_origins=ALLOWED, allow_credentials=False)
    listed = CORSPolicy(allow_origins=CREDENTIALED, allow_credentials=False)
    for answer in (policy.actual(origin), policy.preflight(origin, "GET")):
        headers = dict(answer.headers)
        assert ("Access-Control-Allow-Origin" in headers) == everyone.allows_origin(origin)
        assert headers.get("Access-Control-Allow-Credentials") == (
            "true" if listed.allows_origin(origin) else None
        )
