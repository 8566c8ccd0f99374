"""Requests under hostile input: properties that hold whatever a client sends.

Every property is checked twice: through the middleware, in a hug API with hug's own test
helper or in a plain Falcon app (WSGI and ASGI) with Falcon's (header values as a server
hands them over: latin-1 text, stripped of surrounding whitespace),
and directly against :class:`CORSPolicy` with any Unicode text, which is fast enough for
hypothesis to search widely. What a policy should decide comes from the oracles in
``oracles.py``, computed independently of hug-cors.
"""

from __future__ import annotations

from typing import Any, Dict, List
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hug_cors import CORSPolicy
from tests.helpers import ORIGIN, MakeApi, call
from tests.oracles import (
    CONFIG_IDS,
    CONFIGS,
    HEADER_LISTS_LATIN_1,
    LATIN_1,
    NEAR_ORIGINS,
    ROUTES,
    SETTINGS,
    UNICODE,
    Config,
    actual_origins,
    api_for,
    check_actual,
    check_fields,
    check_preflight,
    check_vary,
    preflights,
    sent,
    split_list,
)


@SETTINGS
@given(config=st.sampled_from(CONFIGS), path=st.sampled_from(sorted(ROUTES)), data=st.data())
def test_middleware_preflight_is_safe_whatever_the_headers(
    framework: str, config: Config, path: str, data: st.DataObject
) -> None:
    request = data.draw(preflights(config, LATIN_1), label="request")
    headers = {"Origin": request.origin, "Access-Control-Request-Method": request.method}
    if request.request_headers is not None:
        headers["Access-Control-Request-Headers"] = request.request_headers
    if request.private_network is not None:
        headers["Access-Control-Request-Private-Network"] = request.private_network
    response = call(api_for(framework, config), "OPTIONS", path, headers)  # (a): nothing escapes
    assert response.status.startswith("2")
    check_preflight(
        config,
        sent(request.origin) or "",
        sent(request.method) or "",
        sent(request.request_headers),
        sent(request.private_network),
        ROUTES[path],
        response.headers,
    )


@SETTINGS
@given(
    config=st.sampled_from(CONFIGS),
    method=st.sampled_from(["GET", "POST", "OPTIONS"]),
    path=st.sampled_from(["/demo", "/vary", "/missing", "/broken", "/moved", "/nowhere"]),
    data=st.data(),
)
def test_middleware_actual_response_is_safe_whatever_the_headers(
    framework: str, config: Config, method: str, path: str, data: st.DataObject
) -> None:
    origin = data.draw(actual_origins(config, LATIN_1), label="origin")
    request_headers = data.draw(HEADER_LISTS_LATIN_1, label="request_headers")
    headers = {}
    if origin is not None:
        headers["Origin"] = origin
    if request_headers is not None:  # without a Request-Method: not a preflight
        headers["Access-Control-Request-Headers"] = request_headers
    response = call(api_for(framework, config), method, path, headers)  # (a): nothing escapes
    check_actual(config, sent(origin), response.headers)


VARY_TOKENS = [
    "Origin",
    "origin",
    "ORIGIN",
    "Accept-Encoding",
    "Cookie",
    "Access-Control-Request-Method",
    "access-control-request-headers",
    "*",
]


@SETTINGS
@given(
    config=st.sampled_from(CONFIGS),
    app_vary=st.lists(st.sampled_from(VARY_TOKENS), min_size=1, max_size=4, unique_by=str.lower),
    separator=st.sampled_from([", ", ",", " , ", ",\t"]),
    data=st.data(),
)
def test_middleware_merges_vary_with_the_apps_own(
    framework: str, config: Config, app_vary: List[str], separator: str, data: st.DataObject
) -> None:
    origin = data.draw(actual_origins(config, LATIN_1), label="origin")
    headers = {"Origin": origin} if origin is not None else {}
    path = "/vary?value=" + quote(separator.join(app_vary))  # the app's own Vary
    response = call(api_for(framework, config), "GET", path, headers)
    check_actual(config, sent(origin), response.headers)  # (f): no token twice
    vary = [
        token.lower()
        for name, value in response.headers
        if name == "vary"
        for token in split_list(value)
    ]
    for token in app_vary:  # never overwritten
        assert token.lower() in vary
    if "*" not in vary and not config.wildcard:  # "*" already varies on everything
        assert "origin" in vary


# --- Directly against CORSPolicy ---------------------------------------------------------

_policies: Dict[str, CORSPolicy] = {}


def policy_for(config: Config) -> CORSPolicy:
    if config.name not in _policies:
        _policies[config.name] = CORSPolicy(**config.kwargs)
    return _policies[config.name]


