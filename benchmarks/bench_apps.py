"""The hug apps the benchmarks call, with each CORS middleware that is compared.

Every app is the same trivial hug API (``GET`` and ``PUT`` on ``/r{n}/{id}``,
versioned, so hug also serves ``/v1/r{n}/{id}``) with one middleware variant:

- ``none``: no CORS middleware at all, the reference;
- ``hug``: ``hug.middleware.CORSMiddleware`` from hug 2.6.1;
- ``falcon-cors``: ``falcon_cors.CORS(...).middleware`` (PyPI ``falcon-cors``);
- ``hug-middleware-cors``: ``hug_middleware_cors.CORSMiddleware`` (PyPI);
- ``hug-cors``: this project's ``hug_cors.CORSMiddleware``.

The variants are configured alike where they can be: the listed origins, with
credentials, route-aware methods where supported (else all methods), any request
header, ``max_age=600``.
"""

from __future__ import annotations

import itertools
import logging
import os
from typing import Any, Callable, Optional, Sequence, Tuple

import hug
from falcon.routing import CompiledRouter

ORIGIN = "https://app.example.com"
REFUSED_ORIGIN = "https://evil.example"
VARIANTS = ("none", "hug", "falcon-cors", "hug-middleware-cors", "hug-cors")

_names = itertools.count()

# falcon-cors logs every refusal at INFO on a StreamHandler it installs itself; give it
# a silent logger so that the benchmark times CORS, not writes to stderr.
_quiet = logging.getLogger("hug_cors_bench.falcon_cors")
_quiet.addHandler(logging.NullHandler())
_quiet.setLevel(logging.WARNING)
_quiet.propagate = False


def middleware(
    variant: str,
    api: hug.API,
    origins: Sequence[str] = (ORIGIN,),
    origin_regex: Optional[str] = None,
) -> Optional[Any]:
    """The middleware object of ``variant`` for ``api``, or None for ``"none"``."""
    if variant == "none":
        return None
    if variant == "hug":
        return hug.middleware.CORSMiddleware(api, allow_origins=list(origins), max_age=600)
    if variant == "falcon-cors":
        from falcon_cors import CORS

        cors = CORS(
            logger=_quiet,
            allow_origins_list=list(origins),
            allow_origins_regex=origin_regex,
            allow_credentials_origins_list=list(origins),
            allow_credentials_origins_regex=origin_regex,
            allow_all_methods=True,
            allow_all_headers=True,
            max_age=600,
        )
        return cors.middleware
    if variant == "hug-middleware-cors":
        import hug_middleware_cors

        return hug_middleware_cors.CORSMiddleware(api, allow_origins=list(origins), max_age=600)
    if variant == "hug-cors":
        import hug_cors

        return hug_cors.CORSMiddleware(
            api, allow_origins=list(origins), allow_origin_regex=origin_regex, max_age=600
        )
    raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")


def _route(api: hug.API, n: int) -> None:
    # A fresh function per route and method: hug attaches its interface to the function.
    def get_item(id):
        return {"route": n, "id": id}

    def put_item(id):
        return {"route": n, "id": id, "saved": True}

    hug.get(f"/r{n}/{{id}}", api=api, versions=1)(get_item)
    hug.put(f"/r{n}/{{id}}", api=api, versions=1)(put_item)


def falcon_lines(answer: Any) -> Tuple[Tuple[str, str], ...]:
    """An answer's headers and Vary as Falcon keys a response's headers: by lower-case name."""
    return tuple((name.lower(), value) for name, value in (*answer.headers, ("Vary", answer.vary)))


def write_lines(resp: Any, lines: Tuple[Tuple[str, str], ...]) -> None:
    """Write ready-made lines the cheapest way there is: into Falcon's header dict, as
    hug-cors does, less the lower-casing and the merge with the app's own Vary."""
    headers = resp._headers
    for name, value in lines:
        headers[name] = value


