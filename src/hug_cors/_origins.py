"""Origins: checking the configured ones once, matching the ones browsers send.

A browser sends a *serialized origin* (RFC 6454, section 6.2): ``scheme://host[:port]``
with a lower-case scheme and host and no default port, or the opaque origin ``null``.
Configuration is parsed into that exact form at construction, so that matching a
request is a set lookup on the raw header value, whatever the list's length.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from typing import (
    AbstractSet,
    Callable,
    Deque,
    Dict,
    FrozenSet,
    Generic,
    Hashable,
    NamedTuple,
    Optional,
    Pattern,
    Sequence,
    Tuple,
    TypeVar,
)

from ._config import CORSConfigurationError

__all__ = ["OriginFunction", "OriginMatcher", "Remembered", "parse_origin", "split_origin"]

logger = logging.getLogger("hug_cors")

DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")

# What a browser sends, lower case only: a request origin in any other form is not
# one a browser made, so it matches no pattern.
_SERIALIZED_ORIGIN = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*)://"
    r"(?P<host>\[[0-9a-f:.]+\]|[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?)"
    r"(?::(?P<port>[1-9][0-9]{0,4}))?"
)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*\Z")
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\Z")
_IPV6_HOST = re.compile(r"\[[0-9a-f:.]+\]\Z")
_PORT = re.compile(r"[0-9]{1,5}\Z")


class Origin(NamedTuple):
    """A configured origin or origin pattern, in the form browsers send."""

    scheme: str
    host: str  # for a subdomain pattern, the parent domain
    port: str  # "" for the scheme's default port, "*" for any port
    any_subdomain: bool = False

    def __str__(self) -> str:
        host = "*." + self.host if self.any_subdomain else self.host
        return f"{self.scheme}://{host}{':' + self.port if self.port else ''}"

    @property
    def is_pattern(self) -> bool:
        return self.any_subdomain or self.port == "*"

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.endswith(".localhost")

    def matches(self, scheme: str, host: str, port: str) -> bool:
        """Whether the split request origin ``scheme://host[:port]`` fits this pattern."""
        if scheme != self.scheme or (self.port != "*" and port != self.port):
            return False
        if self.any_subdomain:
            # One or more labels before the parent, never the bare parent itself (a
            # request's host never starts with a dot: split_origin refuses it).
            return host.endswith("." + self.host)
        return host == self.host


def split_origin(value: str) -> Optional[Tuple[str, str, str]]:
    """Split a request's Origin into (scheme, host, port), or None if no browser sends it.

    >>> split_origin("https://app.example.com:8443")
    ('https', 'app.example.com', '8443')
    >>> split_origin("https://app.example.com:443") is None  # browsers elide default ports
    True
    """
    found = _SERIALIZED_ORIGIN.fullmatch(value)
    if found is None:
        return None
    scheme, host, port = found.group("scheme", "host", "port")
    if port is not None and (int(port) > 65535 or DEFAULT_PORTS.get(scheme) == port):
        return None
    if ".." in host or len(host) > 253:  # the pattern refuses a dot at either end; DNS, longer
        return None
    return scheme, host, port or ""


