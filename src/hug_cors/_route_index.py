"""The route of a path, found before Falcon routes it, with one dict lookup per segment.

Preflights are answered before Falcon routes, yet need the methods of the route. Falcon 2.0's
``CompiledRouter.find`` compares a segment with each literal sibling in turn: its cost grows
with the routes. :class:`RouteIndex` searches Falcon's own tree in Falcon's own order.
"""

from __future__ import annotations

from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Pattern,
    Sequence,
    Tuple,
)

import falcon
from falcon.routing import CompiledRouter

__all__ = ["NO_ROUTER", "Route", "RouteFinder", "RouteIndex", "all_routes", "served_methods"]

# Falcon calls a resource's on_<method> responders.
RESPONDERS = {method: "on_" + method.lower() for method in falcon.COMBINED_METHODS}
METHODS_BY_RESPONDER = {name: method for method, name in RESPONDERS.items()}


class Route(NamedTuple):
    """A route Falcon finds: its resource, the methods Falcon serves for it, its URI
    template and Falcon's method map (the responder it calls for each method)."""

    resource: object
    methods: FrozenSet[str]
    template: Optional[str] = None
    responders: Mapping[str, object] = {}


def served_methods(resource: object) -> FrozenSet[str]:
    """The methods Falcon serves for ``resource``: its responders, and OPTIONS always.

    (Precomputed names: Falcon's own map_http_methods costs more than a whole preflight.)
    """
    if resource is None:
        return frozenset()
    # hug's routes are namedtuples of their responders: the fields say it all, at once.
    names = getattr(resource, "_fields", None) if isinstance(resource, tuple) else None
    if names is not None:
        served = [METHODS_BY_RESPONDER[name] for name in names if name in METHODS_BY_RESPONDER]
    else:
        served = [method for method, name in RESPONDERS.items() if hasattr(resource, name)]
    return frozenset(served).union(("OPTIONS",))


def routed_methods(resource: object, method_map: Mapping[str, object]) -> FrozenSet[str]:
    """The methods Falcon serves for a route: those its method map sends to a responder
    of the resource's own (suffixed ones, ``on_get_collection``, included), and OPTIONS
    always; without a method map, :func:`served_methods`."""
    if not method_map:
        return served_methods(resource)
    # Falcon fills the rest of the map with its own 405 and OPTIONS responders.
    served = [m for m, responder in method_map.items() if not is_falcon_default(responder)]
    return frozenset(served).union(("OPTIONS",))


def is_falcon_default(responder: object) -> bool:
    """Whether ``responder`` is one of Falcon's own (405, OPTIONS), not the resource's."""
    # Not responder.__module__: functools.partial (hug's version router) has none before
    # Python 3.10.
    return getattr(responder, "__module__", None) == "falcon.responders"


class _Node:
    """A node of Falcon's tree: its route, if any, and its children by kind."""

    __slots__ = ("field", "literals", "patterns", "route")

    def __init__(self, falcon_node: Any, children: Sequence[Any]) -> None:
        self.route = None if falcon_node is None else _route_of(falcon_node)
        self.literals: Dict[str, _Node] = {}  # literal siblings are distinct: a dict finds one
        patterns: List[Tuple[Pattern[str], _Node]] = []  # Falcon tries them in this order
        self.field: Optional[_Node] = None  # Falcon allows one simple field per level
        for child in children:
            node = _Node(child, child.children)
            if not child.is_var:
                self.literals[child.raw_segment] = node
            elif child.is_complex:
                patterns.append((child.var_pattern, node))
            else:
                self.field = node
        self.patterns = tuple(patterns)


def _route_of(falcon_node: Any) -> Optional[Route]:
    resource = falcon_node.resource
    if resource is None:
        return None
    responders = falcon_node.method_map or {}
    return Route(
        resource, routed_methods(resource, responders), falcon_node.uri_template, responders
    )


def all_routes(router: object) -> Optional[List[Route]]:
    """Every route of a Falcon ``CompiledRouter``, walking its tree; None for a router
    that cannot be read (a router of one's own), an empty list for no router."""
    if router is not None and not hasattr(router, "_roots"):
        return None
    routes = []
    pending = list(getattr(router, "_roots", ()))
    while pending:
        falcon_node = pending.pop()
        pending.extend(falcon_node.children)
        route = _route_of(falcon_node)
        if route is not None:
            routes.append(route)
    return routes


def _exact(nodes: Sequence[Any]) -> bool:
    """Whether the index finds what Falcon finds below these nodes. Not so if a converter
    (it may refuse a value, for the next sibling to match) or a backslash or quote in a
    literal (Falcon's generated code quotes literals: "\\t" is a tab, "'" fails) is there."""
    return all(
        not node.var_converter_map
        and (node.is_var or ("\\" not in node.raw_segment and "'" not in node.raw_segment))
        and _exact(node.children)
        for node in nodes
    )