class PreflightFloor:
    """Not CORS: the least a preflight answer can cost in this app, as a reference.

    To every preflight it writes, unchecked, the six headers hug-cors sends to the
    benchmark's allowed preflight, with hug-cors' status (200, an empty body). With
    ``find_route`` it first looks the route up, as a route-aware answer must (with
    hug-cors' index, the cheapest lookup there is).
    """

    def __init__(self, api: hug.API, find_route: bool) -> None:
        from hug_cors import CORSPolicy
        from hug_cors._route_index import RouteFinder

        http = api.http
        self.routes = RouteFinder(lambda: http.falcon._router) if find_route else None
        answer = CORSPolicy(allow_origins=[ORIGIN], max_age=600).preflight(
            ORIGIN, "PUT", "content-type", None, frozenset({"GET", "PUT", "OPTIONS"})
        )
        self.lines = falcon_lines(answer)

    def process_request(self, req: Any, resp: Any) -> None:
        env = req.env
        preflight = "HTTP_ORIGIN" in env and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in env
        if req.method == "OPTIONS" and preflight:
            if self.routes is not None:
                self.routes.find(req.path)
            resp.complete = True
            resp.status = "200 OK"
            write_lines(resp, self.lines)

    def process_response(self, req: Any, resp: Any, resource: Any, req_succeeded: bool) -> None:
        pass


class GetFloor:
    """Not CORS: the least a CORS answer to a GET can cost in this app, as a reference.

    Both hooks run, and ``process_response`` writes, unchecked, the three headers
    hug-cors sends to the benchmark's allowed GET (Access-Control-Allow-Origin,
    -Allow-Credentials and Vary).
    """

    def __init__(self) -> None:
        from hug_cors import CORSPolicy

        self.lines = falcon_lines(CORSPolicy(allow_origins=[ORIGIN]).actual(ORIGIN))

    def process_request(self, req: Any, resp: Any) -> None:
        pass

    def process_response(self, req: Any, resp: Any, resource: Any, req_succeeded: bool) -> None:
        write_lines(resp, self.lines)


def build_get_floor(routes: int) -> Callable[..., Any]:
    """The app of :func:`build` with a :class:`GetFloor` instead of CORS."""
    return build_app(routes, lambda api: GetFloor())[0]


def build_floor(routes: int, find_route: bool) -> Callable[..., Any]:
    """The app of :func:`build` with a :class:`PreflightFloor` instead of CORS."""
    return build_app(routes, lambda api: PreflightFloor(api, find_route))[0]


def build_listed(routes: int) -> Callable[..., Any]:
    """The app of :func:`build` with hug-cors given the methods and headers to allow,
    as in the README's example: no route lookup is needed to answer a preflight."""
    import hug_cors

    return build_app(
        routes,
        lambda api: hug_cors.CORSMiddleware(
            api,
            allow_origins=[ORIGIN],
            allow_methods=["GET", "PUT"],
            allow_headers=["content-type"],
            max_age=600,
        ),
    )[0]


def build_with_route_policies(routes: int) -> Callable[..., Any]:
    """The hug-cors app of :func:`build` with per-route policies configured: a pattern
    and a decorated route that the benchmarked route is not, so that its requests pay
    for finding their route's policy and get the default one."""
    import hug_cors

    app, _ = build_app(
        routes,
        lambda api: hug_cors.CORSMiddleware(
            api,
            allow_origins=[ORIGIN],
            max_age=600,
            route_policies={"/admin/*": None},
        ),
        exempt_route=True,
    )
    return app


def build_rejecting_writes(routes: int) -> Callable[..., Any]:
    """The hug-cors app of :func:`build` with ``reject_cross_origin_writes=True``."""
    import hug_cors

    app, _ = build_app(
        routes,
        lambda api: hug_cors.CORSMiddleware(
            api, allow_origins=[ORIGIN], max_age=600, reject_cross_origin_writes=True
        ),
    )
    return app


# The tenants' origins that build_with_origin_func's function allows: a set, as a
# database's index would find them.
TENANT_ORIGINS = frozenset({"https://shop.tenant.example"})


