"""hug-cors against Falcon's own CORSMiddleware, in plain Falcon 4 apps, WSGI and ASGI.

    python -m pip install -e . "falcon==4.*"  # no hug needed
    python benchmarks/vs_falcon.py            # a few minutes; writes docs/benchmarks-falcon.md
    python benchmarks/vs_falcon.py --quick    # a smoke run; writes nothing

(or ``tox -e bench-falcon``). The same app (``/r{n}/{id:int}`` routes serving GET and PUT,
the request to the last of them) with no middleware, with
``falcon.CORSMiddleware(allow_origins=[ORIGIN], allow_credentials=[ORIGIN])`` and with
``hug_cors.CORSMiddleware(app, allow_origins=[ORIGIN], max_age=600)``: the same origin
allowed with credentials. Every request goes through the app's callable in this process
(WSGI: the environ copied per call; ASGI: one event loop runs a batch of calls). Cases are
timed in batches with the garbage collector off, interleaved in random order per
repetition; a ratio is the median of the per-repetition ratios.

The route lookup: hug-cors finds a preflight's route before Falcon routes, with its own
index of Falcon's tree (a dict lookup per segment), which steps aside for converter fields
(``{id:int}``) and asks Falcon's router. Its lookup is timed against Falcon's
``app._router.find(path)`` (the path of the last of ``/r{n}/items``, ``/r{n}/{id}`` or
``/r{n}/{id:int}`` routes), and a whole WSGI preflight with the index against one that
asks Falcon's router instead.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import falcon
import falcon.asgi
import falcon.testing
from timing import quartiles, time_batch

import hug_cors
from hug_cors._route_index import RouterSnapshot, asking_the_router

ORIGIN = "https://app.example.com"
VARIANTS = ("none", "falcon", "hug-cors")
SCENARIOS: Dict[str, Tuple[str, Dict[str, str]]] = {
    "GET, allowed origin": ("GET", {"Origin": ORIGIN}),
    "preflight, allowed": (
        "OPTIONS",
        {
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    ),
}
ROOT = Path(__file__).resolve().parent.parent
# Routes by kind: the template of route n, and the path of a request to it.
ROUTE_KINDS = {
    "static": ("/r{n}/items", "/r{n}/items"),
    "field": ("/r{n}/{{id}}", "/r{n}/7"),
    "converter": ("/r{n}/{{id:int}}", "/r{n}/7"),
}
LOOKUPS = ("Falcon's router", "hug-cors")
PREFLIGHT_FINDERS = ("index", "router")


class Item:
    def on_get(self, req: Any, resp: Any, id: int) -> None:
        resp.media = {"id": id}

    def on_put(self, req: Any, resp: Any, id: int) -> None:
        resp.media = {"id": id, "saved": True}


class AsyncItem:
    async def on_get(self, req: Any, resp: Any, id: int) -> None:
        resp.media = {"id": id}

    async def on_put(self, req: Any, resp: Any, id: int) -> None:
        resp.media = {"id": id, "saved": True}


def build(kind: str, variant: str, routes: int) -> Any:
    app = falcon.asgi.App() if kind == "ASGI" else falcon.App()
    if variant == "falcon":
        app.add_middleware(
            falcon.CORSMiddleware(allow_origins=[ORIGIN], allow_credentials=[ORIGIN])
        )
    elif variant == "hug-cors":
        app.add_middleware(hug_cors.CORSMiddleware(app, allow_origins=[ORIGIN], max_age=600))
    resource = AsyncItem() if kind == "ASGI" else Item()
    for n in range(routes):
        app.add_route(f"/r{n}/{{id:int}}", resource)
    return app


def routed_app(kind: str, routes: int, finder: str) -> Tuple[Any, Any, str]:
    """A WSGI app with hug-cors and ``routes`` routes of ``kind``, its middleware and the
    path of the last route; with ``finder="router"``, hug-cors asks Falcon's router for
    every route, as it does for a router its index cannot stand for."""
    app = falcon.App()
    cors = hug_cors.CORSMiddleware(app, allow_origins=[ORIGIN], max_age=600)
    app.add_middleware(cors)
    template, path = ROUTE_KINDS[kind]
    for n in range(routes):
        app.add_route(template.format(n=n), Item())
    path = path.format(n=routes - 1)
    router = app._router
    router.find(path)  # Falcon compiles its router on the first find
    if finder == "router":  # the snapshot the middleware keeps while the router is unchanged
        cors._routes._current = RouterSnapshot(router, router._find, asking_the_router(router))
    return app, cors, path


def lookup_batch(find: Callable[..., Any], path: str) -> Callable[[int], float]:
    """A function timing ``calls`` lookups of ``path``: microseconds per lookup."""

    def batch(calls: int) -> float:
        enabled = gc.isenabled()
        gc.disable()
        try:
            started = time.perf_counter_ns()
            for _ in range(calls):
                find(path, None)  # Falcon's router.find(path, req), and hug-cors' alike
            return (time.perf_counter_ns() - started) / calls / 1000
        finally:
            if enabled:
                gc.enable()

    return batch


def route_cases() -> Dict[Tuple[str, int, str, str], Callable[..., Any]]:
    """The lookups (Falcon's router, hug-cors') and the preflights (by the index, by
    Falcon's router), by (section, routes, route kind, variant)."""
    preflight = SCENARIOS["preflight, allowed"][1]
    cases: Dict[Tuple[str, int, str, str], Callable[..., Any]] = {}
    for routes in (1, 100, 1000):
        for kind in ROUTE_KINDS:
            app, cors, path = routed_app(kind, routes, "index")
            router, snapshot = app._router, cors._routes.current()
            found = snapshot.find(path, None)
            assert found is not None, (kind, path)
            assert found.resource is router.find(path)[0], (kind, path)
            cases[("lookup", routes, kind, LOOKUPS[0])] = lookup_batch(router.find, path)
            cases[("lookup", routes, kind, LOOKUPS[1])] = lookup_batch(snapshot.find, path)
            if kind == "converter":
                continue  # the index steps aside: both variants ask Falcon's router
            for finder in PREFLIGHT_FINDERS:
                app, cors, path = routed_app(kind, routes, finder)
                check(app, "WSGI", "OPTIONS", path, preflight)
                assert cors._routes.current().find.__name__ == (
                    "ask_the_router" if finder == "router" else "find"
                )
                cases[("preflight", routes, kind, finder)] = wsgi_batch(
                    app, "OPTIONS", path, preflight
                )
    return cases


def asgi_batch(app: Any, method: str, path: str, headers: Dict[str, str]) -> Callable[..., Any]:
    """A function timing ``calls`` requests to the ASGI ``app`` in one event loop."""
    scope = falcon.testing.create_scope(path=path, method=method, headers=headers)
    # Falcon makes them iterators (the list and its pairs), which one request would consume.
    scope["headers"] = [tuple(header) for header in scope["headers"]]
    loop = asyncio.new_event_loop()

    async def receive() -> Dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Dict[str, Any]) -> None:
        pass

    async def run(calls: int) -> float:
        started = time.perf_counter_ns()
        for _ in range(calls):
            await app(dict(scope), receive, send)
        return (time.perf_counter_ns() - started) / calls / 1000

    def batch(calls: int) -> float:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return loop.run_until_complete(run(calls))
        finally:
            if enabled:
                gc.enable()

    return batch


