"""Fuzzing what tests/test_properties.py leaves out: the WSGI environ and the ASGI scope as
a real server builds them, and the configuration itself. Each test runs against the app
of every kind the environment has: a hug API, or a plain Falcon app (WSGI and ASGI).

Requests: the environ (or scope) is built by hand, so values reach the middleware exactly
as a server hands them over, never stripped or re-encoded by a test helper: several header
lines of the same name joined into one value (waitress joins them with ", ", gunicorn with
","), values of 100 KB, any latin-1 byte (PEP 3333 decodes the raw bytes as latin-1; an
ASGI server passes the bytes), CR, LF and NUL.

Configuration: every constructor parameter gets random lists, strings, numbers, None and
arbitrary objects. A configuration is either refused with a ``TypeError`` or ``ValueError``
that says something, or accepted; an accepted one must then answer any request without
raising.

The properties, in every case: no exception escapes, no 5xx; every header is a valid HTTP
field; a refused origin never gets ``Access-Control-Allow-Origin``; ``*`` never comes with
credentials (the checks are the oracles of tests/oracles.py).
"""

from __future__ import annotations

import asyncio
import re
import warnings
from typing import Any, Dict, List, Optional, Tuple

import pytest
from falcon import testing
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from hug_cors import CORSConfigurationError
from tests.helpers import (
    ORIGIN,
    OTHER_ORIGIN,
    MakeApi,
    configuration_error,
    examples,
    run_asgi,
    server,
)
from tests.oracles import (
    CONFIGS,
    LATIN_1,
    NEAR_HEADER_NAMES,
    NEAR_METHODS,
    NEAR_ORIGINS,
    NEAR_PRIVATE_NETWORK,
    ROUTES,
    Config,
    api_for,
    check_actual,
    check_fields,
    check_preflight,
    check_vary,
    hostile,
)
from tests.oracles import SETTINGS as PROPERTY_SETTINGS

SETTINGS = settings(PROPERTY_SETTINGS, max_examples=examples(120))
HUGE = 100_000  # characters: far beyond any server's default header limit but waitress's
JOINERS = [", ", ","]  # how waitress and gunicorn join repeated header lines

Headers = List[Tuple[str, str]]


# --- Calling the app with an environ or a scope built by hand -------------------------

_apps: Dict[Tuple[str, str], Any] = {}


def app_for(framework: str, config: Config) -> Any:
    """The WSGI or ASGI callable of tests/oracles.api_for(framework, config), built once."""
    key = (framework, config.name)
    if key not in _apps:
        _apps[key] = server(api_for(framework, config))
    return _apps[key]


def send(app: Any, method: str, path: str, fields: Dict[str, str]) -> Tuple[str, Headers]:
    """One request; ``fields`` reach the app as-is: set in the WSGI environ
    (``Origin`` -> HTTP_ORIGIN), or as one ASGI header line each, latin-1 encoded."""
    if asyncio.iscoroutinefunction(app.__call__):
        status, headers = asgi(app, method, path, fields)
    else:
        status, headers = wsgi(app, method, path, fields)
    assert not status.startswith("5"), status
    return status, headers


def wsgi(app: Any, method: str, path: str, fields: Dict[str, str]) -> Tuple[str, Headers]:
    environ = testing.create_environ(path=path, method=method)
    for name, value in fields.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    started: Dict[str, Any] = {}

    def start_response(status: str, headers: Headers, exc_info: Any = None) -> None:
        started.update(status=status, headers=headers)

    body = app(environ, start_response)
    b"".join(body)  # the whole body is produced without raising
    return started["status"], started["headers"]


def asgi(app: Any, method: str, path: str, fields: Dict[str, str]) -> Tuple[str, Headers]:
    lines = [(name.lower().encode(), value.encode("latin-1")) for name, value in fields.items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"api.example.com"), *lines],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    status, headers, _ = run_asgi(app, scope)
    return status, headers


# --- Hostile header values -------------------------------------------------------------


def raw_bytes() -> st.SearchStrategy[str]:
    """Any bytes a client may send, as a WSGI server decodes them (latin-1)."""
    return st.binary(max_size=80).map(lambda data: data.decode("latin-1"))


def with_controls(value: str, position: int, control: str) -> str:
    position %= len(value) + 1
    return value[:position] + control + value[position:]