def build_with_origin_func(
    origins: Sequence[str], origin_regex: str, routes: int = 1
) -> Callable[..., Any]:
    """hug-cors with ``origins`` and ``origin_regex`` and an ``allow_origin_func`` that
    allows the tenants' origins (its decisions cached, as they are between requests)."""
    import hug_cors

    return build_app(
        routes,
        lambda api: hug_cors.CORSMiddleware(
            api,
            allow_origins=list(origins),
            allow_origin_regex=origin_regex,
            allow_origin_func=TENANT_ORIGINS.__contains__,
            max_age=600,
        ),
    )[0]


def build_app(
    routes: int,
    make_middleware: Callable[[hug.API], Optional[Any]],
    exempt_route: bool = False,
) -> Tuple[Any, Optional[Any]]:
    """The app of :func:`build` (a ``falcon.API``) with the middleware
    ``make_middleware(api)`` returns (None: no middleware), and that middleware; with
    ``exempt_route``, also ``GET /admin/users`` with ``@route_policy(None)``."""
    api = hug.API(f"hug_cors_bench_{next(_names)}")  # hug keeps one API per name
    added = make_middleware(api)
    if added is not None:
        api.http.add_middleware(added)
    for n in range(routes):
        _route(api, n)
    if exempt_route:
        import hug_cors

        hug.get("/admin/users", api=api)(hug_cors.route_policy(None)(lambda: []))
    return _server(api), added


def build(
    variant: str,
    routes: int = 1,
    origins: Sequence[str] = (ORIGIN,),
    origin_regex: Optional[str] = None,
) -> Callable[..., Any]:
    """The WSGI callable of a hug app with ``routes`` routes and ``variant``'s middleware."""
    return build_with_middleware(variant, routes, origins, origin_regex)[0]


def build_with_middleware(
    variant: str,
    routes: int = 1,
    origins: Sequence[str] = (ORIGIN,),
    origin_regex: Optional[str] = None,
) -> Tuple[Any, Optional[Any]]:
    """:func:`build`'s WSGI callable (a ``falcon.API``) and the middleware object in it."""
    return build_app(routes, lambda api: middleware(variant, api, origins, origin_regex))


def _server(api: hug.API) -> Any:
    """``api.http.server()``, built in linear time.

    Falcon 2.0's router regenerates and recompiles its whole ``find`` function on every
    ``add_route``, so building an app of 2,000 routes (1,000 and their ``/v1`` forms)
    takes minutes. It is compiled once here, after the last route: the router and the
    function that serves requests are exactly those ``server()`` builds.
    """
    router_class = CompiledRouter
    compile_router = router_class._compile
    router_class._compile = lambda self: None
    try:
        app = api.http.server()
    finally:
        router_class._compile = compile_router
    app._router._find = app._router._compile()
    return app


def deep_path(routes: int) -> str:
    """The path the benchmarks request: the versioned form of the last route added."""
    return f"/v1/r{routes - 1}/42"


# --- The demo-like app served by real WSGI servers (run.py --e2e). -------------------


def build_demo(variant: str) -> Callable[..., Any]:
    """A few routes like examples/demo.py's API, with ``variant``'s middleware."""
    api = hug.API(f"hug_cors_bench_demo_{next(_names)}")
    added = middleware(variant, api)
    if added is not None:
        api.http.add_middleware(added)

    @hug.get("/hello", api=api)
    def hello():
        return {"message": "Hello from the API"}

    @hug.post("/echo", api=api)
    def echo(body):
        return {"received": body}

    @hug.get("/items", api=api)
    def list_items(response):
        response.set_header("X-Total-Count", "1")
        return [{"id": 1, "name": "teapot"}]

    @hug.get("/items/{item_id}", api=api)
    def get_item(item_id: int):
        return {"id": item_id, "name": "teapot"}

    @hug.put("/items/{item_id}", api=api)
    def put_item(item_id: int, body):
        return {"id": item_id, "saved": body}

    return api.http.server()


def demo_app_from_environment() -> Callable[..., Any]:
    """The demo app for the variant named in ``HUG_CORS_BENCH_VARIANT``."""
    return build_demo(os.environ.get("HUG_CORS_BENCH_VARIANT", "hug-cors"))