def _below(node: _Node, path: List[str], depth: int) -> Optional[Route]:
    """The route for path[depth:] below ``node``, trying children in Falcon's order."""
    if depth == len(path):
        return node.route  # Falcon's route nodes match only when no segment is left
    segment = path[depth]
    child = node.literals.get(segment)
    if child is not None:
        found = _below(child, path, depth + 1)
        if found is not None:
            return found
    # Then the complex fields ("v{version}"), then the simple one ("{id}"), backtracking
    # to the next when the rest of the path finds nothing below one.
    for pattern, child in node.patterns:
        if pattern.match(segment) is not None:
            found = _below(child, path, depth + 1)
            if found is not None:
                return found
    return None if node.field is None else _below(node.field, path, depth + 1)


class RouteIndex:
    """The routes of a Falcon ``CompiledRouter``, found by dict lookups, not comparisons.

    >>> class Items:
    ...     def on_get(self, req, resp): ...
    >>> router = CompiledRouter()
    >>> items = Items()
    >>> router.add_route("/items/{id}", items)
    >>> index = RouteIndex.build(router)
    >>> route = index.find("/items/3")
    >>> route.resource is items, sorted(route.methods)
    (True, ['GET', 'OPTIONS'])
    >>> index.find("/items/3/parts") is None
    True

    It is a snapshot: build it again after adding routes.
    """

    __slots__ = ("_root",)

    def __init__(self, root: _Node) -> None:
        self._root = root

    @classmethod
    def build(cls, router: object) -> Optional[RouteIndex]:
        """An index of ``router``'s routes, or None if it cannot find exactly what
        ``router.find`` does: ``router`` is not a CompiledRouter (or replaces its ``find``),
        or a template has a field converter (``{id:int}``), or a backslash or a quote."""
        roots = getattr(router, "_roots", None)
        if roots is None or getattr(type(router), "find", None) is not CompiledRouter.find:
            return None
        return cls(_Node(None, roots)) if _exact(roots) else None

    def find(self, path: str, req: object = None) -> Optional[Route]:
        """The route of the resource ``router.find(path)`` returns, or None, as it does
        (``req``, which Falcon's router ignores too, is taken for :class:`RouteFinder`)."""
        # Falcon's split: leading slashes go, any other empty segment stays.
        return _below(self._root, path.lstrip("/").split("/"), 0)


class RouterSnapshot(NamedTuple):
    """A router as it was when looked at: itself, its compiled finder, how to find in it."""

    router: object
    compiled: object  # Falcon recompiles _find on every add_route
    find: Callable[[str, object], Optional[Route]]


def _nowhere(path: str, req: object = None) -> Optional[Route]:
    return None


# No router looked at yet.
NO_ROUTER = RouterSnapshot(None, None, _nowhere)


class RouteFinder:
    """The route of a path in the router ``router_of()`` returns, as it is now.

    Routes are added after the middleware is built, and hug builds a new Falcon app
    on each ``server()`` call, so the index is built on first use and again whenever
    the router changes (Falcon recompiles ``_find`` on every ``add_route``). It is
    derived from the routes alone, never from a request: its size is the router's.
    Routers it cannot index are asked directly.
    """

    __slots__ = ("_current", "_router_of")

    def __init__(self, router_of: Callable[[], object]) -> None:
        self._router_of = router_of
        # Replaced whole, so threads that race to rebuild it each see one consistent snapshot.
        self._current = NO_ROUTER

    def current(self) -> RouterSnapshot:
        """The snapshot of the router as it is now, built again if it changed."""
        router = self._router_of()
        snapshot = self._current
        if router is not snapshot.router or getattr(router, "_find", None) is not snapshot.compiled:
            snapshot = RouterSnapshot(router, getattr(router, "_find", None), _finder(router))
            self._current = snapshot
        return snapshot

    def find(self, path: str, req: object = None) -> Optional[Route]:
        """The route of ``path``; ``req`` goes to a router that is asked directly."""
        return self.current().find(path, req)


def _finder(router: Any) -> Callable[[str, object], Optional[Route]]:
    if router is None:
        return _nowhere
    index = RouteIndex.build(router)
    return asking_the_router(router) if index is None else index.find


def asking_the_router(router: Any) -> Callable[[str, object], Optional[Route]]:
    """How to find a route by asking ``router.find`` itself, for a router the index cannot
    stand for (benchmarks/vs_falcon.py times it against the index)."""
    # The routes of a CompiledRouter's tree, by the method map find() returns with each:
    # what a route serves is worked out once, not per request.
    known = {id(route.responders): route for route in all_routes(router) or ()}

    def ask_the_router(path: str, req: object) -> Optional[Route]:
        found = router.find(path, req=req)
        if found is None or found[0] is None:
            return None
        route = known.get(id(found[1]))
        if route is not None and route.resource is found[0]:
            return route
        # Falcon's router returns (resource, method map, fields, template); older ones
        # leave the template out.
        template = found[3] if len(found) > 3 else None
        responders = found[1] or {}
        return Route(found[0], routed_methods(found[0], responders), template, responders)

    return ask_the_router
