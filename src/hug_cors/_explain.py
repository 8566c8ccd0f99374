"""What a browser would do with a cross-origin request, and why: CORS without a browser.

:func:`explain` plays the browser's part of the Fetch standard against a policy: it
decides whether the request needs a preflight, asks the policy for the answers the
middleware would send, checks them as a browser does, and says what to change when the
request is blocked. :func:`browser_accepts` is that browser-side check on its own.

>>> from hug_cors import CORSPolicy
>>> policy = CORSPolicy(allow_origins=["https://app.example.com"], allow_headers=["X-Token"])
>>> result = explain(policy, "https://app.example.com", "PUT", ["X-Request-Id"],
...                  route_methods=["GET", "PUT"])
>>> result.allowed, result.preflight_needed
(False, True)
>>> result.fix
"add 'X-Request-Id' to allow_headers"
>>> print(str(result).splitlines()[-1])  # doctest: +NORMALIZE_WHITESPACE
Browser verdict: BLOCKED — the preflight response has no Access-Control-Allow-Origin header
(hug-cors refused it: header 'x-request-id' is not allowed)

The same from a shell: ``python -m hug_cors explain --help``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from ._fetch import (
    FORBIDDEN_METHODS,  # fetch() throws a TypeError for these: nothing is sent
    NON_WILDCARD_HEADER,
    SAFELISTED_METHODS,
    TOKEN,
)
from ._fetch import (
    SAFELISTED_RESPONSE_HEADERS as ALWAYS_READABLE,
)
from ._origins import parse_origin, split_origin
from ._policy import Answer, CORSPolicy, loggable

__all__ = ["Explanation", "browser_accepts", "explain"]

# fetch() upper-cases these (case-insensitively matched) and sends every other as written.
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
# Headers a script cannot set: the browser drops them (or sets them itself).
FORBIDDEN_REQUEST_HEADERS = frozenset(
    {"accept-charset", "accept-encoding", "access-control-request-headers"}
    | {"access-control-request-method", "connection", "content-length", "cookie", "cookie2"}
    | {"date", "dnt", "expect", "host", "keep-alive", "origin", "referer", "set-cookie"}
    | {"te", "trailer", "transfer-encoding", "upgrade", "via"}
)
FORBIDDEN_REQUEST_HEADER_PREFIXES = ("proxy-", "sec-")
# Fetch: the response headers a script may always read, in order for the report.
SAFELISTED_RESPONSE_HEADERS = tuple(sorted(ALWAYS_READABLE))
SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)

# Fetch's CORS-unsafe request-header bytes: controls but tab, and "():<>?@[\]{} and DEL.
_UNSAFE_BYTE = re.compile(r'[\x00-\x08\x0a-\x1f"():<>?@\[\\\]{}\x7f]')
_LANGUAGE_VALUE = re.compile(r"[0-9A-Za-z *,\-.;=]*\Z")
_BAD_VALUE = re.compile(r"[\r\n\x00]")
_MAX_SAFELISTED_VALUE = 128

HeaderPairs = Sequence[Tuple[str, str]]


@dataclass(frozen=True)
class Explanation:
    """The outcome of :func:`explain`: what the browser did, step by step, and the verdict.

    Attributes:
        allowed: whether the script gets to read the response.
        preflight_needed: whether the browser sends an OPTIONS preflight first.
        steps: plain sentences, in order: what was sent, what came back (the header
            lines, indented below the sentence), what the browser checked and concluded.
        refusal: the policy's own reason for refusing, if it refused.
        fix: a concrete change that would let the request through, when blocked.
        reason: why the browser blocks the request, as its console would say; None if allowed.
        unsafe_headers: the request headers that need the server's consent, lower case,
            sorted (what a preflight lists in ``Access-Control-Request-Headers``).
        readable_headers: response headers the script may read when allowed, lower case;
            ``("*",)`` means every header but ``Set-Cookie``.
        request: the request in a few words, the report's title.
    """

    allowed: bool
    preflight_needed: bool
    steps: List[str] = field(default_factory=list)
    refusal: Optional[str] = None
    fix: Optional[str] = None
    reason: Optional[str] = None
    unsafe_headers: Tuple[str, ...] = ()
    readable_headers: Tuple[str, ...] = ()
    request: str = ""

    def __str__(self) -> str:
        lines = [f"CORS check of {self.request}" if self.request else "CORS check"]
        for number, step in enumerate(self.steps, 1):
            first, *rest = step.split("\n")
            lines.append(f"{number:2}. {first}")
            lines.extend("    " + line for line in rest)
        if self.fix is not None:
            lines.append(f"Fix: {self.fix}")
        verdict = "allowed" if self.allowed else f"BLOCKED — {self.reason}"
        if self.refusal is not None:
            verdict += f" (hug-cors refused it: {self.refusal})"
        lines.append(f"Browser verdict: {verdict}")
        return "\n".join(lines)


def browser_accepts(
    answer_headers: HeaderPairs,
    origin: str,
    method: Optional[str] = None,
    unsafe_headers: Iterable[str] = (),
    credentials: bool = False,
    private_network: bool = False,
) -> Optional[str]:
    """Why a browser rejects a CORS response, or None if it accepts it (Fetch's CORS check).

    ``answer_headers`` are the response's header (name, value) pairs. ``method`` and
    ``unsafe_headers`` are the preflighted method and CORS-unsafe request header names,
    for a preflight response; leave ``method`` None to check an actual response, where
    only the origin and credentials count. ``private_network``: the preflight asked for
    private network access, which ``Access-Control-Allow-Private-Network: true`` grants.

    >>> allow = [("Access-Control-Allow-Origin", "*")]
    >>> browser_accepts(allow, "https://a.example") is None
    True
    >>> browser_accepts(allow, "https://a.example", credentials=True)
    "Access-Control-Allow-Origin is '*', which browsers never accept for a request with credentials"
    >>> browser_accepts(allow + [("Access-Control-Allow-Methods", "PUT")], "https://a.example",
    ...                 "DELETE")
    "method DELETE is not in the preflight response's Access-Control-Allow-Methods"
    """
    unsafe = tuple(unsafe_headers)
    return _cors_check(answer_headers, origin, method, unsafe, credentials, private_network)[1]


def explain(
    policy: object,
    origin: str,
    method: str = "GET",
    headers: Iterable[str] = (),
    *,
    credentials: bool = False,
    route_methods: Optional[Iterable[str]] = None,
    response_headers: Iterable[str] = (),
    private_network: bool = False,
) -> Explanation:
    """Explain what a browser does with a cross-origin request under ``policy``.

    Args:
        policy: a :class:`~hug_cors.CORSPolicy`, or a :class:`~hug_cors.CORSMiddleware`
            (anything whose ``.policy`` is one).
        origin: the page's origin, as the browser sends it in ``Origin``.
        method: the method the script passes to ``fetch()``.
        headers: request headers the script sets, as ``"Name"`` or ``"Name: value"``.
            Values decide whether Accept, Accept-Language, Content-Language and
            Content-Type are CORS-safelisted; a name alone counts as a safelisted value,
            except for Content-Type, taken to be a non-form type such as JSON.
        credentials: whether the request includes credentials (``credentials:
            "include"``, or ``withCredentials``): cookies and HTTP authentication.
        route_methods: the methods the requested route serves, which decide a preflight
            when the policy takes its methods from the route (``allow_methods=None``).
            None: the route is unknown, and explained as if there were none.
        response_headers: names of the headers the handler's response carries, used only
            for ``expose_headers=["*"]`` with credentials.
        private_network: the page is public and the API on a private network (Private
            Network Access): Chromium then preflights every request, asking
            ``Access-Control-Request-Private-Network: true``.

    Raises:
        TypeError, ValueError: for a request no script can make (a bad header name or
            value, a method that is not a token), or a ``policy`` that is not one.

    >>> from hug_cors import CORSPolicy
    >>> policy = CORSPolicy(allow_origins=["https://app.example.com"])
    >>> explain(policy, "https://evil.example").fix
    "add 'https://evil.example' to allow_origins"
    >>> explain(policy, "https://app.example.com", "POST", ["Content-Type: text/plain"]).allowed
    True
    """
    cors = _policy_of(policy)
    if isinstance(headers, str):
        raise TypeError(f"headers must be a list of header lines, not a str: write [{headers!r}].")
    if not TOKEN.match(method):
        raise ValueError(f"method {loggable(method)} is not a method name; give one such as 'PUT'.")
    pairs = [_parse_header(line) for line in headers]
    if isinstance(route_methods, str):
        raise TypeError(
            "route_methods must be a list of methods, not a str: "
            f"write {route_methods.split(',')!r}."
        )
    routes = None if route_methods is None else frozenset(m.upper() for m in route_methods)
    return _Explainer(
        cors, origin, method, pairs, credentials, routes, response_headers, private_network
    ).run()


class _Explainer:
    """One explanation in the making: the request, and the steps written so far."""

    def __init__(
        self,
        policy: CORSPolicy,
        origin: str,
        method: str,
        headers: List[Tuple[str, Optional[str]]],
        credentials: bool,
        route_methods: Optional[FrozenSet[str]],
        response_headers: Iterable[str],
        private_network: bool,
    ) -> None:
        self.policy = policy
        self.origin = origin
        self.method = method.upper() if method.upper() in NORMALIZED_METHODS else method
        self.given_method = method
        self.headers = headers
        self.credentials = credentials
        self.route_methods = route_methods
        self.response_headers = tuple(response_headers)
        self.private_network = private_network
        self.steps: List[str] = []
        self.unsafe: List[Tuple[str, str]] = []  # (name as given, lower case)

    @property
    def unsafe_names(self) -> Tuple[str, ...]:
        return tuple(sorted({lower for _, lower in self.unsafe}))

    def run(self) -> Explanation:
        note = _origin_note(self.origin)
        if note is not None:
            self.steps.append(f"Note: {note}")
        if self.policy.allow_origin_func is not None:
            decider = self.policy.decided_by(self.origin)
            if decider == "allow_origin_func":
                self.steps.append(
                    f"allow_origin_func allows {loggable(self.origin)} (each process keeps "
                    f"that for {self.policy.allow_origin_func_ttl:g} s)."
                )
            elif decider is None:
                self.steps.append(
                    f"Neither the lists nor allow_origin_func allow {loggable(self.origin)}."
                )
        if self.method != self.given_method:
            self.steps.append(
                f"fetch() upper-cases the method {self.given_method!r} to {self.method}."
            )
        if self.method.upper() in FORBIDDEN_METHODS:
            self.steps.append(
                f"fetch() refuses the method {self.method!r}: it throws a TypeError and "
                "nothing is sent."
            )
            reason = f"browsers never send a {self.method.upper()} request"
            return self._result(False, False, reason, None, "use another method")
        self._sort_headers()
        unsafe = self.unsafe_names
        why = []
        if self.method not in SAFELISTED_METHODS:
            why.append(f"{self.method} is not a CORS-safelisted method (GET, HEAD, POST)")
        if unsafe:
            kind = (
                "is not a CORS-safelisted request header"
                if len(unsafe) == 1
                else "are not CORS-safelisted request headers"
            )
            why.append(f"{_join(unsafe)} {kind}")
        if self.private_network:
            why.append("the API is on a private network (Private Network Access)")
        if why:
            self.steps.append(
                f"A preflight is needed: {' and '.join(why)}. The browser asks the server "
                f"first, and sends the {self.method} only if the answer allows it."
            )
            blocked = self._preflight()
            if blocked is not None:
                return blocked
        else:
            self.steps.append(
                f"No preflight: {self.method} is a CORS-safelisted method and every request "
                "header is CORS-safelisted, so the browser sends the request straight away."
            )
        return self._actual(preflight_needed=bool(why))

    def _sort_headers(self) -> None:
        for name, value in self.headers:
            if _forbidden(name):
                self.steps.append(
                    f"Note: scripts cannot set {name}; the browser drops it (cookies go with "
                    "credentials)."
                )
            elif not _is_safelisted(name.lower(), value):
                self.unsafe.append((name, name.lower()))

    def _preflight(self) -> Optional[Explanation]:
        policy, unsafe = self.policy, self.unsafe_names
        sent = [("Origin", self.origin), ("Access-Control-Request-Method", self.method)]
        if unsafe:
            sent.append(("Access-Control-Request-Headers", ",".join(unsafe)))
        if self.private_network:
            sent.append(("Access-Control-Request-Private-Network", "true"))
        self.steps.append(
            "The browser sends the preflight, without credentials: OPTIONS with" + _lines(sent)
        )
        routes = self.route_methods
        if policy.methods_from_route and routes is None and self.method not in SAFELISTED_METHODS:
            self.steps.append(
                "The route is unknown (no route methods given). With allow_methods=None the "
                "middleware allows the methods the route serves: explained as a path with no "
                "route, where only GET, HEAD, POST and OPTIONS pass."
            )
        answer = policy.preflight(
            self.origin,
            self.method,
            ",".join(unsafe) or None,
            "true" if self.private_network else None,
            routes or frozenset(),
        )
        self.steps.append(_answered("The middleware answers 200 OK (empty body)", answer))
        passed, failure = _cors_check(
            answer.headers, self.origin, self.method, unsafe, self.credentials, self.private_network
        )
        if failure is not None:
            self.steps.append(
                f"The browser checks it: {_but(passed, failure)}. "
                f"The preflight fails, and the {self.method} is never sent."
            )
            return self._result(False, True, failure, answer.refusal, self._fix())
        self.steps.append(f"The browser checks it: {'; '.join(passed)}, so the preflight passes.")
        return None

    def _actual(self, preflight_needed: bool) -> Explanation:
        called: List[bool] = []

        def response_header_names() -> Tuple[str, ...]:
            called.append(True)
            return self.response_headers

        sent = [("Origin", self.origin)] + [
            (name, "(a value)" if value is None else value)
            for name, value in self.headers
            if not _forbidden(name)
        ]
        with_credentials = ", with cookies and HTTP authentication" if self.credentials else ""
        self.steps.append(f"The browser sends the {self.method}{with_credentials}:" + _lines(sent))
        answer = self.policy.actual(self.origin, response_header_names)
        self.steps.append(_answered("The middleware adds to the response", answer))
        if called and not self.response_headers:
            self.steps.append(
                "Note: with expose_headers=['*'] and credentials the middleware lists the "
                "response's own header names; none were given (response_headers)."
            )
        passed, failure = _cors_check(
            answer.headers, self.origin, None, (), self.credentials, False
        )
        if failure is not None:
            self.steps.append(
                f"The browser checks it: {_but(passed, failure)}. The "
                "script gets a network error instead of the response; the request did reach "
                "the server, and the handler ran."
            )
            return self._result(False, preflight_needed, failure, answer.refusal, self._fix())
        readable = _readable(answer.headers, self.credentials)
        what = (
            "every response header but Set-Cookie"
            if readable == ("*",)
            else "these response headers: " + ", ".join(readable)
        )
        self.steps.append(
            f"The browser checks it: {'; '.join(passed)}, so the script may read the "
            f"status, the body and {what}."
        )
        return self._result(True, preflight_needed, None, None, None, readable)

    def _result(
        self,
        allowed: bool,
        preflight_needed: bool,
        reason: Optional[str],
        refusal: Optional[str],
        fix: Optional[str],
        readable: Tuple[str, ...] = (),
    ) -> Explanation:
        return Explanation(
            allowed=allowed,
            preflight_needed=preflight_needed,
            steps=self.steps,
            refusal=refusal,
            fix=fix,
            reason=reason,
            unsafe_headers=self.unsafe_names,
            readable_headers=readable,
            request=self._summary(),
        )

    def _summary(self) -> str:
        parts = [f"{self.given_method} from {loggable(self.origin)}"]
        parts.append("with credentials" if self.credentials else "without credentials")
        if self.headers:
            shown = [
                name if value is None else f"{name}: {loggable(value)}"
                for name, value in self.headers
            ]
            parts.append("headers " + ", ".join(shown))
        return ", ".join(parts)

    def _fix(self) -> Optional[str]:
        """What to change so that the request passes, found by asking the policy."""
        policy, origin, method = self.policy, self.origin, self.method
        if not policy.allows_origin(origin):
            note = _origin_note(origin)
            if note is not None:
                return note
            if origin == "null":
                return (
                    "add 'null' to allow_origins, if you must: any website can make a "
                    "request with Origin: null"
                )
            if policy.allow_origin_func is not None:
                return (
                    f"make allow_origin_func allow {loggable(origin)} (add it to your "
                    "tenants' origins), or add it to allow_origins"
                )
            return f"add {loggable(origin)} to allow_origins"
        routes = self.route_methods or frozenset()
        if policy.preflight(origin, method, None, None, routes).refusal:
            return self._method_fix(routes)
        refused = {
            lower: name
            for name, lower in reversed(self.unsafe)
            if policy.preflight(origin, method, lower, None, routes).refusal
        }
        if refused:
            listed = " and ".join(repr(refused[lower]) for lower in sorted(refused))
            fix = f"add {listed} to allow_headers"
            if NON_WILDCARD_HEADER in refused:
                fix += " (a '*' there never covers Authorization)"
            return fix
        if self.private_network and not policy.allow_private_network:
            return "pass allow_private_network=True"
        if self.credentials and policy.allow_all_origins:
            return (
                f"list the origin instead of '*', allow_origins=[{loggable(origin)}] (credentials "
                "are then allowed by default), or make the request without credentials"
            )
        if self.credentials and not policy.allow_credentials:
            return (
                "pass allow_credentials=True (or leave it at its default), or make the "
                "request without credentials"
            )
        return None  # the policy allowed it, yet its answer fails: not a configuration fix

    def _method_fix(self, routes: FrozenSet[str]) -> str:
        method = self.method
        if method != method.upper():
            fix = (
                f"methods are case-sensitive and browsers send {method!r} as written: "
                f"write {method.upper()!r} in the script"
            )
            upper = self.policy.preflight(self.origin, method.upper(), None, None, routes)
            if upper.refusal is None:
                return fix
            return fix + "; then " + self._method_fix_for(method.upper(), routes)
        return self._method_fix_for(method, routes)

    def _method_fix_for(self, method: str, routes: FrozenSet[str]) -> str:
        if not self.policy.methods_from_route:
            return f"add {method!r} to allow_methods"
        if self.route_methods is None:
            return (
                "give the methods the route serves (route_methods, --route-methods): with "
                f"allow_methods=None only those pass; or add {method!r} to allow_methods"
            )
        served = ", ".join(sorted(routes)) or "nothing"
        return (
            f"the route serves {served}, not {method}: add a {method} handler to it, or "
            f"add {method!r} to allow_methods"
        )


def _policy_of(policy: object) -> CORSPolicy:
    if isinstance(policy, CORSPolicy):
        return policy
    inner = getattr(policy, "policy", None)
    if isinstance(inner, CORSPolicy):
        return inner
    raise TypeError(f"policy must be a CORSPolicy or a CORSMiddleware, not {policy!r}.")


def _parse_header(line: str) -> Tuple[str, Optional[str]]:
    if not isinstance(line, str):
        raise TypeError(f"headers: {line!r} is not a str; give 'Name' or 'Name: value'.")
    name, colon, value = line.partition(":")
    name = name.strip(" \t")
    if not TOKEN.match(name):
        raise ValueError(
            f"headers: {loggable(line)} has no valid header name; give 'Name' or 'Name: value', "
            "as in 'X-Token: abc'."
        )
    if _BAD_VALUE.search(value):
        raise ValueError(
            f"headers: {loggable(line)} has a CR, LF or NUL in its value; fetch() refuses it."
        )
    return name, value.strip(" \t") if colon else None


def _forbidden(name: str) -> bool:
    lower = name.lower()
    return lower in FORBIDDEN_REQUEST_HEADERS or lower.startswith(FORBIDDEN_REQUEST_HEADER_PREFIXES)


def _is_safelisted(name: str, value: Optional[str]) -> bool:
    """Fetch's CORS-safelisted request-header, for a lower-case name; None: value unknown."""
    if name not in ("accept", "accept-language", "content-language", "content-type"):
        return False
    if value is None:
        return name != "content-type"  # an API's Content-Type is most often JSON
    if len(value) > _MAX_SAFELISTED_VALUE:
        return False
    if name == "accept":
        return not _UNSAFE_BYTE.search(value)
    if name in ("accept-language", "content-language"):
        return _LANGUAGE_VALUE.match(value) is not None
    essence = value.split(";")[0].strip(" \t").lower()
    return not _UNSAFE_BYTE.search(value) and essence in SAFELISTED_CONTENT_TYPES


def _origin_note(origin: str) -> Optional[str]:
    """Why no browser sends ``origin`` in this form, or None if one does."""
    if origin == "null" or split_origin(origin) is not None:
        return None
    try:
        parsed = parse_origin(origin, "Origin")
    except ValueError as error:
        return f"no browser sends this Origin. {error}"
    if parsed.is_pattern:
        host = "app." + parsed.host if parsed.any_subdomain else parsed.host
        port = ":3000" if parsed.port == "*" else f":{parsed.port}" if parsed.port else ""
        return (
            f"{loggable(origin)} is a pattern, not an origin: give one that a browser sends, such "
            f"as '{parsed.scheme}://{host}{port}'"
        )
    return f"no browser sends the Origin {loggable(origin)}; it sends {loggable(str(parsed))}"


def _cors_check(
    answer_headers: HeaderPairs,
    origin: str,
    method: Optional[str],
    unsafe_headers: Tuple[str, ...],
    credentials: bool,
    private_network: bool,
) -> Tuple[List[str], Optional[str]]:
    """The checks passed, and the first failure or None: Fetch's CORS check, and for a
    preflight (``method`` given) its methods and headers checks."""
    values = _combine(answer_headers)
    passed: List[str] = []
    subject = "the preflight response" if method is not None else "the response"
    allow_origin = values.get("access-control-allow-origin")
    if allow_origin is None:
        return passed, f"{subject} has no Access-Control-Allow-Origin header"
    if allow_origin == "*":
        if credentials:
            return passed, (
                "Access-Control-Allow-Origin is '*', which browsers never accept for a "
                "request with credentials"
            )
        passed.append("Access-Control-Allow-Origin is '*', good for any origin without credentials")
    elif allow_origin != origin:
        return passed, (
            f"Access-Control-Allow-Origin {loggable(allow_origin)} is not the origin "
            f"{loggable(origin)}"
        )
    else:
        passed.append("Access-Control-Allow-Origin is the origin")
    if credentials:
        allow_credentials = values.get("access-control-allow-credentials")
        if allow_credentials != "true":
            shown = "missing" if allow_credentials is None else loggable(allow_credentials)
            return passed, (
                f"Access-Control-Allow-Credentials is {shown}; it must be 'true' for a "
                "request with credentials"
            )
        passed.append("Access-Control-Allow-Credentials is 'true'")
    if method is None:
        return passed, None

    methods = _split(values.get("access-control-allow-methods", ""))
    if method in methods:
        passed.append(f"{method} is in Access-Control-Allow-Methods")
    elif method in SAFELISTED_METHODS:
        passed.append(f"{method} is safelisted")
    elif "*" in methods and not credentials:
        passed.append(f"'*' in Access-Control-Allow-Methods covers {method}")
    else:
        wildcard = " ('*' does not count with credentials)" if "*" in methods else ""
        return (
            passed,
            f"method {method} is not in the preflight response's "
            f"Access-Control-Allow-Methods{wildcard}",
        )

    allowed = {name.lower() for name in _split(values.get("access-control-allow-headers", ""))}
    for name in unsafe_headers:
        name = name.lower()
        if name in allowed:
            continue
        if "*" in allowed and not credentials and name != NON_WILDCARD_HEADER:
            continue
        if "*" in allowed and name == NON_WILDCARD_HEADER:
            wildcard = " ('*' never covers authorization)"
        elif "*" in allowed:
            wildcard = " ('*' does not count with credentials)"
        else:
            wildcard = ""
        return passed, (
            f"request header {name} is not in the preflight response's "
            f"Access-Control-Allow-Headers{wildcard}"
        )
    if unsafe_headers:
        passed.append(f"Access-Control-Allow-Headers covers {_join(unsafe_headers)}")
    if private_network:
        allow_private_network = values.get("access-control-allow-private-network")
        if allow_private_network != "true":
            shown = "missing" if allow_private_network is None else loggable(allow_private_network)
            return passed, f"Access-Control-Allow-Private-Network is {shown}; it must be 'true'"
        passed.append("Access-Control-Allow-Private-Network is 'true'")
    return passed, None


def _combine(headers: HeaderPairs) -> Dict[str, str]:
    """Header values by lower-case name, repeats joined with ", " as browsers do."""
    combined: Dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        combined[key] = f"{combined[key]}, {value}" if key in combined else value
    return combined


def _split(value: str) -> List[str]:
    return [item.strip(" \t") for item in value.split(",") if item.strip(" \t")]


def _readable(answer_headers: HeaderPairs, credentials: bool) -> Tuple[str, ...]:
    exposed = [
        n.lower() for n in _split(_combine(answer_headers).get("access-control-expose-headers", ""))
    ]
    if "*" in exposed and not credentials:
        return ("*",)
    extra = [name for name in exposed if name != "*" and name not in SAFELISTED_RESPONSE_HEADERS]
    return SAFELISTED_RESPONSE_HEADERS + tuple(dict.fromkeys(extra))


def _answered(what: str, answer: Answer) -> str:
    lines = list(answer.headers) + ([("Vary", answer.vary)] if answer.vary else [])
    if not answer.headers:
        what += ", with no CORS header" + (":" if lines else ".")
    else:
        what += ":"
    return what + _lines(lines)


def _lines(headers: Iterable[Tuple[str, str]]) -> str:
    return "".join(f"\n  {name}: {_shown(value)}" for name, value in headers)


def _shown(value: str) -> str:
    """A header line's value: as sent when it is visible ASCII, else escaped as the log
    writes it, so that no request value can forge a report line or reach the terminal
    as a control sequence."""
    return value if value.isascii() and value.isprintable() else loggable(value)


def _but(passed: List[str], failure: str) -> str:
    return "; ".join(passed) + ", but " + failure if passed else failure


def _join(names: Sequence[str]) -> str:
    return ", ".join(names)
