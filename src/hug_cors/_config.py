"""The configuration: every parameter once, with its default, its checks and its messages.

:class:`~hug_cors.CORSMiddleware`'s constructor and ``configure()``, :class:`CORSPolicy`
and the ``python -m hug_cors explain`` flags are all built from :data:`PARAMETERS`. A value
that cannot be right raises :class:`CORSConfigurationError`, whose message names the
parameter, shows the value and says how to fix it; the same three are its fields. A value
that is legal but probably a mistake warns with :class:`CORSConfigurationWarning`.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections import abc
from typing import (
    Any,
    Callable,
    Collection,
    Dict,
    Iterable,
    Mapping,
    NamedTuple,
    Optional,
    Pattern,
    Tuple,
    Union,
)

from ._fetch import (
    BROWSER_MAX_AGE,
    FORBIDDEN_METHODS,
    FORBIDDEN_RESPONSE_HEADERS,
    STANDARD_METHODS,
    TOKEN,
)

__all__ = [
    "PARAMETERS",
    "CORSConfigurationError",
    "CORSConfigurationTypeError",
    "CORSConfigurationWarning",
    "Parameter",
]


class Parameter(NamedTuple):
    """One parameter of :class:`~hug_cors.CORSMiddleware`, but ``api``."""

    name: str
    default: Any
    kind: str
    """``"list"``, ``"bool"``, ``"optional bool"``, ``"int"``, ``"regex"``, ``"function"``,
    ``"seconds"`` or ``"mapping"``."""
    flag: str = ""
    """The ``python -m hug_cors explain`` flag; ``""`` for none."""
    metavar: str = ""
    help: str = ""
    policy: bool = True
    """Whether :class:`~hug_cors.CORSPolicy` takes it (per-route ones, debug, writes and
    errors are the middleware's alone)."""


PARAMETERS: Tuple[Parameter, ...] = (
    Parameter(
        "allow_origins",
        None,
        "list",
        "--allow-origin",
        "ORIGIN",
        "allow_origins: an origin, pattern or '*'; repeat for more "
        "(default: '*', or none with --allow-origin-regex)",
    ),
    Parameter(
        "allow_credentials",
        None,
        "optional bool",
        "--allow-credentials",
        "",
        "allow_credentials=True (default: None, credentials for listed origins only)",
    ),
    Parameter("max_age", None, "int", "--max-age", "SECONDS", "max_age (default: none)"),
    Parameter(
        "allow_methods",
        None,
        "list",
        "--allow-method",
        "METHOD",
        "allow_methods: repeat for more (default: the methods the route serves, "
        "see --route-methods)",
    ),
    Parameter(
        "allow_headers",
        None,
        "list",
        "--allow-header",
        "NAME",
        "allow_headers: repeat for more (default: any well-formed header)",
    ),
    Parameter(
        "expose_headers",
        (),
        "list",
        "--expose-header",
        "NAME",
        "expose_headers: repeat for more (default: none)",
    ),
    Parameter(
        "allow_origin_regex",
        None,
        "regex",
        "--allow-origin-regex",
        "REGEX",
        "allow_origin_regex, matched with fullmatch",
    ),
    Parameter(
        "allow_private_network",
        False,
        "bool",
        "--allow-private-network",
        "",
        "allow_private_network=True",
    ),
    Parameter("allow_origin_func", None, "function"),
    Parameter("allow_origin_func_ttl", 60.0, "seconds"),
    Parameter("route_policies", None, "mapping", policy=False),
    Parameter("debug", False, "bool", policy=False),
    Parameter("reject_cross_origin_writes", False, "bool", policy=False),
    Parameter("handle_uncaught_errors", False, "bool", policy=False),
)
"""Every parameter, in the constructor's order."""

NAMES = tuple(parameter.name for parameter in PARAMETERS)
POLICY_NAMES = tuple(parameter.name for parameter in PARAMETERS if parameter.policy)


def snapshot(config: Mapping[str, Any]) -> Dict[str, Any]:
    """``config`` with each collection copied once: an iterator is read only once, and a
    list the caller edits later must not leak into the configuration in place."""
    copied = dict(config)
    for parameter in PARAMETERS:
        value = copied[parameter.name]
        if parameter.kind == "list" and not isinstance(value, (str, bytes)):
            if isinstance(value, abc.Iterable):
                copied[parameter.name] = tuple(value)  # anything else is refused by the checks
        elif parameter.kind == "mapping" and isinstance(value, Mapping):
            copied[parameter.name] = dict(value)
    return copied


class CORSConfigurationError(ValueError):
    """A configuration that cannot be right, raised when the middleware or policy is built.

    Its message names the parameter, shows the value and says how to fix it; the same
    are in its fields, for a program that reports them its own way:

    >>> from hug_cors import CORSConfigurationError, CORSPolicy
    >>> try:
    ...     CORSPolicy(allow_origins=["https://app.example.com/"])
    ... except CORSConfigurationError as error:
    ...     print(error.parameter, repr(error.value), error.fix, sep="\\n")
    allow_origins
    'https://app.example.com/'
    An origin is scheme://host[:port] with nothing after it; use 'https://app.example.com'.

    A value of the wrong type raises the subclass :class:`CORSConfigurationTypeError`,
    which is also a ``TypeError``.
    """

    parameter: str
    """The parameter's name, as the constructor takes it."""
    value: object
    """The value that was refused: the parameter's, or the item of a list that was."""
    problem: str
    """What is wrong with it."""
    fix: str
    """What to write instead."""

    def __init__(self, parameter: str, value: object, problem: str, fix: str) -> None:
        super().__init__(f"{problem} {fix}")
        self.parameter, self.value, self.problem, self.fix = parameter, value, problem, fix

    def __reduce__(self) -> Tuple[Any, ...]:  # pickled, as by multiprocessing, whole
        return type(self), (self.parameter, self.value, self.problem, self.fix)


class CORSConfigurationTypeError(CORSConfigurationError, TypeError):
    """A configuration value of the wrong type (a string where a list is expected)."""


class CORSConfigurationWarning(UserWarning):
    """A configuration that is legal but probably not what you want.

    >>> import warnings
    >>> from hug_cors import CORSPolicy
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     policy = CORSPolicy(allow_origins=["https://app.example.com"], max_age=86400)
    >>> [str(warning.message)[:40] for warning in caught]
    ['max_age: 86400 is more than browsers hon']
    """


# Tracebacks, warnings and pickles name these where users import them from.
for _public in (CORSConfigurationError, CORSConfigurationTypeError, CORSConfigurationWarning):
    _public.__module__ = "hug_cors"


def warn_about_configuration(message: str) -> None:
    """Warn with :class:`CORSConfigurationWarning`, pointing at the user's line that built
    the middleware or policy, however deep in hug-cors the check ran."""
    frame, level = sys._getframe(1), 2
    while frame.f_back is not None and frame.f_globals["__name__"].startswith("hug_cors."):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, CORSConfigurationWarning, stacklevel=level)


