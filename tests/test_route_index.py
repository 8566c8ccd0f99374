"""RouteIndex finds what Falcon's CompiledRouter.find finds, by dict lookups.

The main check is differential: for route sets and paths hypothesis makes up from a small
alphabet (literals, simple fields, complex fields, empty segments, extra slashes), the
index and the router must return the very same resource, or both nothing.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, List, Optional

import hug
import pytest
from falcon.routing import CompiledRouter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hug_cors._route_index import RouteFinder, RouteIndex, served_methods
from tests.helpers import examples

_names = itertools.count()

# Pieces of templates: literals, simple fields, complex fields; "" makes "/a//b".
TEMPLATE_SEGMENTS = [
    "a",
    "b",
    "items",
    "v1",
    "",
    "{id}",
    "{name}",
    "v{version}",
    "{a}.{b}",
    "{x}-z",
]
# Pieces of paths: the literals, and values for each kind of field (or for none).
PATH_SEGMENTS = ["a", "b", "items", "v1", "v2", "1", "x.y", "3-z", "v1.2", "-z", "", "a\n"]
FIELD = re.compile(r"{[^}]*}")


class Resource:
    """A Falcon resource; each route gets its own, to tell them apart."""

    def __init__(self, template: str) -> None:
        self.template = template

    def on_get(self, req: Any, resp: Any) -> None: ...  # pragma: no cover - never called

    def __repr__(self) -> str:
        return f"Resource({self.template!r})"


def router_of(*templates: str) -> CompiledRouter:
    router = CompiledRouter()
    for template in templates:
        router.add_route(template, Resource(template))
    return router


def falcon_finds(router: CompiledRouter, path: str) -> Any:
    found = router.find(path)
    return None if found is None else found[0]


def index_finds(router: CompiledRouter, path: str) -> Any:
    """The resource the index finds for ``path``, once checked that Falcon finds it too."""
    index = RouteIndex.build(router)
    assert index is not None
    route = index.find(path)
    resource = None if route is None else route.resource
    assert resource is falcon_finds(router, path)
    return resource


def template_found(router: CompiledRouter, path: str) -> Optional[str]:
    resource = index_finds(router, path)
    return None if resource is None else str(resource.template)


templates = st.builds(
    lambda segments, trailing: "/" + "/".join(segments) + trailing,
    st.lists(st.sampled_from(TEMPLATE_SEGMENTS), min_size=1, max_size=4),
    st.sampled_from(["", "/"]),
)
paths = st.builds(
    lambda leading, segments, trailing: leading + "/".join(segments) + trailing,
    st.sampled_from(["/", "", "//"]),
    st.lists(st.sampled_from(PATH_SEGMENTS), min_size=1, max_size=5),
    st.sampled_from(["", "/", "//"]),
)


@settings(
    max_examples=examples(500),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(templates, min_size=1, max_size=8), st.lists(paths, max_size=10), st.data())
def test_finds_what_falcon_finds(
    route_templates: List[str], random_paths: List[str], data: st.DataObject
) -> None:
    router = CompiledRouter()
    for template in route_templates:
        try:
            router.add_route(template, Resource(template))
        except ValueError:  # a conflict, or a field name used twice: Falcon refuses it
            continue
    index = RouteIndex.build(router)
    assert index is not None
    # Random paths mostly miss; so also fill each template's fields with path pieces.
    value = st.sampled_from(PATH_SEGMENTS)
    filled = [FIELD.sub(lambda _: data.draw(value), template) for template in route_templates]
    for path in random_paths + filled:
        route = index.find(path)
        assert (None if route is None else route.resource) is falcon_finds(router, path), path


def test_a_literal_beats_a_field() -> None:
    router = router_of("/items/{id}", "/items/new")
    assert template_found(router, "/items/new") == "/items/new"
    assert template_found(router, "/items/3") == "/items/{id}"


def test_only_leading_slashes_are_ignored() -> None:
    router = router_of("/items", "/Xitems/{id}")
    assert template_found(router, "//items") == "/items"
    assert index_finds(router, "/Xitems") is None
    assert index_finds(router, "X/items") is None
    assert template_found(router, "//Xitems/1") == "/Xitems/{id}"


def test_backtracks_when_the_rest_of_the_path_finds_nothing() -> None:
    # /a/b/y: the literal "a" leads to /a/{id}/x, which wants "x"; the field {k} then fits.
    router = router_of("/a/{id}/x", "/{k}/b/y")
    assert template_found(router, "/a/b/y") == "/{k}/b/y"
    assert template_found(router, "/a/b/x") == "/a/{id}/x"
    assert index_finds(router, "/a/c/y") is None


def test_complex_fields_come_before_the_simple_one_in_the_order_added() -> None:
    router = router_of("/{id}", "/{a}.{b}", "/v{version}")
    for path, template in [("/v1.2", "/{a}.{b}"), ("/v1", "/v{version}"), ("/1", "/{id}")]:
        assert template_found(router, path) == template


@pytest.mark.parametrize(
    "path", ["/items", "/items/3/parts", "/items/3/", "/", "", "items/3", "//items/3", "/items//3"]
)
def test_a_route_matches_exactly_its_number_of_segments(path: str) -> None:
    # Leading slashes go, others make segments: "items/3" and "//items/3" are "/items/3",
    # "/items/3/" has an empty third segment, "/items//3" an empty second.
    router = router_of("/items/{id}")
    assert (index_finds(router, path) is None) is (path not in ("items/3", "//items/3"))


def test_a_template_trailing_slash_is_dropped_a_path_one_is_not() -> None:
    router = router_of("/items/", "/")
    assert template_found(router, "/items") == "/items/"
    assert index_finds(router, "/items/") is None
    assert template_found(router, "") == "/"


def hug_api() -> Any:
    api = hug.API(f"hug_cors_test_routing_{next(_names)}")

    @hug.get("/items/{id}", api=api, versions=1)
    def get_item(id: str) -> str:
        return id  # pragma: no cover - never called

    @hug.put("/items/{id}", api=api, versions=1)
    def put_item(id: str) -> str:
        return id  # pragma: no cover - never called

    @hug.get("/health", api=api)
    def health() -> str:
        return "ok"  # pragma: no cover - never called

    return api


def test_hug_versioned_and_unversioned_routes() -> None:
    router = hug_api().http.server()._router
    for path in ["/v1/items/3", "/items/3", "/v2/items/3", "/health", "/v1/health"]:
        assert index_finds(router, path) is not None  # and is what Falcon finds
    assert index_finds(router, "/v1/items/3") is index_finds(router, "/items/3")
    assert index_finds(router, "/v/items/3") is None  # "v{api_version}" needs a version


def test_the_methods_of_a_hug_route() -> None:
    index = RouteIndex.build(hug_api().http.server()._router)
    assert index is not None
    route = index.find("/v1/items/3")
    assert route is not None
    assert route.methods == {"GET", "PUT", "OPTIONS"}
    assert route.methods == served_methods(route.resource)


def test_the_methods_of_a_falcon_resource() -> None:
    class Things:
        def on_get(self, req: Any, resp: Any) -> None: ...  # pragma: no cover - never called

        def on_post(self, req: Any, resp: Any) -> None: ...  # pragma: no cover - never called

    things = Things()
    router = CompiledRouter()
    router.add_route("/things", things)
    index = RouteIndex.build(router)
    assert index is not None
    found = index.find("/things")
    assert found is not None
    assert found[:3] == (things, frozenset({"GET", "POST", "OPTIONS"}), "/things")
    assert set(found.responders) >= {"GET", "POST", "OPTIONS"}
    assert served_methods(None) == frozenset()


class Fields:
    """A resource with an attribute named like a namedtuple's fields, and only on_get."""

    _fields = ("on_delete", "on_put")

    def on_get(self, req: Any, resp: Any) -> None: ...  # pragma: no cover - never called


