"""The CORS decisions, with no web framework in sight.

A :class:`CORSPolicy` is a configuration checked and compiled once: every list is
validated, normalised and turned into sets and ready-made header values, so that a
request costs a few set lookups. It never changes after construction, so one policy
serves every thread of a server.

>>> policy = CORSPolicy(
...     allow_origins=["https://app.example.com"], allow_methods=["PUT", "DELETE"], max_age=600
... )
>>> answer = policy.preflight("https://app.example.com", "PUT", "Content-Type, X-Token")
>>> for name, value in answer.headers:
...     print(f"{name}: {value}")
Access-Control-Allow-Origin: https://app.example.com
Access-Control-Allow-Credentials: true
Access-Control-Allow-Methods: PUT, DELETE
Access-Control-Allow-Headers: content-type, x-token
Access-Control-Max-Age: 600
>>> policy.actual("https://evil.example").refusal
"origin 'https://evil.example' is not allowed"
"""

from __future__ import annotations

import re
from time import monotonic
from typing import (
    AbstractSet,
    Any,
    Callable,
    Collection,
    Dict,
    Iterable,
    Iterator,
    Mapping,
    Optional,
    Pattern,
    Tuple,
    Union,
)

from ._config import (
    check_boolean,
    check_credentials,
    check_expose_headers,
    check_header_names,
    check_max_age,
    check_methods,
    check_origin_func,
    check_origins,
    check_regex,
    check_ttl,
    refuse_regex_matching_any_origin,
    uncovered_credentials,
    warn_about_risks,
)
from ._fetch import (
    FORBIDDEN_RESPONSE_HEADERS,
    NON_WILDCARD_HEADER,
    SAFELISTED_HEADERS,
    SAFELISTED_METHODS,
    SAFELISTED_RESPONSE_HEADERS,
    TOKEN,
    TOKEN_CHARACTERS,
)
from ._origins import MAX_ORIGIN_LENGTH, OriginFunction, OriginMatcher, Remembered

__all__ = ["Answer", "CORSPolicy", "cross_origin_write", "loggable", "merge_vary"]

# The origin header of the wildcard policy, on preflights and actual responses alike.
WILDCARD_ORIGIN = (("Access-Control-Allow-Origin", "*"),)
# A longer Access-Control-Request-Headers is refused rather than parsed and echoed.
MAX_REQUEST_HEADERS_LENGTH = 4096
# A browser's method is a short token: a longer one is refused, never echoed.
MAX_METHOD_LENGTH = 64
# Response headers that expose_headers=["*"] with credentials never lists.
NOT_EXPOSED = SAFELISTED_RESPONSE_HEADERS | FORBIDDEN_RESPONSE_HEADERS

# The methods a cross-origin page may always send: they must not change anything.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sec-Fetch-Site values of requests that no other origin made.
SAME_ORIGIN_FETCH_SITES = frozenset({"same-origin", "none"})

_LIST_SEPARATOR = re.compile(r"[ \t]*,[ \t]*")
# Tokens separated by commas, with optional white space and empty elements.
_LIST_ELEMENT = rf"[ \t]*(?:{TOKEN_CHARACTERS}+[ \t]*)?"
_HEADER_LIST = re.compile(f"{_LIST_ELEMENT}(?:,{_LIST_ELEMENT})*")
# Fetch has browsers send the names lower-cased, sorted and joined by a bare comma.
_LOWER_TOKEN = r"[!#$%&'*+\-.^_`|~0-9a-z]+"
_BROWSER_HEADER_LIST = re.compile(f"{_LOWER_TOKEN}(?:,{_LOWER_TOKEN})*")

StrList = Union[Collection[str], None]
# A preflight's origin, method, requested headers and private network, and the route's
# methods: all its answer depends on.
PreflightKey = Tuple[str, str, Optional[str], Optional[str], AbstractSet[str]]
# How many preflight answers a policy keeps, and the longest method, header list and
# private-network value, together, of a preflight whose answer is kept: ~1 MB at most.
MAX_PREFLIGHTS = 1_000
MAX_KEPT_VALUES = 1_024