def check_answer_text(answer: Any) -> None:
    check_fields(answer.headers)
    if answer.vary:
        check_fields([("Vary", answer.vary)])
        check_vary([("Vary", answer.vary)])
    if answer.refusal is not None:  # logged: one line, control characters escaped
        assert not {"\r", "\n", "\0"}.intersection(answer.refusal), repr(answer.refusal)


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@SETTINGS
@given(route=st.sampled_from(sorted(ROUTES)), data=st.data())
def test_policy_preflight_is_safe_whatever_the_headers(
    config: Config, route: str, data: st.DataObject
) -> None:
    origin, method, request_headers, private_network = data.draw(
        preflights(config, UNICODE), label="request"
    )
    answer = policy_for(config).preflight(  # (a): nothing escapes
        origin, method, request_headers, private_network, ROUTES[route]
    )
    check_answer_text(answer)
    check_preflight(
        config, origin, method, request_headers, private_network, ROUTES[route], answer.headers
    )
    if answer.refusal is not None:
        assert answer.headers == ()


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@SETTINGS
@given(
    data=st.data(),
    response_headers=st.lists(st.sampled_from(["X-Total-Count", "Content-Type", "Set-Cookie"])),
)
def test_policy_actual_answer_is_safe_whatever_the_origin(
    config: Config, data: st.DataObject, response_headers: List[str]
) -> None:
    origin = data.draw(actual_origins(config, UNICODE), label="origin")
    answer = policy_for(config).actual(origin, lambda: response_headers)
    check_answer_text(answer)
    check_actual(config, origin, answer.headers)


# --- Known answers for origins that look almost allowed ----------------------------------


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("origin", NEAR_ORIGINS)
def test_near_miss_origin_gets_exactly_the_oracles_answer(config: Config, origin: str) -> None:
    verdict = True if config.wildcard else config.allows_origin(origin)
    if verdict is None:
        return
    answer = policy_for(config).actual(origin)
    echoed = dict(answer.headers).get("Access-Control-Allow-Origin")
    assert echoed == (("*" if config.wildcard else origin) if verdict else None)


def test_regex_is_matched_with_fullmatch_not_match_or_search(make_api: MakeApi) -> None:
    api = make_api(allow_origin_regex=r"https://[a-z]+\.example\.org")
    for origin in ["https://a.example.org.evil.com", "https://evil.com/https://a.example.org"]:
        response = call(api, "GET", "/demo", {"Origin": origin})
        assert "access-control-allow-origin" not in response.headers_dict
    response = call(api, "GET", "/demo", {"Origin": "https://a.example.org"})
    assert response.headers_dict["access-control-allow-origin"] == "https://a.example.org"


@pytest.mark.parametrize("path", ["/demo", "/demo/1"])
def test_preflight_for_options_passes_where_the_route_lists_options(
    framework: str, path: str
) -> None:
    # With allow_methods=None the preflight answers the methods the route serves, OPTIONS
    # included (hug and Falcon answer a plain OPTIONS on every route). A browser's
    # fetch(url, {method: "OPTIONS"}) preflights with Access-Control-Request-Method: OPTIONS;
    # refusing it contradicts the Access-Control-Allow-Methods the same route advertises.
    api = api_for(framework, CONFIGS[1])
    advertised = call(
        api, "OPTIONS", path, {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    )
    assert "OPTIONS" in split_list(advertised.headers_dict["access-control-allow-methods"])
    asked = call(
        api, "OPTIONS", path, {"Origin": ORIGIN, "Access-Control-Request-Method": "OPTIONS"}
    )
    assert asked.headers_dict.get("access-control-allow-origin") == "*"
    assert "OPTIONS" in split_list(asked.headers_dict["access-control-allow-methods"])


@pytest.mark.parametrize(
    ("config", "name"),
    [
        (CONFIGS[0], "X-To\u212aen"),  # "x-token" once lower-cased
        (CONFIGS[1], "X-\u212a"),  # "x-k" once lower-cased
    ],
    ids=["listed-name", "any-name"],
)
def test_non_ascii_header_name_is_refused_even_when_lower_case_makes_it_ascii(
    config: Config, name: str
) -> None:
    # U+212A KELVIN SIGN is not a token character, but str.lower() turns it into an ASCII
    # "k": a malformed Access-Control-Request-Headers must be refused, not normalised.
    answer = policy_for(config).preflight(ORIGIN, "GET", name, None, ROUTES["/demo"])
    assert answer.headers == ()
    assert answer.refusal is not None