class Pair(tuple):  # type: ignore[type-arg]
    """A resource that is a tuple, but not a namedtuple."""

    def on_get(self, req: Any, resp: Any) -> None: ...  # pragma: no cover - never called


def test_the_methods_of_resources_that_look_like_hugs() -> None:
    """hug's routes are namedtuples whose fields name their responders; other resources
    are asked for their responders, whatever they hold."""
    assert served_methods(Fields()) == {"GET", "OPTIONS"}
    assert served_methods(Pair()) == {"GET", "OPTIONS"}


def test_no_index_for_field_converters() -> None:
    # {id:int} refuses "x": Falcon then tries the next sibling, which only running it tells.
    assert RouteIndex.build(router_of("/items/{id:int}")) is None
    assert RouteIndex.build(router_of("/a", "/b/v{version:int}")) is None


class OwnFind(CompiledRouter):  # type: ignore[misc]
    def find(self, uri: str, req: Optional[Any] = None) -> Any:
        return None  # pragma: no cover - never called


@pytest.mark.parametrize("router", [object(), None, {"_roots": []}, OwnFind()])
def test_no_index_for_other_routers(router: object) -> None:
    assert RouteIndex.build(router) is None


def test_no_index_for_literals_falcon_reads_as_code() -> None:
    # Falcon pastes a literal into its generated code in quotes: "\t" becomes a tab...
    tab = router_of("/a\\tb")
    assert falcon_finds(tab, "/a\\tb") is None
    assert falcon_finds(tab, "/a\tb") is not None
    assert RouteIndex.build(tab) is None
    # ...and a quote fails to compile, after the route is in the tree: Falcon keeps its
    # old finder, which knows nothing of it.
    quote = CompiledRouter()
    with pytest.raises(SyntaxError):
        quote.add_route("/it's", Resource("/it's"))
    assert falcon_finds(quote, "/it's") is None
    assert RouteIndex.build(quote) is None