class Answer:
    """What the policy decided for one request (read-only: the policy shares its answers).

    ``headers`` are to be set on the response, ``vary`` merged into its ``Vary``
    (see :func:`merge_vary`), and ``refusal`` says why CORS was refused, if it was.
    ``fields`` is both at once, a dict by lower-case name, as HTTP/2 and Falcon key them:
    what a response without a ``Vary`` of its own receives, ready when the answer is built
    (Falcon keeps a response's headers in such a dict, and one dict updates another
    fastest).

    >>> answer = CORSPolicy().actual("https://any.example")
    >>> answer
    Answer(headers=(('Access-Control-Allow-Origin', '*'),), vary='', refusal=None)
    >>> headers, vary, refusal = answer
    >>> CORSPolicy(allow_origins=["https://app.example.com"]).actual("https://app.example.com").fields
    {'access-control-allow-origin': 'https://app.example.com', \
'access-control-allow-credentials': 'true', 'vary': 'Origin'}
    """

    __slots__ = ("expires", "fields", "headers", "refusal", "vary")
    headers: Tuple[Tuple[str, str], ...]
    """The (name, value) pairs to set on the response."""
    vary: str
    """Tokens to merge into the response's ``Vary``, ``""`` for none."""
    refusal: Optional[str]
    """Why CORS was refused (quoted, ASCII, short), or ``None``."""
    fields: Dict[str, str]
    """``headers`` and ``Vary``, value by lower-case name (read-only too)."""
    expires: Optional[float]
    """The ``time.monotonic()`` from which the answer no longer holds (an
    ``allow_origin_func`` decision), or ``None``: it always holds."""

    def __init__(
        self,
        headers: Tuple[Tuple[str, str], ...],
        vary: str = "",
        refusal: Optional[str] = None,
        expires: Optional[float] = None,
    ) -> None:
        # Read-only by convention: a guard against assignment (object.__setattr__ here)
        # would make an answer take twice as long to build, and each preflight builds one.
        self.headers, self.vary, self.refusal, self.expires = headers, vary, refusal, expires
        fields: Dict[str, str] = {}
        for name, value in headers:
            fields[name.lower()] = value
        if vary:
            fields["vary"] = vary
        self.fields = fields

    def __iter__(self) -> Iterator[Any]:
        return iter((self.headers, self.vary, self.refusal))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Answer):
            return tuple(self) == tuple(other)
        return tuple(self) == other if isinstance(other, tuple) else NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Answer(headers={self.headers!r}, vary={self.vary!r}, refusal={self.refusal!r})"