def field_values(near: List[str], good: List[str]) -> st.SearchStrategy[str]:
    """A header value: near misses, hostile text, raw bytes; repeated lines joined the way
    servers join them; CR, LF or NUL inserted; or the whole value repeated to 100 KB."""
    single = st.one_of(st.sampled_from(good), hostile(LATIN_1, near), raw_bytes())
    repeated = st.builds(
        lambda values, joiner: joiner.join(values),
        st.lists(st.one_of(st.sampled_from(good + near), single), min_size=2, max_size=4),
        st.sampled_from(JOINERS),
    )
    controlled = st.builds(
        with_controls,
        st.one_of(st.sampled_from(good), single),
        st.integers(0, 200),
        st.sampled_from(["\r", "\n", "\r\n", "\x00", "\r\n\r\n", "\x0b\x0c"]),
    )
    huge = st.builds(
        lambda value, extra: (value * (HUGE // len(value) + 1))[: HUGE + extra],
        st.one_of(st.sampled_from(good + near), single).filter(bool),
        st.integers(0, 20),
    )
    return st.one_of(single, repeated, controlled, huge)


def origins(config: Config) -> st.SearchStrategy[str]:
    return field_values(NEAR_ORIGINS, list(config.good_origins))


METHODS = field_values(NEAR_METHODS, ["GET", "PUT", "DELETE", "PURGE"])
HEADER_LISTS = field_values(NEAR_HEADER_NAMES, ["X-Token", "content-type, x-token", ""])
PRIVATE_NETWORK = field_values(NEAR_PRIVATE_NETWORK, ["true"])


def optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[Optional[str]]:
    return st.one_of(st.none(), strategy)


@SETTINGS
@given(config=st.sampled_from(CONFIGS), path=st.sampled_from(sorted(ROUTES)), data=st.data())
def test_preflight_from_a_raw_request_is_safe(
    framework: str, config: Config, path: str, data: Any
) -> None:
    origin = data.draw(origins(config), label="origin")
    method = data.draw(METHODS, label="method")
    request_headers = data.draw(optional(HEADER_LISTS), label="request_headers")
    private_network = data.draw(optional(PRIVATE_NETWORK), label="private_network")
    fields = {"Origin": origin, "Access-Control-Request-Method": method}
    if request_headers is not None:
        fields["Access-Control-Request-Headers"] = request_headers
    if private_network is not None:
        fields["Access-Control-Request-Private-Network"] = private_network
    status, headers = send(app_for(framework, config), "OPTIONS", path, fields)
    assert status.startswith("2")
    check_preflight(config, origin, method, request_headers, private_network, ROUTES[path], headers)


@SETTINGS
@given(
    config=st.sampled_from(CONFIGS),
    method=st.sampled_from(["GET", "POST", "PUT", "OPTIONS", "HEAD"]),
    path=st.sampled_from(["/demo", "/demo/1", "/missing", "/moved", "/vary", "/nowhere"]),
    data=st.data(),
)
def test_actual_request_from_a_raw_request_is_safe(
    framework: str, config: Config, method: str, path: str, data: Any
) -> None:
    origin = data.draw(optional(origins(config)), label="origin")
    fields = {}
    if origin is not None:
        fields["Origin"] = origin
    for name, values in [
        ("Access-Control-Request-Headers", HEADER_LISTS),
        ("Access-Control-Request-Private-Network", PRIVATE_NETWORK),
        ("Vary", HEADER_LISTS),  # a request Vary means nothing; it must not leak into ours
    ]:
        value = data.draw(optional(values), label=name)
        if value is not None:
            fields[name] = value
    _, headers = send(app_for(framework, config), method, path, fields)
    check_actual(config, origin, headers)


@pytest.mark.parametrize("joiner", JOINERS, ids=["waitress", "gunicorn"])
@pytest.mark.parametrize(
    "lines",
    [
        [ORIGIN, ORIGIN],
        [ORIGIN, OTHER_ORIGIN],
        [OTHER_ORIGIN, ORIGIN],
        [ORIGIN, ""],
        ["", ORIGIN],
        [ORIGIN, "null"],
    ],
)
@pytest.mark.parametrize("config", CONFIGS[:1] + CONFIGS[2:4], ids=lambda config: config.name)
def test_repeated_origin_lines_are_never_allowed(
    framework: str, config: Config, lines: List[str], joiner: str
) -> None:
    # A browser sends one Origin. Two lines joined into one value are not an origin, even
    # when both are allowed: answering either would be answering a request no browser made.
    origin = joiner.join(lines)
    for method, fields in [
        ("GET", {"Origin": origin}),
        ("OPTIONS", {"Origin": origin, "Access-Control-Request-Method": "GET"}),
    ]:
        _, headers = send(app_for(framework, config), method, "/demo", fields)
        check_fields(headers)
        names = {name.lower() for name, _ in headers}
        assert "access-control-allow-origin" not in names, (origin, headers)
        assert "access-control-allow-credentials" not in names


@pytest.mark.parametrize("joiner", JOINERS, ids=["waitress", "gunicorn"])
def test_repeated_request_method_lines_are_refused(framework: str, joiner: str) -> None:
    # "PUT, PUT" is not a method: the preflight is refused, not answered for PUT.
    fields = {"Origin": ORIGIN, "Access-Control-Request-Method": joiner.join(["PUT", "PUT"])}
    _, headers = send(app_for(framework, CONFIGS[0]), "OPTIONS", "/demo/1", fields)
    assert "access-control-allow-origin" not in {name.lower() for name, _ in headers}


@pytest.mark.parametrize("joiner", JOINERS, ids=["waitress", "gunicorn"])
def test_repeated_request_headers_lines_are_one_list(framework: str, joiner: str) -> None:
    # RFC 9110 5.3: repeated list-valued fields are one list, so "x-token" + "content-type"
    # is a request for both.
    fields = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": joiner.join(["x-token", "content-type"]),
    }
    _, headers = send(app_for(framework, CONFIGS[0]), "OPTIONS", "/demo/1", fields)
    answered = {name.lower(): value for name, value in headers}
    assert answered["access-control-allow-origin"] == ORIGIN
    assert answered["access-control-allow-headers"] == "x-token, content-type"


@pytest.mark.parametrize("config", CONFIGS, ids=lambda config: config.name)
@pytest.mark.parametrize("field", ["Origin", "Access-Control-Request-Headers"])
def test_a_100_kb_value_is_refused_and_never_echoed(
    framework: str, config: Config, field: str
) -> None:
    fields = {"Origin": config.good_origins[0], "Access-Control-Request-Method": "PUT"}
    fields[field] = (fields.get(field) or "x-token, ") * (HUGE // 9)
    status, headers = send(app_for(framework, config), "OPTIONS", "/demo/1", fields)
    assert status.startswith("2")
    check_fields(headers)
    check_vary(headers)
    allowed = {name.lower(): value for name, value in headers}.get("access-control-allow-origin")
    assert allowed == ("*" if config.wildcard and field == "Origin" else None)
    assert all(len(value) < 1000 for _, value in headers), "a huge value was echoed"


def test_an_oversized_method_is_refused_not_echoed(framework: str) -> None:
    # An oversized Access-Control-Request-Headers is refused rather than echoed; a
    # credentialed allow_methods=["*"] echoes the requested method, whatever its length.
    # A browser's method is a short token: a 100 KB one must not come back as a 100 KB
    # Access-Control-Allow-Methods (waitress accepts header lines up to 256 KB).
    config = next(config for config in CONFIGS if config.name == "any-method-with-credentials")
    method = "PURGE" * (HUGE // 5)
    fields = {"Origin": ORIGIN, "Access-Control-Request-Method": method}
    status, headers = send(app_for(framework, config), "OPTIONS", "/demo/1", fields)
    assert status.startswith("2")
    assert all(len(value) < 1000 for _, value in headers), "a 100 KB method was echoed"


# --- Configuration ----------------------------------------------------------------------

_objects = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.binary(max_size=10),
    st.just(object()),
    st.just(Ellipsis),
    st.just(re.compile("https://a\\.example\\.com")),
)
GOOD_STRINGS = [
    "*",
    "null",
    ORIGIN,
    "https://*.example.com",
    "http://localhost:*",
    "http://localhost:3000",
    "HTTPS://App.Example.com:443",
    "https://app.example.com/",
    "app.example.com",
    "https://*.com",
    "https://[::1]:8000",
    "GET",
    "put",
    "PURGE",
    "TRACE",
    "X-Token",
    "Authorization",
    "Set-Cookie",
    "x token",
    "",
]
_strings = st.one_of(st.sampled_from(GOOD_STRINGS), st.text(max_size=30), raw_bytes())
_items = st.one_of(_strings, _strings, _objects)
_collections = st.one_of(
    st.lists(_items, max_size=5),
    st.lists(_items, max_size=5).map(tuple),
    st.sets(_strings, max_size=5),
    st.sets(_strings, max_size=5).map(frozenset),
    st.dictionaries(_strings, _items, max_size=3),
    st.lists(_strings, max_size=5).map(iter),  # a one-shot iterable
)
ANY_VALUE = st.one_of(_objects, _strings, _collections)
REGEXES = st.one_of(
    ANY_VALUE,
    st.sampled_from(
        [
            r"https://[a-z]+\.example\.com",
            r"https://(a|b)\.example\.com",
            ".*",
            "(",
            "[",
            r"\\",
            "(?P<x>a)(?P=y)",
        ]
    ),
    st.sampled_from([re.compile(r"https://[a-z]+\.example\.com"), re.compile(b"https://")]),
)


def lists_of(values: List[str]) -> st.SearchStrategy[Any]:
    """Mostly well-formed lists, so that many configurations are accepted and then used."""
    return st.one_of(
        st.lists(st.sampled_from(values), max_size=4),
        st.lists(st.sampled_from(values), max_size=4).map(tuple),
        st.sets(st.sampled_from(values), max_size=4),
    )


ORIGIN_VALUES = [
    ORIGIN,
    "https://*.example.com",
    "http://localhost:*",
    "http://localhost:3000",
    "HTTPS://App.Example.com:443",
    "https://[::1]:8000",
    "null",
]
METHOD_VALUES = ["GET", "put", "DELETE", "PURGE", "*"]
HEADER_VALUES = ["X-Token", "x-token", "Authorization", "Content-Type", "*"]


def mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value that may well be right five times in six, anything at all otherwise: about
    half the configurations drawn are accepted, and then answer requests."""
    return st.one_of(valid, valid, valid, valid, valid, ANY_VALUE)


PARAMETERS = {
    "allow_origins": mostly(st.one_of(st.none(), lists_of(ORIGIN_VALUES), st.just(["*"]))),
    "allow_credentials": mostly(st.sampled_from([None, True, False])),
    "max_age": mostly(st.one_of(st.none(), st.integers(-10, 10**12))),
    "allow_methods": mostly(st.one_of(st.none(), lists_of(METHOD_VALUES))),
    "allow_headers": mostly(st.one_of(st.none(), lists_of(HEADER_VALUES))),
    "expose_headers": mostly(lists_of([*HEADER_VALUES, "X-Total-Count"])),
    "allow_origin_regex": mostly(REGEXES),
    "allow_private_network": mostly(st.booleans()),
}
CONFIG_REQUESTS = [
    ("GET", "/count", {"Origin": ORIGIN}),
    ("GET", "/count", {"Origin": "https://a.example.com"}),
    ("GET", "/count", {"Origin": "http://localhost:3000"}),
    ("GET", "/count", {"Origin": "null"}),
    ("GET", "/count", {"Origin": OTHER_ORIGIN}),
    ("GET", "/count", {}),
    ("OPTIONS", "/demo", {}),
    ("POST", "/nowhere", {"Origin": ORIGIN}),
    ("OPTIONS", "/demo", {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}),
    (
        "OPTIONS",
        "/demo",
        {
            "Origin": "https://a.example.com",
            "Access-Control-Request-Method": "PURGE",
            "Access-Control-Request-Headers": "x-token, authorization",
            "Access-Control-Request-Private-Network": "true",
        },
    ),
    ("OPTIONS", "/nowhere", {"Origin": "null", "Access-Control-Request-Method": "GET"}),
]


def configure(
    make_api: MakeApi, middleware_config: Dict[str, Any]
) -> Tuple[Optional[Any], Optional[CORSConfigurationError]]:
    """The app with that middleware configuration, or the CORSConfigurationError refusing
    it, which names one of the parameters given (any other exception fails the test)."""
    try:
        return api_with(make_api, middleware_config), None
    except CORSConfigurationError as error:
        refused = error
    assert refused.parameter in middleware_config, (refused.parameter, middleware_config)
    return None, refused


def api_with(make_api: MakeApi, middleware_config: Dict[str, Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # risky but legal settings warn; that is tested elsewhere
        return make_api(**middleware_config)


@settings(SETTINGS, max_examples=examples(300))
@given(config=st.fixed_dictionaries({}, optional=PARAMETERS))
# Defects this test found (see the tests for each below), checked on every run.
@example(config={"allow_origin_regex": ".*"})
@example(config={"allow_origin_regex": re.compile(b"https://")})
def test_any_configuration_is_refused_cleanly_or_answers_every_request(
    make_api: MakeApi, config: Dict[str, Any]
) -> None:
    api, error = configure(make_api, config)
    if api is None:
        assert error is not None
        assert error.problem.strip(), "an error without a problem"
        assert error.fix.strip(), "an error without a fix"
        event(f"refused: {type(error).__name__}")
        return
    event("accepted")
    app = server(api)
    for method, path, fields in CONFIG_REQUESTS:
        _, headers = send(app, method, path, fields)  # no exception, no 5xx
        check_fields(headers)
        check_vary(headers)
        cors = {name.lower(): value for name, value in headers}
        allowed = cors.get("access-control-allow-origin")
        assert allowed in (None, "*", fields.get("Origin")), (fields, allowed)
        if allowed == "*":
            assert "access-control-allow-credentials" not in cors
        if allowed == OTHER_ORIGIN:  # an arbitrary origin: none of the lists above has it
            assert "access-control-allow-credentials" not in cors, "reflected with credentials"


# --- Defects the fuzzing found, each pinned down -------------------------------------


def test_a_bytes_regex_is_refused_at_construction_not_at_the_first_request(
    make_api: MakeApi,
) -> None:
    # re.compile(b"...") is an re.Pattern, so it passes the constructor's type check, and
    # every request with an Origin then raises TypeError inside process_response: a 500.
    api, error = configure(make_api, {"allow_origin_regex": re.compile(b"https://app\\.example")})
    if api is None:
        assert error is not None
        assert error.parameter == "allow_origin_regex"
    else:
        send(server(api), "GET", "/count", {"Origin": OTHER_ORIGIN})


@pytest.mark.parametrize("regex", [".*", r"https?://.*", r"(?s).+"])
def test_a_regex_matching_every_origin_does_not_reflect_them_with_credentials(
    make_api: MakeApi, regex: str
) -> None:
    # No configuration may reflect an arbitrary origin with credentials. With the
    # default allow_credentials, allow_origin_regex=".*" answers any website with its own
    # origin and Access-Control-Allow-Credentials: true, hug's own defect. It should be
    # refused (or warned about and sent without credentials), as allow_origins=["*"] is.
    api, error = configure(make_api, {"allow_origin_regex": regex})
    if api is None:
        assert error is not None
        assert error.parameter == "allow_origin_regex"
        return
    _, headers = send(server(api), "GET", "/count", {"Origin": OTHER_ORIGIN})
    cors = {name.lower(): value for name, value in headers}
    assert not (
        cors.get("access-control-allow-origin") == OTHER_ORIGIN
        and cors.get("access-control-allow-credentials") == "true"
    ), "an arbitrary origin was reflected with credentials"


@pytest.mark.parametrize("value", ["https://[::1]x", "https://[::1]junk:8000", "http://[::1]/"])
def test_junk_after_an_ipv6_host_is_refused_not_dropped(make_api: MakeApi, value: str) -> None:
    # A malformed configured origin is refused at construction, never silently
    # turned into another origin. 'https://[::1]x' is accepted as 'https://[::1]'.
    build = lambda: api_with(make_api, {"allow_origins": [value]})  # noqa: E731
    configuration_error(build, "allow_origins", value)


def test_fuzzed_configuration_requests_cover_every_answer(make_api: MakeApi) -> None:
    # The requests above reach allowed, refused and no-origin answers of a typical policy.
    app = server(api_with(make_api, {"allow_origins": [ORIGIN, "https://*.example.com"]}))
    seen = set()
    for method, path, fields in CONFIG_REQUESTS:
        _, headers = send(app, method, path, fields)
        seen.add(any(name.lower() == "access-control-allow-origin" for name, _ in headers))
    assert seen == {True, False}