def wsgi_batch(app: Any, method: str, path: str, headers: Dict[str, str]) -> Callable[..., Any]:
    environ = falcon.testing.create_environ(path=path, method=method, headers=headers)
    environ["wsgi.input"] = io.BytesIO(b"")
    return lambda calls: time_batch(app, environ, calls)[0]


def check(app: Any, kind: str, method: str, path: str, headers: Dict[str, str]) -> None:
    """One request through Falcon's test client: the CORS answer is there."""
    result = falcon.testing.TestClient(app).simulate_request(method, path, headers=headers)
    assert result.headers.get("access-control-allow-origin") == ORIGIN, (kind, result.headers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run; writes nothing")
    parser.add_argument("--repetitions", type=int, default=None, help="default 60 (--quick: 5)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks-falcon.md")
    options = parser.parse_args()
    repetitions = options.repetitions or (5 if options.quick else 60)
    batch_seconds = 0.001 if options.quick else 0.004
    cases: Dict[Tuple[str, int, str, str], Callable[..., Any]] = {}
    for kind in ("WSGI", "ASGI"):
        for routes in (1, 100, 1000):
            path = f"/r{routes - 1}/7"
            for variant in VARIANTS:
                app = build(kind, variant, routes)
                for scenario, (method, headers) in SCENARIOS.items():
                    if variant != "none":
                        check(app, kind, method, path, headers)
                    make = asgi_batch if kind == "ASGI" else wsgi_batch
                    cases[(kind, routes, scenario, variant)] = make(app, method, path, headers)
    cases.update(route_cases())
    sizes = {}
    for key, batch in cases.items():
        per_call = min(batch(50) for _ in range(3))
        sizes[key] = max(1, round(batch_seconds / (per_call / 1e6)))
    samples: Dict[Tuple[str, int, str, str], List[float]] = {key: [] for key in cases}
    rng = random.Random(1)
    keys = list(cases)
    for repetition in range(repetitions):
        gc.collect()
        rng.shuffle(keys)
        for key in keys:
            samples[key].append(cases[key](sizes[key]))
        if (repetition + 1) % 10 == 0:
            print(f"repetition {repetition + 1}/{repetitions}", file=sys.stderr)
    lines = report(samples)
    print("\n".join(lines))
    if not options.quick:
        options.output.write_text("\n".join(lines) + "\n")
        print(f"wrote {options.output}", file=sys.stderr)


def report(samples: Dict[Tuple[str, int, str, str], List[float]]) -> List[str]:
    lines = [
        "# Benchmarks: hug-cors and Falcon's own CORSMiddleware",
        "",
        "Generated by `python benchmarks/vs_falcon.py` (see its docstring for the method) on "
        f"Python {platform.python_version()}, Falcon {falcon.__version__}, "
        f"{platform.machine()}. Microseconds per request (median, interquartile range); "
        "the ratio is hug-cors over Falcon's middleware, the median of the per-repetition "
        "ratios: below 1, hug-cors is faster.",
        "",
        "The two do not do the same work. hug-cors answers a preflight in `process_request`, "
        "before routing, authentication and other middleware's request hooks, and adds "
        "`Vary: Origin` to every answer that depends on the Origin; Falcon's middleware has "
        "no request hook (a preflight reaches the app's responder, and other middleware, "
        "first) and sends no `Vary`, so a shared cache can serve one origin's answer to "
        "another. On ASGI, where a hook is a coroutine to await, the request hook alone "
        "costs about 1.7% of a GET and `Vary` about 1% (measured by leaving each out).",
        "",
        "| app | routes | request | none | Falcon's | hug-cors | hug-cors / Falcon's |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for kind, routes, scenario in dict.fromkeys(key[:3] for key in samples):
        if kind in ("lookup", "preflight"):
            continue
        cells = []
        for variant in VARIANTS:
            low, median, high = quartiles(samples[(kind, routes, scenario, variant)])
            cells.append(f"{median:.1f} ({low:.1f}-{high:.1f})")
        ratios = [
            ours / theirs
            for ours, theirs in zip(
                samples[(kind, routes, scenario, "hug-cors")],
                samples[(kind, routes, scenario, "falcon")],
            )
        ]
        verdict = "ahead" if statistics.median(ratios) < 1 else "BEHIND"
        lines.append(
            f"| {kind} | {routes:,} | {scenario} | {' | '.join(cells)} | "
            f"{statistics.median(ratios):.3f} {verdict} |"
        )
    return lines + route_report(samples)


def route_report(samples: Dict[Tuple[str, int, str, str], List[float]]) -> List[str]:
    lines = [
        "",
        "## The route lookup: hug-cors' index and Falcon's router",
        "",
        "A preflight's route, found before Falcon routes it (see the docstring). `lookup`: "
        "microseconds per lookup of the last route's path, Falcon's `app._router.find(path)` "
        "and hug-cors' own (its index; for converter fields, Falcon's router asked through "
        "hug-cors). `preflight`: a whole WSGI preflight (allowed) with the index and with "
        "hug-cors asking Falcon's router instead. The ratio is the second over the first: "
        "below 1, hug-cors' index is faster.",
        "",
        "| timed | routes | route kind | first | second | second / first |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for section in ("lookup", "preflight"):
        variants = LOOKUPS if section == "lookup" else PREFLIGHT_FINDERS
        for routes, kind in dict.fromkeys(k[1:3] for k in samples if k[0] == section):
            first, second = (samples[(section, routes, kind, v)] for v in variants)
            cells = []
            for variant, values in zip(variants, (first, second)):
                low, median, high = quartiles(values)
                cells.append(f"{variant}: {median:.2f} ({low:.2f}-{high:.2f})")
            ratio = statistics.median(b / a for a, b in zip(first, second))
            lines.append(f"| {section} | {routes:,} | {kind} | {' | '.join(cells)} | {ratio:.3f} |")
    return lines


if __name__ == "__main__":
    main()