def parse_origin(value: str, parameter: str = "allow_origins") -> Origin:
    """Parse one configured origin or pattern, or raise CORSConfigurationError showing the fix.

    Upper case and default ports are normalised to what browsers send:

    >>> str(parse_origin("HTTPS://App.Example.com:443"))
    'https://app.example.com'
    >>> parse_origin("https://app.example.com/")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hug_cors.CORSConfigurationError: allow_origins: 'https://app.example.com/' ... 'https://app.example.com'.
    """
    if value != value.strip():
        raise _not_an_origin(parameter, value, "white space around it", _likely_fix(value))
    scheme, separator, rest = value.partition("://")
    if not separator:
        raise _not_an_origin(parameter, value, "no scheme", _likely_fix(value))
    scheme = scheme.lower()
    cut = min((rest.find(c) for c in "/?#" if c in rest), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    userinfo, _, hostport = authority.rpartition("@")
    host, written_port = _split_host_port(hostport)
    host = host.lower()
    port = _normal_port(scheme, written_port)
    any_subdomain = host.startswith("*.")
    if any_subdomain:
        host = host[2:]
    fix = str(Origin(scheme, _ascii_host(host), port or "", any_subdomain))

    if tail:
        problem = "a trailing slash" if tail == "/" else f"a path, query or fragment ({tail!r})"
        raise _not_an_origin(parameter, value, problem, fix)
    if userinfo:
        raise _not_an_origin(parameter, value, "user information before the host", fix)
    if not _SCHEME.match(scheme):
        raise _not_an_origin(parameter, value, f"a bad scheme {scheme!r}", "https://" + hostport)
    if port is None:
        problem = f"a bad port {written_port!r} (a port is 1 to 65535, or * in a pattern)"
        raise _not_an_origin(parameter, value, problem, fix)
    if not _is_host(host):
        if fix != value and _is_host(_ascii_host(host)):
            raise _not_an_origin(parameter, value, "a host browsers send in ASCII", fix)
        raise CORSConfigurationError(
            parameter,
            value,
            f"{parameter}: {value!r} has no valid host.",
            "Patterns may only take the forms "
            "'https://*.example.com' (any subdomain) and 'http://localhost:*' (any port).",
        )
    if any_subdomain and "." not in host and host != "localhost":
        raise CORSConfigurationError(
            parameter,
            value,
            f"{parameter}: {value!r} would allow every site under the top-level domain {host!r}.",
            "Name the parent domain, as in 'https://*.example.com'.",
        )
    return Origin(scheme, host, port, any_subdomain)


def _likely_fix(value: str) -> str:
    """What a mistyped origin most likely meant: 'https:/a.com ' -> 'https://a.com'."""
    value = value.strip().lower()
    typed = re.match(r"(https?)(?::/*|/+)(.*)", value)
    scheme, rest = typed.groups() if typed else ("https", value)
    return f"{scheme}://{rest.split('/')[0] or 'app.example.com'}"


def _normal_port(scheme: str, port: str) -> Optional[str]:
    """The port as browsers send it: no leading zeros, "" for the scheme's default, "*"
    kept for a pattern; None if it is no port at all."""
    if port in ("", "*"):
        return port
    if not (_PORT.match(port) and 0 < int(port) < 65536):
        return None
    port = str(int(port))
    return "" if DEFAULT_PORTS.get(scheme) == port else port


def _split_host_port(hostport: str) -> Tuple[str, str]:
    if hostport.startswith("["):  # an IPv6 literal, [::1]:8000
        end = hostport.find("]") + 1
        rest = hostport[end:]  # anything but ":port" here is refused as a bad port
        return hostport[:end], rest[1:] if rest.startswith(":") else rest
    host, _, port = hostport.partition(":")
    return host, port


def _is_host(host: str) -> bool:
    if _IPV6_HOST.match(host):
        return True
    # An empty host is one empty label, which no label matches.
    return len(host) <= 253 and all(_HOST_LABEL.match(label) for label in host.split("."))


def _ascii_host(host: str) -> str:
    """The host as browsers send it: IDNA (punycode) for a non-ASCII name."""
    try:
        return host.encode("idna").decode("ascii")  # an ASCII host comes back as it was
    except UnicodeError:
        return host


def _not_an_origin(parameter: str, value: str, problem: str, fix: str) -> CORSConfigurationError:
    return CORSConfigurationError(
        parameter,
        value,
        f"{parameter}: {value!r} is not an origin: it has {problem}.",
        f"An origin is scheme://host[:port] with nothing after it; use {fix!r}.",
    )


class OriginMatcher:
    """Decides whether a request's Origin is allowed, in O(1) for exact origins.

    >>> matcher = OriginMatcher(["https://app.example.com", "https://*.example.org"])
    >>> matcher.allows("https://app.example.com"), matcher.allows("https://a.b.example.org")
    (True, True)
    >>> matcher.allows("https://example.org"), matcher.allows("https://evil.com")
    (False, False)
    """

    __slots__ = ("exact", "origins", "patterns", "regex")

    def __init__(
        self,
        origins: Sequence[str],
        regex: Optional[Pattern[str]] = None,
        parameter: str = "allow_origins",
    ) -> None:
        self.origins = tuple(parse_origin(v, parameter) for v in origins if v != "null")
        self.exact: FrozenSet[str] = frozenset(
            [str(origin) for origin in self.origins if not origin.is_pattern]
            + [value for value in origins if value == "null"]
        )
        self.patterns = tuple(origin for origin in self.origins if origin.is_pattern)
        self.regex = regex

    @property
    def configured(self) -> AbstractSet[str]:
        """Every exact origin and pattern, in the form they are matched."""
        return self.exact | {str(pattern) for pattern in self.patterns}

    def uncovered(self, other: OriginMatcher, function: bool) -> Optional[str]:
        """The first origin or pattern of ``other`` that this one does not allow: a pattern
        must be listed here too, an exact origin allowed (with an origin ``function``, any
        exact origin may be the function's to allow)."""
        for origin in other.origins:
            entry = str(origin)
            if origin.is_pattern:
                covered = entry in self.configured
            else:
                covered = function or self.allows(entry)
            if not covered:
                return entry
        return None

    def matches_pattern(self, origin: str) -> bool:
        """Whether a pattern allows ``origin``."""
        parts = split_origin(origin) if self.patterns else None
        return parts is not None and any(pattern.matches(*parts) for pattern in self.patterns)

    def allows(self, origin: str) -> bool:
        if origin in self.exact:
            return True
        if not self.patterns and self.regex is None:
            return False
        parts = split_origin(origin)
        if parts is None:  # never "null", never a malformed or non-canonical value
            return False
        if any(pattern.matches(*parts) for pattern in self.patterns):
            return True
        return self.regex is not None and self.regex.fullmatch(origin) is not None


# How many decisions one policy keeps per process, for the patterns and the regex, and for
# allow_origin_func: more than the origins of a large multi-tenant API, and the bound on
# what a flood of made-up origins can take (about 4 MB at the longest origin).
MAX_DECISIONS = 10_000
# Longer is no origin a browser sends (a host has at most 253 characters): refused, unkept.
MAX_ORIGIN_LENGTH = 300

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Remembered(Generic[K, V]):
    """What was decided for each key (an origin, say): the ``permanent`` decisions, and at
    most ``limit`` others, the oldest of which goes first. ``decided`` holds them all.
    Reads take no lock; writes take one, so that threads can share it."""

    __slots__ = ("_added", "_limit", "_lock", "decided")

    def __init__(self, limit: int = MAX_DECISIONS, permanent: Optional[Dict[K, V]] = None) -> None:
        self.decided: Dict[K, V] = dict(permanent or {})
        # What remember() added, oldest first; an entry remembered again since is stale.
        self._added: Deque[Tuple[K, V]] = deque()
        self._limit = limit
        self._lock = threading.Lock()

    def remember(self, key: K, value: V) -> V:
        with self._lock:
            added, decided = self._added, self.decided
            if len(added) >= self._limit:
                oldest, kept = added.popleft()
                if decided.get(oldest) is kept:
                    del decided[oldest]
            added.append((key, value))
            decided[key] = value
        return value


class OriginFunction(Generic[V]):
    """``allow_origin_func``'s decisions, each kept ``ttl`` seconds in one process.

    ``make(origin, allowed, reason, expires)`` turns a decision into what is kept (the
    policy's answer), ``reason`` saying why it refused (``""`` when it allowed), ``expires``
    when it stops being kept (a ``time.monotonic()``, the clock every reader of the answer
    compares with; ``0.0`` for a decision not kept). The function is
    called with well-formed serialized origins only, one call at a time, and at most once
    per origin per ``ttl``, whatever a flood of distinct origins does: when all
    ``MAX_DECISIONS`` kept decisions are younger than ``ttl``, a new origin is refused
    without a call until the oldest expires. A function that raises refuses (the error is
    logged with its traceback on the ``hug_cors`` logger).
    """

    __slots__ = ("_decided", "_lock", "_make", "function", "ttl")

    def __init__(
        self,
        function: Callable[[str], object],
        ttl: float,
        make: Callable[[str, bool, str, float], V],
    ) -> None:
        self.function, self.ttl, self._make = function, ttl, make
        # Insertion order is expiry order: every decision lives ttl seconds.
        self._decided: Dict[str, Tuple[V, float]] = {}
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The function's name, for a summary or a log."""
        function = self.function
        return str(getattr(function, "__qualname__", type(function).__name__))

    def kept(self, origin: str) -> Optional[V]:
        """The decision kept for ``origin``, if it is younger than the TTL."""
        kept = self._decided.get(origin)
        return kept[0] if kept is not None and kept[1] > time.monotonic() else None

    def ask(self, origin: str) -> V:
        """The function's decision for ``origin``, asked now (when :meth:`kept` has none)."""
        if split_origin(origin) is None:
            return self._make(origin, False, "it is not a serialized origin, never asked", 0.0)
        with self._lock:  # one call at a time: a flood never runs queries in parallel
            now = time.monotonic()
            decided = self._decided
            entry = decided.pop(origin, None)
            if entry is not None and entry[1] > now:  # another thread just asked
                decided[origin] = entry
                return entry[0]
            while decided:
                oldest = next(iter(decided))
                if decided[oldest][1] > now:
                    break
                del decided[oldest]
            if len(decided) >= MAX_DECISIONS:
                return self._make(
                    origin, False, f"{MAX_DECISIONS} newer decisions are kept, never asked", 0.0
                )
            allowed, reason = self._ask(origin)
            expires = now + self.ttl if self.ttl > 0 else 0.0
            value = self._make(origin, allowed, reason, expires)
            if expires:
                decided[origin] = (value, expires)
            return value

    def _ask(self, origin: str) -> Tuple[bool, str]:
        try:
            allowed = self.function(origin)
        except Exception as error:  # fail closed: a broken database refuses, never a 500
            # The origin is well-formed here: lower-case ASCII, at most 300 characters.
            logger.exception("allow_origin_func raised for origin %r; refused", origin)
            return False, f"allow_origin_func raised {type(error).__name__}"
        if allowed is True:
            return True, ""
        if allowed is False or allowed is None:
            return False, "allow_origin_func refused it"
        logger.error(
            "allow_origin_func returned %s for origin %r, not True or False; refused",
            ascii(allowed)[:100],
            origin,
        )
        return False, f"allow_origin_func returned a {type(allowed).__name__}"
