"""Per-route policies: a decorator for one route, path patterns, and the table that gives
each route of a router its policy.

The policy of a request is the policy of the function that serves it, whatever spelling
of the path reached it:

1. the one attached to that function with :func:`route_policy`;
2. the one of the longest pattern in ``route_policies`` that matches one of the route's
   URI templates (the same function under another template, such as hug's
   ``/v{api_version}`` twin of every route, shares it);
3. the middleware's own.

Patterns are matched against templates when the routes are compiled, never against the
raw path of a request, so leading or repeated slashes, ``%``-encoding or a newline in a
field cannot take a request out of its route's policy. A sink (``hug.sink``) has one
policy for all it serves. Only a path that no route or sink serves (hug's not-found
handler, a 404) is matched as Falcon has normalised it.

A policy of ``None`` means no CORS at all for that route: the middleware adds nothing
and lets the app answer preflights, so browsers refuse cross-origin calls to it.
"""

from __future__ import annotations

import enum
import functools
import re
from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    Hashable,
    Iterable,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Pattern,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

from ._config import CORSConfigurationError, CORSConfigurationTypeError
from ._policy import CORSPolicy
from ._route_index import Route, is_falcon_default

__all__ = [
    "INHERIT",
    "PathPolicies",
    "RoutePolicies",
    "Sink",
    "attached_policies",
    "attached_policy",
    "function_of",
    "route_policy",
]

ATTRIBUTE = "hug_cors_policy"
Function = TypeVar("Function", bound=Callable[..., Any])


class _Inherit(enum.Enum):
    INHERIT = "inherit"  # no policy of its own: the next in precedence applies


INHERIT = _Inherit.INHERIT
RoutePolicy = Union[CORSPolicy, None, _Inherit]


def route_policy(policy: RoutePolicy = INHERIT, **config: Any) -> Callable[[Function], Function]:
    """Give one route function its own CORS policy, or none (``route_policy(None)``).

    Put it under hug's route decorator (or on a Falcon responder such as ``on_get``):

    >>> import hug
    >>> from hug_cors import CORSMiddleware
    >>> api = hug.API("route_policy_docstring")
    >>> api.http.add_middleware(CORSMiddleware(api, allow_origins=["https://app.example.com"]))
    >>> @hug.get("/stats", api=api)
    ... @route_policy(allow_origins=["*"])  # public, whatever the middleware allows
    ... def stats():
    ...     return {"visits": 42}
    >>> @hug.get("/admin/users", api=api)
    ... @route_policy(None)  # no CORS: only same-origin pages may call it
    ... def users():
    ...     return []
    >>> def allowed(path):
    ...     response = hug.test.get(api, path, headers={"Origin": "https://other.example"})
    ...     return response.headers_dict.get("access-control-allow-origin")
    >>> allowed("/stats"), allowed("/admin/users"), allowed("/v1/admin/users")
    ('*', None, None)

    ``config`` takes the keyword arguments of :class:`CORSPolicy`; or pass a ready
    ``CORSPolicy`` to share one between routes. The configuration is checked here.
    It works on hug routes (versioned ones too), ``hug.sink`` and ``hug.not_found``
    functions; on a function that hug wraps in one of its own (``hug.static``) it cannot
    be honoured, and the API refuses to start.
    """
    if policy is INHERIT:
        policy = CORSPolicy(**config)
    elif config:
        raise CORSConfigurationTypeError(
            "route_policy",
            policy,
            "route_policy takes a CORSPolicy (or None) or keyword arguments, not both:",
            "write route_policy(CORSPolicy(...)) or route_policy(allow_origins=[...]).",
        )
    _check_policy("route_policy", policy)

    def attach(function: Function) -> Function:
        setattr(function, ATTRIBUTE, policy)
        return function

    return attach