def check_strings(parameter: str, value: Collection[str]) -> Tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, abc.Iterable):
        raise CORSConfigurationTypeError(
            parameter,
            value,
            f"{parameter} must be a list of strings, not {type(value).__name__} {value!r}:",
            f"write {parameter}=[{value!r}].",
        )
    items = tuple(value)
    for item in items:
        if not isinstance(item, str):
            raise CORSConfigurationTypeError(
                parameter,
                item,
                f"{parameter}: {item!r} is a {type(item).__name__};",
                "every item must be a string.",
            )
    return items


def check_boolean(parameter: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise CORSConfigurationTypeError(
            parameter,
            value,
            f"{parameter} must be True or False, not {value!r}:",
            f"write {parameter}=True or {parameter}=False.",
        )
    return value


def check_origins(
    value: Optional[Collection[str]], regex: Optional[Pattern[str]], function: bool
) -> Tuple[str, ...]:
    """The configured origins and patterns, unparsed; ``("*",)`` alone for the wildcard."""
    if value is None:
        return () if regex or function else ("*",)
    origins = check_strings("allow_origins", value)
    if "*" in origins and (len(origins) > 1 or regex or function):
        others = " with allow_origin_regex" if regex else ""
        others += " with allow_origin_func" if function else ""
        raise CORSConfigurationError(
            "allow_origins",
            list(origins),
            f"allow_origins: {list(origins)!r}{others} mixes '*' with other origins.",
            "'*' alone allows every origin; list origins without it.",
        )
    return origins


def check_origin_func(value: object) -> Optional[Callable[[str], object]]:
    if value is not None and not callable(value):
        raise CORSConfigurationTypeError(
            "allow_origin_func",
            value,
            f"allow_origin_func must be a function of the origin or None, not {value!r}:",
            "write allow_origin_func=lambda origin: origin in tenant_origins().",
        )
    return value


def check_ttl(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CORSConfigurationTypeError(
            "allow_origin_func_ttl",
            value,
            f"allow_origin_func_ttl must be a number of seconds, not {value!r}:",
            "write allow_origin_func_ttl=60.",
        )
    if not 0 <= value < float("inf"):
        raise CORSConfigurationError(
            "allow_origin_func_ttl",
            value,
            f"allow_origin_func_ttl: {value!r} is not a number of seconds from 0 up;",
            "use 0 (ask every time) or more seconds, as in allow_origin_func_ttl=60.",
        )
    return float(value)


def check_credentials(
    allow_credentials: Union[bool, Collection[str], None], allow_all_origins: bool
) -> Tuple[bool, Optional[Tuple[str, ...]]]:
    """Whether credentials are sent at all, and the origins and patterns that get them
    (None: every allowed origin)."""
    if allow_credentials is None:  # hug's default, True, made safe: "*" never has credentials
        return not allow_all_origins, None
    if not isinstance(allow_credentials, (bool, abc.Iterable)) or isinstance(
        allow_credentials, (str, bytes)
    ):
        raise CORSConfigurationTypeError(
            "allow_credentials",
            allow_credentials,
            "allow_credentials must be True, False or a list of origins, not "
            f"{allow_credentials!r}:",
            "write allow_credentials=True or allow_credentials=['https://app.example.com'].",
        )
    if not isinstance(allow_credentials, bool):
        listed = check_strings("allow_credentials", allow_credentials)
        if allow_all_origins and listed:
            raise CORSConfigurationError(
                "allow_credentials",
                list(listed),
                f"allow_credentials={list(listed)!r} with allow_origins=['*']: '*' never "
                "carries credentials.",
                "List the origins in allow_origins too, or pass allow_credentials=False.",
            )
        return bool(listed), listed
    if allow_credentials and allow_all_origins:
        raise CORSConfigurationError(
            "allow_credentials",
            allow_credentials,
            "allow_credentials=True with allow_origins=['*'] would let every website read "
            "responses made with your users' cookies, and browsers refuse it anyway.",
            "List the origins that need credentials, "
            "allow_origins=['https://app.example.com'], or pass allow_credentials=False.",
        )
    return bool(allow_credentials), None


def uncovered_credentials(entry: str) -> CORSConfigurationError:
    """The error for an origin or pattern in allow_credentials that no allowed one covers."""
    return CORSConfigurationError(
        "allow_credentials",
        entry,
        f"allow_credentials: {entry!r} is not an allowed origin, so it can never get credentials.",
        "Add it to allow_origins, or remove it from allow_credentials.",
    )


def check_max_age(value: Optional[int]) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise CORSConfigurationTypeError(
            "max_age",
            value,
            f"max_age must be a whole number of seconds or None, not {value!r}:",
            "write max_age=600.",
        )
    if value < 0:
        raise CORSConfigurationError(
            "max_age",
            value,
            f"max_age: {value} is negative;",
            "use 0 (no caching) or more seconds.",
        )
    return value


_REGEX_EXAMPLE = r"r'https://[a-z0-9-]+\.example\.com'"


def check_regex(value: Union[str, Pattern[str], None]) -> Optional[Pattern[str]]:
    if value is None or (isinstance(value, re.Pattern) and isinstance(value.pattern, str)):
        return value
    if not isinstance(value, str):
        raise CORSConfigurationTypeError(
            "allow_origin_regex",
            value,
            f"allow_origin_regex must be a string or re.Pattern, not {value!r}:",
            f"write allow_origin_regex={_REGEX_EXAMPLE}.",
        )
    try:
        return re.compile(value)
    except re.error as error:
        raise CORSConfigurationError(
            "allow_origin_regex",
            value,
            f"allow_origin_regex: {value!r} does not compile ({error}).",
            f"It is matched with fullmatch against the whole origin, as in {_REGEX_EXAMPLE}.",
        ) from None


# No site owns these (RFC 2606 reserves .invalid): a regex that matches them matches
# any origin, and would hand credentials to every website.
_CANARY_ORIGINS = ("https://hug-cors-canary.invalid", "http://hug-cors-canary.invalid")


def refuse_regex_matching_any_origin(regex: Pattern[str]) -> None:
    canary = next((origin for origin in _CANARY_ORIGINS if regex.fullmatch(origin)), None)
    if canary is not None:
        raise CORSConfigurationError(
            "allow_origin_regex",
            regex.pattern,
            f"allow_origin_regex: {regex.pattern!r} matches any origin ({canary!r} too), "
            "and with credentials every website could act as your users.",
            f"Anchor it to your domain, as in {_REGEX_EXAMPLE}, or pass allow_credentials=False.",
        )


def check_methods(value: Optional[Collection[str]]) -> Optional[Tuple[str, ...]]:
    if value is None:
        return None
    methods = []
    for method in check_strings("allow_methods", value):
        if not TOKEN.match(method):  # "*" is a token too
            raise CORSConfigurationError(
                "allow_methods",
                method,
                f"allow_methods: {method!r} is not a method name;",
                "write 'PUT'.",
            )
        if method.upper() in FORBIDDEN_METHODS:
            raise CORSConfigurationError(
                "allow_methods",
                method,
                f"allow_methods: {method!r} is forbidden: browsers never send it and it "
                "enables cross-site tracing.",
                "Remove it.",
            )
        methods.append(method.upper() if method.upper() in STANDARD_METHODS else method)
    return tuple(dict.fromkeys(methods))


def check_header_names(parameter: str, value: Collection[str]) -> Tuple[str, ...]:
    """The names, lower-cased, each once."""
    names = check_strings(parameter, value)
    for name in names:
        if not TOKEN.match(name):  # "*" is a token too
            raise CORSConfigurationError(
                parameter,
                name,
                f"{parameter}: {name!r} is not a header name:",
                "use letters, digits and !#$%&'*+-.^_`|~ only, one name per item, "
                "as in 'X-Request-Id'.",
            )
    return tuple(dict.fromkeys(name.lower() for name in names))


def check_expose_headers(value: Collection[str]) -> Tuple[str, ...]:
    names = check_header_names("expose_headers", value)
    forbidden = FORBIDDEN_RESPONSE_HEADERS.intersection(names)
    if forbidden:
        name = sorted(forbidden)[0]
        raise CORSConfigurationError(
            "expose_headers",
            name,
            f"expose_headers: {name!r} is never readable by scripts; browsers filter it "
            "out of every response.",
            "Remove it.",
        )
    return names


def warn_about_risks(
    null: bool, plain_http: Iterable[str], credentials: bool, max_age: Optional[int]
) -> None:
    """Warn of ``null`` allowed, of origins on plain http (but loopback) with credentials,
    and of a ``max_age`` longer than browsers keep a preflight."""
    if null:
        warn_about_configuration(
            "allow_origins: 'null' is the origin of sandboxed iframes, local files and "
            "some redirects, which any website can produce; allow it only if you must."
        )
    if credentials:
        for origin in plain_http:
            warn_about_configuration(
                f"allow_origins: {origin!r} is plain http with credentials: anyone "
                "on the network can inject a script into it and act as your users. "
                "Use https."
            )
    if max_age is not None and max_age > BROWSER_MAX_AGE:
        warn_about_configuration(
            f"max_age: {max_age} is more than browsers honour (Chromium caps it at "
            f"{BROWSER_MAX_AGE} seconds, Firefox at 86400); use max_age={BROWSER_MAX_AGE}."
        )