def test_an_empty_router() -> None:
    index = RouteIndex.build(CompiledRouter())
    assert index is not None
    assert index.find("/") is None


def test_a_thousand_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    # Falcon compiles its finder again on every add_route: compile once, at the end.
    compile_finder = CompiledRouter._compile
    monkeypatch.setattr(CompiledRouter, "_compile", lambda self: None)
    router = CompiledRouter()
    for n in range(1000):
        resource = Resource(f"/r{n}/{{id}}")
        router.add_route(f"/r{n}/{{id}}", resource)
        router.add_route(f"/v{{api_version}}/r{n}/{{id}}", resource)
    router._find = compile_finder(router)
    for path in ["/v1/r999/42", "/r999/42", "/v1/r0/42", "/r1000/42", "/v1/r999"]:
        index_finds(router, path)  # checks that Falcon finds the same
    assert index_finds(router, "/v1/r999/42") is resource


# RouteFinder: the index of the router as it is now.


def test_routes_added_after_a_lookup_are_found() -> None:
    router = router_of("/a")
    routes = RouteFinder(lambda: router)
    assert routes.find("/b") is None
    b = Resource("/b")
    router.add_route("/b", b)
    found = routes.find("/b")
    assert found is not None
    assert found.resource is b


def test_a_new_router_is_indexed_when_it_replaces_the_old_one() -> None:
    current = [router_of("/old")]
    routes = RouteFinder(lambda: current[0])
    assert routes.find("/old") is not None
    current[0] = router_of("/new")
    assert routes.find("/old") is None
    assert routes.find("/new") is not None


def test_a_router_that_cannot_be_indexed_is_asked_with_the_request() -> None:
    asked = []

    class Router:
        def find(self, uri: str, req: Optional[Any] = None) -> Any:
            asked.append((uri, req))
            return (Resource(uri), {}, {}, uri) if uri == "/here" else None

    routes = RouteFinder(Router)
    found = routes.find("/here", "the request")
    assert found is not None
    assert found.methods == frozenset({"GET", "OPTIONS"})
    assert routes.find("/there") is None
    assert asked == [("/here", "the request"), ("/there", None)]


def test_no_router_no_route() -> None:
    current: List[Optional[CompiledRouter]] = [None]
    routes = RouteFinder(lambda: current[0])
    assert routes.find("/a") is None
    current[0] = router_of("/a")
    assert routes.find("/a") is not None
    current[0] = None
    assert routes.find("/a") is None


def test_a_falcon_router_is_read_into_the_index_not_asked_per_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Finding a route in Falcon's router costs a walk of the index, whatever the router
    holds: the router's own lookup (``find``, which calls the compiled ``_find``) is never
    made."""
    router = router_of("/items/{id}")
    router.find("/items/3")  # Falcon compiles its lookup on first use
    compiled = router._find
    asked = []

    def find(*args: Any) -> Any:
        asked.append(args)
        return compiled(*args)

    monkeypatch.setattr(router, "_find", find)
    assert router.find("/items/3") is not None
    asked.clear()
    found = RouteFinder(lambda: router).find("/items/3")
    assert found is not None
    assert found.template == "/items/{id}"
    assert asked == []
