"""Per-route policies: a decorator for one route, and path patterns on the middleware.

The policy for a request is, in order of precedence:

1. the one attached to the function that serves the request's method, with
   :func:`route_policy`;
2. the one of the longest path pattern in ``route_policies`` that matches the path;
3. the middleware's own.

A policy of ``None`` means no CORS at all for that route: the middleware adds nothing
and lets the app answer preflights, so browsers refuse cross-origin calls to it.
"""

from __future__ import annotations

import enum
import re
from typing import Any, Callable, Iterable, List, Mapping, Optional, Pattern, Tuple, TypeVar, Union

from .policy import CORSPolicy

__all__ = ["INHERIT", "PathPolicies", "attached_policy", "route_policy"]

ATTRIBUTE = "hug_cors_policy"
# Until a function gets a policy, no responder has one: requests need not look.
any_attached = False
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
    >>> allowed("/stats"), allowed("/admin/users")
    ('*', None)

    ``config`` takes the keyword arguments of :class:`CORSPolicy`; or pass a ready
    ``CORSPolicy`` to share one between routes. The configuration is checked here.
    """
    if policy is INHERIT:
        policy = CORSPolicy(**config)
    elif config:
        raise TypeError("route_policy takes a CORSPolicy (or None) or keyword arguments, not both")
    _check_policy("route_policy", policy)

    def attach(function: Function) -> Function:
        global any_attached
        setattr(function, ATTRIBUTE, policy)
        any_attached = True
        return function

    return attach


def attached_policy(responder: object) -> RoutePolicy:
    """The policy :func:`route_policy` attached to a Falcon responder's function, if any."""
    # hug's responders wrap the user's function: the route's interface keeps it as spec.
    function = getattr(getattr(responder, "interface", None), "spec", responder)
    policy: RoutePolicy = getattr(function, ATTRIBUTE, INHERIT)
    return policy


class PathPolicies:
    """Path patterns mapped to policies; the longest pattern that matches wins.

    A pattern is a path that may contain ``*``, any run of characters, ``/`` included:

    >>> public = CORSPolicy()
    >>> paths = PathPolicies({"/public/*": public, "/public/admin/*": None})
    >>> paths.match("/public/stats") is public, paths.match("/public/admin/x")
    (True, None)
    >>> paths.match("/account")
    <_Inherit.INHERIT: 'inherit'>
    """

    __slots__ = ("patterns",)

    def __init__(self, mapping: Optional[Mapping[str, Optional[CORSPolicy]]] = None) -> None:
        if mapping is None:
            mapping = {}
        if not isinstance(mapping, Mapping):
            raise TypeError(
                f"route_policies must be a dict of path pattern to CORSPolicy or None, not "
                f"{mapping!r}: write route_policies={{'/public/*': CORSPolicy(...)}}."
            )
        patterns: List[Tuple[str, Pattern[str], Optional[CORSPolicy]]] = []
        for pattern, policy in mapping.items():
            if not isinstance(pattern, str) or not pattern.startswith("/"):
                raise ValueError(
                    f"route_policies: {pattern!r} is not a path pattern; patterns start with "
                    "'/' and may use '*', as in '/admin/*'."
                )
            _check_policy(f"route_policies[{pattern!r}]", policy)
            regex = re.compile(".*".join(re.escape(part) for part in pattern.split("*")))
            patterns.append((pattern, regex, policy))
        self.patterns = tuple(sorted(patterns, key=lambda entry: -len(entry[0])))

    def match(self, path: str) -> RoutePolicy:
        for _, regex, policy in self.patterns:
            if regex.fullmatch(path):
                return policy
        return INHERIT

    def unmatched(self, paths: Iterable[str]) -> List[str]:
        """The patterns that match none of ``paths``."""
        paths = list(paths)
        return [p for p, regex, _ in self.patterns if not any(map(regex.fullmatch, paths))]


def _check_policy(parameter: str, policy: object) -> None:
    if policy is not None and not isinstance(policy, CORSPolicy):
        raise TypeError(
            f"{parameter} must be a CORSPolicy or None (no CORS), not {policy!r}: "
            "write CORSPolicy(allow_origins=[...])."
        )
