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
        "| app | routes | request | none | Falcon's | hug-cors | hug-cors / Falcon's |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for kind, routes, scenario in dict.fromkeys(key[:3] for key in samples):
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
    return lines


if __name__ == "__main__":
    main()