class CORSPolicy:
    """An immutable, validated CORS configuration that answers requests.

    The parameters are those of :class:`hug_cors.CORSMiddleware`, less ``api``,
    ``route_policies`` and ``debug``.
    Bad values raise :class:`CORSConfigurationError` naming the parameter, the value
    and the fix; legal but risky ones warn with :class:`CORSConfigurationWarning`.

    ``exposes_response_headers`` says whether :meth:`actual` lists the response's own
    header names (``expose_headers=["*"]`` with credentials, where ``"*"`` is a literal
    name): an adapter then passes them, and otherwise need not.

    ``ready_answers`` holds, by origin (``None`` for no Origin), answers :meth:`actual`
    gives whatever the response: the listed exact origins', and those decided so far for
    other origins (unless the response's header names are exposed, or every origin is
    allowed). An adapter may look an origin up there first and save a call, as long as the
    answer has not expired (:attr:`Answer.expires`).
    """

    __slots__ = (
        "_credentialed",
        "_decided",
        "_exact_grants",
        "_exposed",
        "_frozen",
        "_function",
        "_headers",
        "_headers_value",
        "_max_age_header",
        "_methods",
        "_methods_value",
        "_no_origin_answer",
        "_origins",
        "_preflight_vary",
        "_preflights",
        "_wildcard_answer",
        "allow_all_origins",
        "allow_credentials",
        "allow_headers",
        "allow_methods",
        "allow_origin_func_ttl",
        "allow_private_network",
        "expose_headers",
        "exposes_response_headers",
        "max_age",
        "methods_from_route",
        "ready_answers",
    )

    def __init__(
        self,
        allow_origins: StrList = None,
        allow_credentials: Union[bool, Collection[str], None] = None,
        max_age: Optional[int] = None,
        *,
        allow_methods: StrList = None,
        allow_headers: StrList = None,
        expose_headers: Collection[str] = (),
        allow_origin_regex: Union[str, Pattern[str], None] = None,
        allow_private_network: bool = False,
        allow_origin_func: Optional[Callable[[str], bool]] = None,
        allow_origin_func_ttl: float = 60.0,
    ) -> None:
        regex = check_regex(allow_origin_regex)
        function = check_origin_func(allow_origin_func)
        self.allow_origin_func_ttl = check_ttl(allow_origin_func_ttl)
        origins = check_origins(allow_origins, regex, function is not None)
        self.allow_all_origins = origins == ("*",)
        self._origins = OriginMatcher(() if self.allow_all_origins else origins, regex)
        self.allow_credentials, credentials_list = check_credentials(
            allow_credentials, self.allow_all_origins
        )
        # Who gets credentials: every allowed origin (None), or those listed.
        self._credentialed: Optional[OriginMatcher] = None
        if credentials_list is not None:
            self._credentialed = OriginMatcher(credentials_list, parameter="allow_credentials")
            uncovered = self._origins.uncovered(self._credentialed, function is not None)
            if uncovered is not None:
                raise uncovered_credentials(uncovered)
        if regex is not None and self._credentialed is None and self.allow_credentials:
            refuse_regex_matching_any_origin(regex)
        self.max_age = check_max_age(max_age)
        self._max_age_header = (
            () if max_age is None else (("Access-Control-Max-Age", str(max_age)),)
        )
        self.allow_private_network = check_boolean("allow_private_network", allow_private_network)
        matcher = self._origins
        with_credentials = self._credentialed or matcher
        insecure = [
            str(o) for o in with_credentials.origins if o.scheme == "http" and not o.is_loopback
        ]
        warn_about_risks("null" in matcher.exact, insecure, self.allow_credentials, self.max_age)

        self.allow_methods = methods = check_methods(allow_methods)
        self.methods_from_route = methods is None
        self._methods = SAFELISTED_METHODS.union(methods or ())
        self._methods_value = ", ".join(methods or ())
        if "*" in self._methods:
            self._methods_value = "" if self.allow_credentials else "*"  # "" echoes

        headers = (
            None if allow_headers is None else check_header_names("allow_headers", allow_headers)
        )
        self.allow_headers = headers
        self._headers = None if headers is None else SAFELISTED_HEADERS.union(headers)
        self._headers_value = ""  # echo the validated request headers
        if headers is not None and "*" in headers and not self.allow_credentials:
            self._headers_value = ", ".join(
                ["*"] + [h for h in headers if h == NON_WILDCARD_HEADER]
            )

        self.expose_headers = exposed = check_expose_headers(expose_headers)
        self.exposes_response_headers = "*" in exposed and self.allow_credentials
        listed = "" if self.exposes_response_headers else ", ".join(exposed)
        self._exposed = (("Access-Control-Expose-Headers", listed),) if listed else ()

        static = self.allow_all_origins  # the same answer for every origin
        self._preflight_vary = ", ".join(
            ([] if static else ["Origin"])
            + ["Access-Control-Request-Method", "Access-Control-Request-Headers"]
            + ["Access-Control-Request-Private-Network"]
        )
        # Ready-made answers: an exact origin's costs one dict lookup per request.
        self._wildcard_answer = Answer(WILDCARD_ORIGIN + self._exposed)
        self._no_origin_answer = Answer((), "Origin")
        self._exact_grants = {o: self._origin_headers(o) for o in self._origins.exact}
        exact_answers: Dict[Optional[str], Answer] = {
            o: Answer(grant + self._exposed, "Origin") for o, grant in self._exact_grants.items()
        }
        # The answers by origin: those of no Origin and the listed origins, and for other
        # origins those decided on their first request and kept (bounded): a pattern's, the
        # regex's, a refusal, allow_origin_func's until it expires. Any of them costs one
        # lookup per request.
        self._decided: Remembered[Optional[str], Answer] = Remembered(
            permanent={None: self._no_origin_answer, **exact_answers}
        )
        ready = self.exposes_response_headers or self.allow_all_origins
        self.ready_answers: Mapping[Optional[str], Answer] = (
            self._decided.decided if not ready else {}
        )
        # The answers to the preflights of listed origins, by everything they depend on:
        # the same request costs one lookup the next time (bounded: a flood of made-up
        # header lists turns it over).
        self._preflights: Remembered[PreflightKey, Answer] = Remembered(MAX_PREFLIGHTS)
        self._function = None
        if function is not None:
            self._function = OriginFunction(function, self.allow_origin_func_ttl, self._answer)
        self._frozen = True

    def __setattr__(self, name: str, value: object) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError(f"a CORSPolicy is immutable; build a new one to change {name}")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a CORSPolicy is immutable; {name} cannot be deleted")

    def summary(self) -> Dict[str, object]:
        """The configuration as the policy understood it, normalised, for debugging.

        >>> CORSPolicy(allow_origins=["HTTPS://App.Example.com:443"]).summary()["allow_origins"]
        ['https://app.example.com']
        """
        origins = sorted(self.allowed_origins)
        return {
            "allow_origins": origins[:20]
            + ([f"... {len(origins) - 20} more"] if origins[20:] else []),
            "allow_origin_regex": self._origins.regex.pattern if self._origins.regex else None,
            "allow_origin_func": None if self._function is None else self._function.name,
            "allow_origin_func_ttl": self.allow_origin_func_ttl,
            "allow_credentials": self.allow_credentials
            if self._credentialed is None
            else sorted(self._credentialed.configured),
            "allow_methods": "the route's methods"
            if self.allow_methods is None
            else list(self.allow_methods),
            "allow_headers": "any" if self.allow_headers is None else list(self.allow_headers),
            "expose_headers": list(self.expose_headers),
            "max_age": self.max_age,
            "allow_private_network": self.allow_private_network,
        }

    @property
    def allowed_origins(self) -> AbstractSet[str]:
        """The exact origins and patterns this policy allows, normalised."""
        return {"*"} if self.allow_all_origins else self._origins.configured

    def allows_origin(self, origin: str) -> bool:
        """Whether ``origin`` (a request's Origin header value) is allowed."""
        return self.actual(origin).refusal is None

    @property
    def allow_origin_func(self) -> Optional[Callable[[str], object]]:
        """The function that decides the origins the lists do not allow, or None."""
        return None if self._function is None else self._function.function

    def decided_by(self, origin: str) -> Optional[str]:
        """The parameter that allows ``origin`` (``"allow_origins"``, ``"allow_origin_regex"``
        or ``"allow_origin_func"``), or None if it is refused."""
        if self.allow_all_origins or origin in self._exact_grants:
            return "allow_origins"
        if self.actual(origin).refusal is not None:
            return None
        if self._origins.matches_pattern(origin):
            return "allow_origins"
        return "allow_origin_regex" if self._origins.allows(origin) else "allow_origin_func"

    def preflight(
        self,
        origin: str,
        method: str,
        request_headers: Optional[str] = None,
        private_network: Optional[str] = None,
        route_methods: AbstractSet[str] = frozenset(),
    ) -> Answer:
        """Answer a preflight: ``Origin``, ``Access-Control-Request-Method``,
        ``-Request-Headers`` and ``-Request-Private-Network`` as sent, and, when
        ``methods_from_route`` is true, the methods the requested route serves.
        """
        if type(route_methods) is not frozenset:  # a key: hashable
            route_methods = frozenset(route_methods)
        key = (origin, method, request_headers, private_network, route_methods)
        answer = self._preflights.decided.get(key)
        if answer is not None:
            return answer
        granted = self._exact_grants.get(origin)
        if granted is not None:
            answer = self._preflight(granted, *key[1:])
            # A request's own values are kept only if short: a client may send a listed
            # Origin with a thousand huge made-up header lists.
            sent = len(method) + len(request_headers or "") + len(private_network or "")
            return self._preflights.remember(key, answer) if sent <= MAX_KEPT_VALUES else answer
        refusal = self.actual(origin).refusal
        if refusal is not None:
            return self._refuse_preflight(refusal)
        return self._preflight(self._origin_headers(origin), *key[1:])

    def _preflight(
        self,
        granted: Tuple[Tuple[str, str], ...],
        method: str,
        request_headers: Optional[str],
        private_network: Optional[str],
        route_methods: AbstractSet[str],
    ) -> Answer:
        if not self._allows_method(method, route_methods):
            return self._refuse_preflight(f"method {loggable(method)} is not allowed")
        names: Tuple[str, ...] = ()
        if request_headers:
            split = _split_header_list(request_headers)
            if split is None:
                return self._refuse_preflight(
                    f"Access-Control-Request-Headers {loggable(request_headers)} is not a "
                    f"list of header names of at most {MAX_REQUEST_HEADERS_LENGTH} characters"
                )
            names = split
        if self._headers is not None and not self._headers.issuperset(names):
            refused = [name for name in names if not self._allows_header(name)]
            if refused:
                return self._refuse_preflight(f"header {loggable(refused[0])} is not allowed")
        wants_private_network = private_network is not None and private_network.lower() == "true"
        if wants_private_network and not self.allow_private_network:
            return self._refuse_preflight("private network access is not allowed")

        headers = (
            *granted,
            ("Access-Control-Allow-Methods", self._methods_answer(method, route_methods)),
        )
        if names:
            headers += (("Access-Control-Allow-Headers", self._headers_value or ", ".join(names)),)
        headers += self._max_age_header
        if wants_private_network:
            headers += (("Access-Control-Allow-Private-Network", "true"),)
        return Answer(headers, self._preflight_vary)

    def actual(
        self,
        origin: Optional[str],
        response_header_names: Callable[[], Iterable[str]] = tuple,
    ) -> Answer:
        """Answer an actual (non-preflight) request with the given Origin, if any.

        ``response_header_names`` is called only when :attr:`exposes_response_headers`
        is true, to list the response's own headers in ``Access-Control-Expose-Headers``.
        """
        if self.allow_all_origins:
            return self._wildcard_answer
        if origin is None:
            return self._no_origin_answer
        answer = self._decided.decided.get(origin)
        if answer is None or (answer.expires is not None and answer.expires <= monotonic()):
            answer = self._decide(origin)
        if self.exposes_response_headers and answer.refusal is None:
            names = [name.lower() for name in response_header_names()]
            exposable = [n for n in names if n not in NOT_EXPOSED and TOKEN.match(n)]
            if exposable:
                exposed = ("Access-Control-Expose-Headers", ", ".join(exposable))
                answer = Answer((*answer.headers, exposed), answer.vary)
        return answer

    def methods_value(self, route_methods: AbstractSet[str]) -> str:
        """``Access-Control-Allow-Methods`` for a plain OPTIONS to a route, as hug sends it."""
        # A credentialed "*" is a literal name, so the route's methods are listed instead.
        if self.methods_from_route or ("*" in self._methods and self.allow_credentials):
            return ", ".join(sorted(route_methods | {"OPTIONS"}))
        return self._methods_value

    def _allows_method(self, method: str, route_methods: AbstractSet[str]) -> bool:
        if method in self._methods:
            return True
        if self.methods_from_route:  # a route always answers OPTIONS itself
            return method in route_methods or method == "OPTIONS"
        wildcard = "*" in self._methods
        return wildcard and len(method) <= MAX_METHOD_LENGTH and TOKEN.match(method) is not None

    def _methods_answer(self, method: str, route_methods: AbstractSet[str]) -> str:
        if self.methods_from_route:
            return ", ".join(sorted(route_methods | {"OPTIONS"}))
        return self._methods_value or method  # a credentialed "*" echoes the method

    def _allows_header(self, name: str) -> bool:
        allowed = self._headers
        if allowed is None or name in allowed:
            return True
        return "*" in allowed and name != NON_WILDCARD_HEADER

    def _decide(self, origin: str) -> Answer:
        """The actual answer for an origin that is neither listed nor remembered: by the
        patterns, the regex or allow_origin_func (whose decisions expire)."""
        function = self._function
        if function is not None:  # kept only for origins the patterns and regex refuse
            answer = function.kept(origin)
            if answer is not None:  # still kept, but no longer remembered here
                return self._decided.remember(origin, answer)
        if len(origin) > MAX_ORIGIN_LENGTH:  # no browser sends it: refused, never kept
            return self._answer(origin, False, "")
        if self._origins.allows(origin):
            return self._decided.remember(origin, self._allowed_answer(origin))
        if function is not None:
            answer = function.ask(origin)
            return self._decided.remember(origin, answer) if answer.expires else answer
        return self._decided.remember(origin, self._answer(origin, False, ""))

    def _answer(
        self, origin: str, allowed: bool, reason: str, expires: Optional[float] = None
    ) -> Answer:
        if allowed:
            return self._allowed_answer(origin, expires)
        because = f" ({reason})" if reason else ""
        return Answer((), "Origin", f"origin {loggable(origin)} is not allowed{because}", expires)

    def _origin_headers(self, origin: str) -> Tuple[Tuple[str, str], ...]:
        if self.allow_all_origins:
            return WILDCARD_ORIGIN
        credentialed = self._credentialed
        if self.allow_credentials and (credentialed is None or credentialed.allows(origin)):
            return (
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Credentials", "true"),
            )
        return (("Access-Control-Allow-Origin", origin),)

    def _allowed_answer(self, origin: str, expires: Optional[float] = None) -> Answer:
        return Answer(self._origin_headers(origin) + self._exposed, "Origin", None, expires)

    def _refuse_preflight(self, reason: str) -> Answer:
        return Answer((), self._preflight_vary, reason)