def attached_policies(responder: object) -> FrozenSet[RoutePolicy]:
    """The policies :func:`route_policy` attached to the functions a Falcon responder
    runs (``INHERIT`` for none): one, or for hug's versioned routes one per version and,
    when no version is the default, the not-found handler's own, which hug runs for any
    other version (``/v2/items``, or ``/items`` with ``v1`` only)."""
    router = _hug_version_router(responder)
    if router is None:
        return frozenset((attached_policy(responder),))
    versions, fallback = router
    policies = {attached_policy(handler) for handler in versions}
    if fallback is not None:  # with no policy of its own, it takes the route's
        policies.update(attached_policies(fallback) - {INHERIT})
    return frozenset(policies)


def attached_policy(responder: object) -> RoutePolicy:
    """The policy :func:`route_policy` attached to one responder's function, if any."""
    policy: RoutePolicy = getattr(function_of(responder), ATTRIBUTE, INHERIT)
    return policy


def function_of(responder: object) -> object:
    """The user's function behind a responder: hug's wrap it, and keep it as ``spec``."""
    return getattr(getattr(responder, "interface", None), "spec", responder)


def _hug_version_router(responder: object) -> Optional[Tuple[List[object], object]]:
    """The handlers of hug's version router (``partial(version_router, versions=...,
    not_found=...)``), and the handler it runs for a version it does not serve (None when
    one version is the default)."""
    if not isinstance(responder, functools.partial):
        return None
    versions = responder.keywords.get("versions")
    if not isinstance(versions, Mapping):
        return None
    fallback = None if None in versions else responder.keywords.get("not_found")
    return list(versions.values()), fallback


class PathPolicies:
    """Path patterns mapped to policies; the longest pattern that matches wins.

    A pattern is a path that may contain ``*``, any run of characters, ``/`` included:

    >>> public = CORSPolicy()
    >>> paths = PathPolicies({"/public/*": public, "/public/admin/*": None})
    >>> paths.match("/public/stats") is public, paths.match("/public/admin/{id}")
    (True, None)
    >>> paths.match("/account")
    <_Inherit.INHERIT: 'inherit'>
    """

    __slots__ = ("patterns",)

    def __init__(self, mapping: Optional[Mapping[str, Optional[CORSPolicy]]] = None) -> None:
        if mapping is None:
            mapping = {}
        if not isinstance(mapping, Mapping):
            raise CORSConfigurationTypeError(
                "route_policies",
                mapping,
                "route_policies must be a dict of path pattern to CORSPolicy or None, not "
                f"{mapping!r}:",
                "write route_policies={'/public/*': CORSPolicy(...)}.",
            )
        patterns: List[Tuple[str, Pattern[str], Optional[CORSPolicy]]] = []
        for pattern, policy in mapping.items():
            if not isinstance(pattern, str) or not pattern.startswith("/"):
                raise CORSConfigurationError(
                    "route_policies",
                    pattern,
                    f"route_policies: {pattern!r} is not a path pattern;",
                    "patterns start with '/' and may use '*', as in '/admin/*'.",
                )
            if pattern != "/" and pattern.endswith("/"):
                raise CORSConfigurationError(
                    "route_policies",
                    pattern,
                    f"route_policies: {pattern!r} ends with '/', which no route does (hug "
                    "strips it from every path);",
                    f"write {pattern.rstrip('/')!r} for the route, "
                    f"or {pattern + '*'!r} for the paths below it.",
                )
            _check_policy(f"route_policies[{pattern!r}]", policy)
            # DOTALL: "*" also spans a newline, which a path field may hold ("1\n").
            regex = re.compile(".*".join(map(re.escape, pattern.split("*"))), re.DOTALL)
            patterns.append((pattern, regex, policy))
        self.patterns = tuple(sorted(patterns, key=lambda entry: -len(entry[0])))

    def match(self, *paths: str) -> RoutePolicy:
        """The policy of the longest pattern that matches one of ``paths``, or INHERIT."""
        for _, regex, policy in self.patterns:
            if any(regex.fullmatch(path) for path in paths):
                return policy
        return INHERIT

    def unmatched(self, paths: Iterable[str]) -> List[str]:
        """The patterns that match none of ``paths``."""
        paths = list(paths)
        return [p for p, regex, _ in self.patterns if not any(map(regex.fullmatch, paths))]


