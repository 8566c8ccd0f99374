"""The oracles of the property tests (``test_properties.py``, ``test_fuzz.py``): what a
policy should decide, computed independently of hug-cors from small configurations whose
exact answers are known. An oracle answers True (must allow), False (must refuse) or None
(either is acceptable) for each part of a request. Also the hypothesis strategies that make
hostile requests, and the APIs they are sent to.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, FrozenSet, List, NamedTuple, Optional, Sequence, Tuple

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st

from tests.helpers import ORIGIN, build_app, examples

SETTINGS = settings(
    max_examples=examples(200),
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

# RFC 9110: a field name is a token; a field value is visible ASCII, SP and HTAB, with no
# leading or trailing whitespace. (obs-text is legal but nothing here should emit it.)
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
FIELD_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?)?")
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
# Names hug-cors may allow without listing (a JSON Content-Type); the spec is silent.
SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})
# More than any browser sends; a list this long must be refused, not echoed.
OVERSIZED = 8192

# The methods each route of tests/helpers.build_api serves.
ROUTES: Dict[str, FrozenSet[str]] = {
    "/demo": frozenset({"GET", "POST"}),
    "/demo/1": frozenset({"GET", "PUT", "DELETE"}),
    "/private": frozenset({"GET"}),
    "/nowhere": frozenset(),
}

Verdict = Optional[bool]  # True: must allow; False: must refuse; None: either is fine


def all_of(verdicts: Sequence[Verdict]) -> Verdict:
    if False in verdicts:
        return False
    if None in verdicts:
        return None
    return True


# --- Configurations and their oracles ----------------------------------------------------

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_LOOSE_LABEL = r"[a-z0-9_-]+"


def _port_ok(port: Optional[str], default: str) -> bool:
    return port is None or (port[0] != "0" and 0 < int(port) <= 65535 and port != default)


def subdomain_or_localhost(origin: str) -> Verdict:
    """'https://*.example.com' and 'http://localhost:*', as browsers send origins."""
    if re.fullmatch(rf"https://(?:{_LABEL}\.)+example\.com", origin):
        return True
    localhost = re.fullmatch(r"http://localhost(?::([0-9]{1,5}))?", origin)
    if localhost:
        return _port_ok(localhost.group(1), "80")
    # Labels browsers might send but DNS would not (underscores, edge hyphens): either way.
    if re.fullmatch(rf"https://(?:{_LOOSE_LABEL}\.)+example\.com", origin):
        return None
    return False


class Config(NamedTuple):
    name: str
    kwargs: Dict[str, Any]
    allows_origin: Callable[[str], Verdict]
    wildcard: bool = False
    credentials: bool = True
    methods: Optional[FrozenSet[str]] = None  # None: the route's; may contain "*"
    headers: Optional[FrozenSet[str]] = None  # None: any; lower case; may contain "*"
    private_network: bool = False
    good_origins: Tuple[str, ...] = (ORIGIN,)  # origins it allows, to test allowed answers


EXACT = frozenset({ORIGIN, "http://localhost:3000"})

CONFIGS = [
    Config(
        "exact-list-with-credentials",
        {
            "allow_origins": sorted(EXACT),
            "allow_methods": ["PUT", "DELETE"],
            "allow_headers": ["X-Token"],
            "expose_headers": ["X-Total-Count"],
            "max_age": 600,
        },
        EXACT.__contains__,
        methods=frozenset({"PUT", "DELETE"}),
        headers=frozenset({"x-token"}),
        good_origins=tuple(sorted(EXACT)),
    ),
    Config(
        "wildcard",
        {},
        lambda origin: True,
        wildcard=True,
        credentials=False,
        good_origins=(ORIGIN, "https://anything.example"),
    ),
    Config(
        "subdomain-pattern",
        {
            "allow_origins": ["https://*.example.com", "http://localhost:*"],
            "allow_methods": ["PUT"],
        },
        subdomain_or_localhost,
        methods=frozenset({"PUT"}),
        good_origins=(
            "https://a.example.com",
            "https://a.b.example.com",
            "http://localhost",
            "http://localhost:8080",
        ),
    ),
    Config(
        "regex-fullmatch",
        {"allow_origin_regex": r"https://[a-z]+\.example\.org"},
        lambda origin: re.fullmatch(r"https://[a-z]+\.example\.org", origin) is not None,
        good_origins=("https://a.example.org", "https://abc.example.org"),
    ),
    Config(
        "any-header-with-credentials",
        {"allow_origins": [ORIGIN], "allow_headers": ["*"]},
        {ORIGIN}.__contains__,
        headers=frozenset({"*"}),
    ),
    Config(
        "any-header-and-authorization-without-credentials",
        {
            "allow_origins": [ORIGIN],
            "allow_headers": ["*", "Authorization"],
            "allow_credentials": False,
        },
        {ORIGIN}.__contains__,
        credentials=False,
        headers=frozenset({"*", "authorization"}),
    ),
    Config(
        "any-method-with-credentials",
        {"allow_origins": [ORIGIN], "allow_methods": ["*"]},
        {ORIGIN}.__contains__,
        methods=frozenset({"*"}),
    ),
    Config(
        "private-network-without-credentials",
        {"allow_origins": [ORIGIN], "allow_private_network": True, "allow_credentials": False},
        {ORIGIN}.__contains__,
        credentials=False,
        private_network=True,
    ),
]
CONFIG_IDS = [config.name for config in CONFIGS]


def method_verdict(config: Config, method: str, route: FrozenSet[str]) -> Verdict:
    if method in SAFELISTED_METHODS:
        return True
    if config.methods is None:
        if method == "OPTIONS":  # hug answers OPTIONS on every route; the spec is silent
            return None
        return method in route
    if method in config.methods:
        return True
    if "*" in config.methods and len(method) > 64:  # no browser sends such a method
        return None
    return "*" in config.methods and TOKEN.fullmatch(method) is not None


def request_header_names(value: str) -> Optional[List[str]]:
    """The names in Access-Control-Request-Headers, or None if it is not a list of tokens.

    A comma-separated list, optional whitespace (SP, HTAB) around commas, empty elements
    ignored; each element a token, compared in ASCII lower case.
    """
    names = [element.strip(" \t") for element in value.split(",")]
    names = [name for name in names if name]
    if not all(TOKEN.fullmatch(name) for name in names):
        return None
    return [name.lower() for name in names]


def headers_verdict(config: Config, value: Optional[str]) -> Verdict:
    if value is None:
        return True
    names = request_header_names(value)
    if names is None or len(value) > OVERSIZED:
        return False
    if len(value) > 1024:
        return None  # long, but is it oversized? Either answer is fine.
    if config.headers is None:
        return True
    verdicts: List[Verdict] = []
    for name in names:
        if name in config.headers or ("*" in config.headers and name != "authorization"):
            verdicts.append(True)
        elif name in SAFELISTED_HEADERS:
            verdicts.append(None)
        else:
            verdicts.append(False)
    return all_of(verdicts)


def private_network_verdict(config: Config, value: Optional[str]) -> Verdict:
    if value is None or value.lower() != "true":
        return True  # not asked for
    if config.private_network:
        return True
    return None  # refused, or answered without Allow-Private-Network


def preflight_verdict(
    config: Config,
    origin: str,
    method: str,
    request_headers: Optional[str],
    private_network: Optional[str],
    route: FrozenSet[str],
) -> Verdict:
    return all_of(
        [
            config.allows_origin(origin),
            method_verdict(config, method, route),
            headers_verdict(config, request_headers),
            private_network_verdict(config, private_network),
        ]
    )


# --- What every answer must satisfy ------------------------------------------------------


def split_list(value: str) -> List[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def check_fields(headers: Sequence[Tuple[str, str]]) -> None:
    """(b): every header is a valid HTTP field, and no value holds CR, LF or NUL."""
    for name, value in headers:
        assert TOKEN.fullmatch(name), f"bad header name {name!r}"
        assert not {"\r", "\n", "\0"}.intersection(value), f"{name}: {value!r}"
        assert FIELD_VALUE.fullmatch(value), f"{name}: {value!r} is not a valid field value"


def check_vary(headers: Sequence[Tuple[str, str]]) -> None:
    """(f): Vary never lists the same token twice, across all its lines."""
    tokens = [
        token.lower()
        for name, value in headers
        if name.lower() == "vary"
        for token in split_list(value)
    ]
    assert len(tokens) == len(set(tokens)), f"Vary repeats a token: {tokens}"


def check_origin(config: Config, origin: Optional[str], cors: Dict[str, str]) -> None:
    """(c) and (d): an Access-Control-Allow-Origin only for an origin the policy allows."""
    allowed = cors.get("access-control-allow-origin")
    if allowed is not None:
        if config.wildcard:
            assert allowed == "*"
        else:
            assert origin is not None
            assert allowed == origin
            assert config.allows_origin(origin) is not False, f"{origin!r} must be refused"
    credentials = cors.get("access-control-allow-credentials")
    if credentials is not None:
        assert allowed is not None, "credentials without an allowed origin"
        assert allowed != "*", "credentials with Access-Control-Allow-Origin: *"
        assert credentials == "true"
        assert config.credentials


def check_preflight(
    config: Config,
    origin: str,
    method: str,
    request_headers: Optional[str],
    private_network: Optional[str],
    route: FrozenSet[str],
    headers: Sequence[Tuple[str, str]],
) -> None:
    check_fields(headers)
    check_vary(headers)
    cors = {name.lower(): value for name, value in headers if name.lower().startswith("access-")}
    check_origin(config, origin, cors)
    answered = "access-control-allow-origin" in cors
    if not answered:  # (e): a refused preflight allows nothing
        allowing = [name for name in cors if name.startswith("access-control-allow-")]
        assert not allowing, f"refused preflight carries {allowing}"
    verdict = preflight_verdict(config, origin, method, request_headers, private_network, route)
    event(f"preflight {'allowed' if answered else 'refused'}, oracle {verdict}")
    if verdict is not None:
        assert answered == verdict, f"expected {'allowed' if verdict else 'refused'}"
    if not answered:
        return

    methods = split_list(cors.get("access-control-allow-methods", ""))
    if method not in SAFELISTED_METHODS:
        assert method in methods or (methods == ["*"] and not config.credentials), methods
    if config.credentials:
        assert "*" not in methods or method == "*", "credentialed '*' is a literal method"

    names = request_header_names(request_headers or "")
    listed = [name.lower() for name in split_list(cors.get("access-control-allow-headers", ""))]
    assert names is not None, f"malformed request headers {request_headers!r} were allowed"
    for name in names:
        assert name in listed or ("*" in listed and not config.credentials), (name, listed)
    configured = config.headers or frozenset()
    for name in listed:  # the requested names, or configured ones; "*" only without credentials
        assert name in names or name in configured, (name, names)
        # With credentials "*" is a literal name: it may only echo a header named "*".
        assert name != "*" or not config.credentials or "*" in names, "credentialed '*'"

    if "access-control-allow-private-network" in cors:
        assert cors["access-control-allow-private-network"] == "true"
        assert config.private_network
        assert private_network is not None
        assert private_network.lower() == "true"
    elif config.private_network and private_network == "true":
        pytest.fail("private network access asked for, enabled, and not answered")


def check_actual(config: Config, origin: Optional[str], headers: Sequence[Tuple[str, str]]) -> None:
    check_fields(headers)
    check_vary(headers)
    cors = {name.lower(): value for name, value in headers if name.lower().startswith("access-")}
    check_origin(config, origin, cors)
    verdict = True if config.wildcard else origin is not None and config.allows_origin(origin)
    event(f"actual {'allowed' if 'access-control-allow-origin' in cors else 'refused'}")
    if verdict is not None:
        assert ("access-control-allow-origin" in cors) == verdict


# --- Strategies --------------------------------------------------------------------------

NEAR_ORIGINS = [
    ORIGIN,
    "https://app.example.com.evil.com",
    "https://app.example.com:443",
    "HTTPS://APP.EXAMPLE.COM",
    "https://App.example.com",
    "https://app.example.com/",
    "https://app.example.com.",
    "https://app.example.com:8443",
    "https://app.example.com:0",
    "https://app.example.com:65536",
    "https://user@app.example.com",
    "http://app.example.com",
    "wss://app.example.com",
    "null",
    "NULL",
    "*",
    "",
    "https://xapp.example.com",
    "https://evil.com, https://app.example.com",
    "https://app.example.com, https://evil.com",
    "https://app.example.com https://evil.com",
    "https://app.example.com\r\nSet-Cookie: a=b",
    "https://app.example.com\r\n",
    "https://app.example.com\x00",
    "https://app.example.com\x00.evil.com",
    "https://app.exämple.com",
    "https://xn--bcher-kva.example",
    "https://example.com",
    "https://.example.com",
    "https://a..example.com",
    "https://a.example.com",
    "https://a.b.example.com",
    "https://a.example.com:443",
    "https://a.example.com/",
    "https://A.example.com",
    "https://*.example.com",
    "https://-.example.com",
    "https://a_b.example.com",
    "https://evil.com/.example.com",
    "https://evil.com?.example.com",
    "https://evil.com#.example.com",
    "https://evilexample.com",
    "http://a.example.com",
    "https://a.example.org",
    "https://ab.example.org",
    "https://a.example.org.evil.com",
    "https://a.example.orgx",
    "https://A.example.org",
    "https://a1.example.org",
    "https://a.example.org:443",
    "https://a.example.org/",
    "https://aexample.org",
    "https://a.example.org\n",
    "http://localhost:3000",
    "http://localhost:3001",
    "http://localhost",
    "http://localhost:80",
    "http://localhost:0",
    "http://localhost:65535",
    "http://localhost:65536",
    "http://localhost:03000",
    "http://localhost.evil.com:3000",
    "http://127.0.0.1:3000",
    "https://localhost:3000",
]
NEAR_METHODS = [
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "put",
    "Put",
    "DELETE",
    "PATCH",
    "patch",
    "OPTIONS",
    "CONNECT",
    "TRACE",
    "TRACK",
    "PURGE",
    "*",
    "",
    "GET PUT",
    "PUT, DELETE",
    "PUT\r\n",
    "PUT\x00",
    "PÜT",
]
NEAR_HEADER_NAMES = [
    "X-Token",
    "x-token",
    "X-TOKEN",
    "X-Other",
    "Content-Type",
    "Authorization",
    "authorization",
    "Cookie",
    "*",
    "X Token",
    "X-Token:",
    "x-token\r\nSet-Cookie: a=b",
    "x-tökén",
    "",
]
SEPARATORS = [",", ", ", " ,", " , ", ",,", ", ,", "\t,\t", ",\t", " \t, \t", ",\r\n", ", \x00"]
NEAR_PRIVATE_NETWORK = ["true", "TRUE", "True", "false", "", "1", "true, true", "true\x00"]


GOOD_METHODS = ["GET", "POST", "PUT", "DELETE", "PURGE"]
GOOD_HEADER_NAMES = ["X-Token", "x-token", "Content-Type", "X-Other", "Authorization"]
GOOD_SEPARATORS = [",", ", ", " , ", ",,", "\t,"]


def hostile(alphabet: st.SearchStrategy[str], near: Sequence[str]) -> st.SearchStrategy[str]:
    """Text a hostile client may send, built from ``alphabet`` and near-misses."""
    control = st.sampled_from(["\r", "\n", "\x00", "\x01", "\x0b", "\x1b", "\x7f", "\t", ","])
    text = st.text(st.one_of(alphabet, control), max_size=40)
    pieces = st.one_of(st.sampled_from(near), text)
    joined = st.builds(
        lambda items, separator: separator.join(items),
        st.lists(pieces, max_size=6),
        st.sampled_from(SEPARATORS),
    )
    decorated = st.builds(
        lambda before, value, after: before + value + after,
        st.sampled_from(["", " ", "\t", "\r\n", "\x00", ",", "\x85", "\xa0"]),
        st.sampled_from(near),
        st.sampled_from(["", " ", "\t", "\r\n", "\x00", ",", ".", "/", ":443", "\xe9"]),
    )
    # Up to 10,000 characters; built by repetition, as drawing each one would be slow.
    long = st.builds(
        lambda piece, count: (piece * count)[:10_000],
        st.one_of(pieces, st.text(st.one_of(alphabet, control), min_size=1, max_size=200)),
        st.integers(1, 2000),
    )
    return st.one_of(st.sampled_from(near), text, joined, decorated, long)


LATIN_1 = st.characters(max_codepoint=0xFF)  # what a WSGI server can hand over (PEP 3333)
UNICODE = st.characters()  # any code point a Python str can hold


def optional(strategy: st.SearchStrategy[str]) -> Any:
    return st.one_of(st.none(), strategy)


def or_hostile(good: st.SearchStrategy[Any], bad: st.SearchStrategy[str]) -> Any:
    """Half the time a well-formed value, so that allowed answers get checked too."""
    return st.one_of(good, bad.map(str))  # map: keeps hypothesis from flattening the branches


def origins(config: Config, alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return or_hostile(st.sampled_from(config.good_origins), hostile(alphabet, NEAR_ORIGINS))


def methods(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return or_hostile(st.sampled_from(GOOD_METHODS), hostile(alphabet, NEAR_METHODS))


def header_lists(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[Optional[str]]:
    good = st.builds(
        lambda items, sep: sep.join(items),
        st.lists(st.sampled_from(GOOD_HEADER_NAMES), max_size=4),
        st.sampled_from(GOOD_SEPARATORS),
    )
    near = st.builds(
        lambda items, sep: sep.join(items),
        st.lists(st.sampled_from(NEAR_HEADER_NAMES + GOOD_HEADER_NAMES), max_size=5),
        st.sampled_from(SEPARATORS),
    )
    return or_hostile(
        st.one_of(st.none(), good), st.one_of(near, hostile(alphabet, NEAR_HEADER_NAMES))
    )


def private_networks(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[Optional[str]]:
    return or_hostile(st.sampled_from([None, "true"]), hostile(alphabet, NEAR_PRIVATE_NETWORK))


HEADER_LISTS_LATIN_1 = header_lists(LATIN_1)


class Preflight(NamedTuple):
    origin: str
    method: str
    request_headers: Optional[str]
    private_network: Optional[str]


_strategies: Dict[Tuple[str, str, int], Any] = {}


def cached(kind: str, config: Config, alphabet: st.SearchStrategy[str], build: Any) -> Any:
    """Strategies are built once per configuration: building them is what costs time."""
    key = (kind, config.name, id(alphabet))
    if key not in _strategies:
        _strategies[key] = build(config, alphabet)
    return _strategies[key]


def preflights(config: Config, alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[Preflight]:
    return cached("preflight", config, alphabet, _preflights)


def actual_origins(config: Config, alphabet: st.SearchStrategy[str]) -> Any:
    return cached("actual", config, alphabet, lambda c, a: optional(origins(c, a)))


def _preflights(config: Config, alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[Preflight]:
    """Half well-formed requests a browser would send, half with hostile fields."""
    good_headers = st.builds(
        lambda items, sep: sep.join(items),
        st.lists(st.sampled_from(GOOD_HEADER_NAMES), max_size=3),
        st.sampled_from(GOOD_SEPARATORS),
    )
    browser = st.builds(
        Preflight,
        st.sampled_from(config.good_origins),
        st.sampled_from(GOOD_METHODS),
        st.one_of(st.none(), good_headers),
        st.sampled_from([None, None, "true"]),
    )
    hostile_fields = st.builds(
        Preflight,
        origins(config, alphabet),
        methods(alphabet),
        header_lists(alphabet),
        private_networks(alphabet),
    )
    return st.one_of(browser, hostile_fields)


# --- Through the middleware --------------------------------------------------------------

_apis: Dict[Tuple[str, str], Any] = {}


def api_for(framework: str, config: Config) -> Any:
    """tests/helpers.build_app(framework, **config.kwargs), built once."""
    key = (framework, config.name)
    if key not in _apis:
        _apis[key] = build_app(framework, **config.kwargs)
    return _apis[key]


def sent(value: Optional[str]) -> Optional[str]:
    """The value the application sees: Falcon's test environ and scope strip it, as servers
    do."""
    return None if value is None else value.strip()