def merge_vary(existing: Optional[str], tokens: str) -> str:
    """The ``Vary`` value that adds ``tokens`` to ``existing`` without repeating any.

    >>> merge_vary("Accept-Encoding, origin", "Origin, Access-Control-Request-Method")
    'Accept-Encoding, origin, Access-Control-Request-Method'
    >>> merge_vary("*", "Origin")
    '*'
    """
    if not existing:
        return tokens
    present = {token.lower() for token in _LIST_SEPARATOR.split(existing.strip())}
    if "*" in present:
        return existing
    added = [t for t in tokens.split(", ") if t.lower() not in present]
    return ", ".join([existing.strip(), *added])


def _split_header_list(value: str) -> Optional[Tuple[str, ...]]:
    """The lower-case names in an Access-Control-Request-Headers value, or None if malformed."""
    if len(value) > MAX_REQUEST_HEADERS_LENGTH:
        return None
    if _BROWSER_HEADER_LIST.fullmatch(value):  # what browsers send: no parsing needed
        names = value.split(",")
        if len(names) == len(set(names)):
            return tuple(names)
    # Checked whole before lower(), which maps some non-ASCII letters to ASCII ones.
    if not _HEADER_LIST.fullmatch(value):
        return None
    names = [name.strip() for name in value.lower().split(",")]  # only SP and HTAB passed
    return tuple(dict.fromkeys(filter(None, names)))