def sink_templates(url: str) -> Tuple[str, str]:
    """The templates a sink declared at ``url`` stands for when patterns are matched: the
    path itself and every path below it."""
    return (url, url + "/{path}")


class Sink(NamedTuple):
    """A Falcon sink, as the table needs it: Falcon's prefix, the responder, the paths it
    stands for when patterns are matched (:func:`sink_templates`), and whether
    it is the not-found handler, which serves every path that nothing else does."""

    prefix: Pattern[str]
    responder: object
    templates: Tuple[str, ...]
    not_found: bool = False


PolicyByMethod = Dict[str, Optional[CORSPolicy]]

# Falcon hands a sink every request that reaches it, whatever the method: a preflight may
# ask a sink for any standard method a browser may send (CONNECT and TRACE it never does).
SINK_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})


class RouteEntry:
    """A template of the table: the resource Falcon routes it to, the policy of each
    method served there, that of any other method, and the methods served."""

    __slots__ = ("by_method", "methods", "policy", "resource", "unserved")

    def __init__(
        self,
        resource: object,
        by_method: PolicyByMethod,
        unserved: Optional[CORSPolicy],
        methods: FrozenSet[str],
    ) -> None:
        self.resource = resource
        self.by_method = by_method
        self.unserved = unserved
        self.methods = methods
        # The policy of every method when they share one (most routes), so that a
        # response need not look its method up; else INHERIT.
        policy: RoutePolicy = unserved
        if any(other is not unserved for other in by_method.values()):
            policy = INHERIT
        self.policy = policy

    def policy_of(self, method: str) -> Optional[CORSPolicy]:
        return self.by_method.get(method, self.unserved)