def cross_origin_write(
    policy: Optional[CORSPolicy],
    method: str,
    fetch_site: Optional[str],
    origin: Optional[str],
    host: Optional[str],
) -> Optional[str]:
    """Why a browser's cross-origin write must be refused, or None to let it through.

    A write is any method but GET, HEAD and OPTIONS. The browser says where it comes from in
    ``Sec-Fetch-Site`` (``same-origin`` and ``none``, typed by the user, pass); a browser that
    does not send it is judged by its ``Origin`` against the request's own ``Host``. A
    request with neither header is not from a browser, and passes. A cross-origin write
    passes only from an origin ``policy`` allows (a route without CORS allows none):

    >>> policy, host = CORSPolicy(allow_origins=["https://app.example.com"]), "api.example.com"
    >>> cross_origin_write(policy, "POST", "cross-site", "https://evil.example", host)
    "cross-origin POST from origin 'https://evil.example' (Sec-Fetch-Site: cross-site)"
    >>> cross_origin_write(policy, "POST", "cross-site", "https://app.example.com", host)
    >>> cross_origin_write(policy, "POST", None, "https://api.example.com", host)
    """
    if method in SAFE_METHODS:
        return None
    if fetch_site is None:
        if origin is None:
            return None  # not a browser, or one too old to say
        # Like Go's http.CrossOriginProtection: the Origin's host and port against Host.
        if host is not None and origin.partition("://")[2] == host.lower():
            return None
    elif fetch_site in SAME_ORIGIN_FETCH_SITES:
        return None
    # Cross-site, same-site, or a value no browser sends yet: from another origin.
    if origin is not None and policy is not None and policy.actual(origin).refusal is None:
        return None
    why = (
        f"Origin is not the request's own host {loggable(host or '')}"
        if fetch_site is None
        else f"Sec-Fetch-Site: {loggable(fetch_site)[1:-1]}"
    )
    source = "no Origin" if origin is None else f"origin {loggable(origin)}"
    return f"cross-origin {loggable(method)[1:-1]} from {source} ({why})"


def loggable(value: str) -> str:
    r"""A request value made safe to log or send in a header: quoted, ASCII, cut short.

    >>> print(loggable("https://evil.example\r\nX: \u00e9"))
    'https://evil.example\r\nX: \xe9'
    """
    return ascii(value if len(value) <= 100 else value[:100] + "...")