class RoutePolicies:
    """Every route and sink of one router with its policy, for one configuration.

    Built once per router and configuration, so that a request costs a dict lookup.
    """

    __slots__ = ("_sinks", "by_template", "default", "paths", "uniform")

    def __init__(
        self,
        routes: Optional[Iterable[Route]],
        sinks: Sequence[Sink],
        default: CORSPolicy,
        paths: PathPolicies,
    ) -> None:
        """``routes`` is None for a router that cannot be read: then any of its routes
        may have a policy of its own, found when a request asks."""
        self.default = default
        self.paths = paths
        known = routes is not None
        routes = list(routes or ())
        # A function serves the same, whatever template reached it: the longest pattern
        # that matches any of its templates is its own.
        templates: Dict[Hashable, List[str]] = {}
        for route in routes:
            templates.setdefault(_route_key(route), []).append(route.template or "")
            for method, responder in route.responders.items():
                templates.setdefault(_handler(route, method, responder), []).append(
                    route.template or ""
                )
        by_template: Dict[str, RouteEntry] = {}
        for route in routes:
            by_method = {
                method: self._policy_of(responder, templates[_handler(route, method, responder)])
                for method, responder in route.responders.items()
            }
            # A method no function serves (Falcon answers it 400 by itself): the patterns
            # on the resource's templates, as for Falcon's own 405.
            unserved = self._policy_of(None, templates[_route_key(route)])
            by_template[route.template or ""] = RouteEntry(
                route.resource, by_method, unserved, route.methods
            )
        # What a response looks up, by the template Falcon routed it through.
        self.by_template = by_template
        # In Falcon's order: (prefix, policy, the methods a preflight may ask of it).
        self._sinks = tuple(
            (sink.prefix, self._sink_policy(sink), frozenset() if sink.not_found else SINK_METHODS)
            for sink in sinks
        )
        self.uniform = (
            known
            and not paths.patterns
            and all(
                policy is default
                for entry in by_template.values()
                for policy in entry.by_method.values()
            )
            and all(policy is default or policy is INHERIT for _, policy, _ in self._sinks)
        )

    def for_resource(
        self, resource: object, template: Optional[str], method: str, path: str
    ) -> Optional[CORSPolicy]:
        """The policy for a request Falcon routed to ``resource`` through ``template``."""
        responder = getattr(resource, "on_" + method.lower(), None)
        return self._for_template(template, method, responder, path)

    def for_path(self, path: str, route: Optional[Route], method: str) -> Optional[CORSPolicy]:
        """The policy for a request to ``path``, which Falcon routes to ``route`` (or none)."""
        if route is None:
            return self.for_unrouted(path)
        entry = self.by_template.get(route.template or "")
        if entry is not None:  # a route of the table, as nearly every one is: one lookup
            return entry.policy_of(method)
        return self._for_template(route.template, method, route.responders.get(method), path)

    def for_unrouted(self, path: str) -> Optional[CORSPolicy]:
        """The policy for a path no route serves: its sink's, else the patterns on the path."""
        for prefix, policy, _ in self._sinks:
            if prefix.match(path):
                if policy is INHERIT:  # the not-found handler: a policy per path
                    break
                return policy
        # Falcon's router ignores leading slashes: so do the patterns.
        matched = self.paths.match("/" + path.lstrip("/"))
        return self.default if matched is INHERIT else matched

    def unrouted_methods(self, path: str) -> FrozenSet[str]:
        """The methods served at a path no route serves: every one if a sink serves it
        (the not-found handler serves none)."""
        for prefix, _, methods in self._sinks:
            if prefix.match(path):
                return methods
        return frozenset()

    def _for_template(
        self, template: Optional[str], method: str, responder: object, path: str
    ) -> Optional[CORSPolicy]:
        # By template: an app hug built by an earlier server() routes the same templates
        # to resources of its own, and they must get the policy of those templates.
        entry = self.by_template.get(template or "")
        if entry is not None:
            return entry.policy_of(method)
        # A route the table does not hold, from a router it cannot walk: its function's
        # own, else the patterns on its template (on the path, if the router gives none).
        return self._policy_of(responder, [path if template is None else template])

    def _policy_of(self, responder: object, templates: Sequence[str]) -> Optional[CORSPolicy]:
        own = _own_policy(responder)
        if own is INHERIT:
            own = self.paths.match(*templates)
        return self.default if own is INHERIT else own

    def _sink_policy(self, sink: Sink) -> RoutePolicy:
        if sink.not_found:  # its own policy, else one per path (INHERIT)
            return _own_policy(sink.responder)
        return self._policy_of(sink.responder, sink.templates)


def _own_policy(responder: object) -> RoutePolicy:
    policies = attached_policies(responder)
    # Versions that disagree are refused when a hug API starts; fail closed all the same.
    return next(iter(policies)) if len(policies) == 1 else None


def _route_key(route: Route) -> Hashable:
    """What makes templates one route: the same resource with the same responders (hug's
    ``/v{api_version}`` twin). Falcon's suffixed routes share a resource, not responders."""
    own = route.responders.values()
    return (id(route.resource), frozenset(_function(r) for r in own if not is_falcon_default(r)))


def _handler(route: Route, method: str, responder: object) -> Hashable:
    """What identifies the function Falcon calls: the resource's own responder, or one of
    Falcon's default responders (OPTIONS, 405), which are one per route."""
    return (_route_key(route), method) if is_falcon_default(responder) else _function(responder)


def _function(responder: object) -> Hashable:
    # A bound method is made anew on each access: its object and function identify it.
    owner = getattr(responder, "__self__", None)
    return (id(owner), id(getattr(responder, "__func__", responder)))


def _check_policy(parameter: str, policy: object) -> None:
    if policy is not None and not isinstance(policy, CORSPolicy):
        raise CORSConfigurationTypeError(
            parameter.partition("[")[0],
            policy,
            f"{parameter} must be a CORSPolicy or None (no CORS), not {policy!r}:",
            "write CORSPolicy(allow_origins=[...]).",
        )
