"""Where hug-cors spends its time (``--profile``): cProfile of its preflight and simple
GET (``profile``), and its two hooks timed directly on ready-made Falcon requests and
responses (``hook_times``)."""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import statistics
import time
from typing import Any, Dict, Tuple

import bench_apps
import falcon
from cases import SCENARIOS, environ, routes_label
from timing import time_batch


def profile(routes: int, calls: int) -> str:
    """cProfile of hug-cors' preflight and simple GET: the top functions, µs per request."""
    app, cors = bench_apps.build_with_middleware("hug-cors", routes)
    none = bench_apps.build("none", routes)
    path = bench_apps.deep_path(routes)
    out = io.StringIO()
    for scenario in ("preflight, allowed", "GET, allowed origin"):
        method, headers = SCENARIOS[scenario]
        base = environ(method, path, headers)
        time_batch(app, base, 2000)
        time_batch(none, base, 2000)
        # CPU time of this thread: on a loaded machine, wall time counts other processes.
        plain = statistics.median(time_batch(app, base, 200)[1] for _ in range(25))
        without = statistics.median(time_batch(none, base, 200)[1] for _ in range(25))
        direct = [hook_times(app, cors, base, 300) for _ in range(25)]
        request_hook = statistics.median(h[0] for h in direct)
        response_hook = statistics.median(h[1] for h in direct)
        profiler = cProfile.Profile()
        profiler.enable()
        time_batch(app, base, calls)
        profiler.disable()
        stats = pstats.Stats(profiler)
        entries = []
        for (filename, line, name), (_, ncalls, tottime, cumtime, _) in stats.stats.items():
            where = _short(filename)
            entries.append((tottime, cumtime, ncalls, f"{where}:{line}({name})"))
        total = sum(entry[0] for entry in entries)
        ours = sum(entry[0] for entry in entries if "hug_cors" in entry[3])
        hooks = [e for e in entries if "hug_cors" in e[3] and "process_" in e[3]]
        out.write(
            f"\n{scenario}, {routes_label(routes)}: {plain:.1f} µs/request with hug-cors, "
            f"{without:.1f} without middleware (the same request, unprofiled, CPU time).\n"
            f"  hug-cors' hooks timed directly: process_request {request_hook:.2f} µs, "
            f"process_response {response_hook:.2f} µs.\n"
            f"  Under cProfile ({calls:,} requests, {total / calls * 1e6:.1f} µs/request "
            "profiled; the profiler inflates every call):\n"
        )
        out.write(
            f"  time in hug_cors' own functions: {ours / calls * 1e6:.1f} µs/request "
            f"({ours / total:.0%} of the profiled time, ~{plain * ours / total:.1f} µs of the "
            f"{plain:.1f} unprofiled)\n"
        )
        for _, cumtime, ncalls, label in sorted(hooks, reverse=True):
            out.write(
                f"  {label}: {cumtime / calls * 1e6:.2f} µs/request cumulative, "
                f"{ncalls / calls:g} call(s)\n"
            )
        out.write(f"  {'own µs/req':>10} {'cum µs/req':>10} {'calls/req':>9}  function\n")
        for tottime, cumtime, ncalls, label in sorted(entries, reverse=True)[:18]:
            out.write(
                f"  {tottime / calls * 1e6:10.2f} {cumtime / calls * 1e6:10.2f} "
                f"{ncalls / calls:9.2g}  {label}\n"
            )
    return out.getvalue()


def hook_times(app: Any, cors: Any, base: Dict[str, Any], calls: int) -> Tuple[float, float]:
    """CPU µs per call of ``cors.process_request`` and ``.process_response``, called
    directly on ready-made Falcon requests and responses (the loop's own cost included)."""
    route = app._router.find(base["PATH_INFO"])
    resource = route[0] if route else None
    pairs = []
    for _ in range(calls):
        env = dict(base, **{"wsgi.input": io.BytesIO()})
        req = falcon.Request(env, app.req_options)
        # As Falcon's routing leaves it: process_response finds the route's policy by it.
        req.uri_template = route[3] if route else None
        pairs.append((req, falcon.Response(app.resp_options)))
    process_request, process_response = cors.process_request, cors.process_response
    enabled = gc.isenabled()
    gc.disable()
    try:
        started = time.thread_time_ns()
        for req, resp in pairs:
            process_request(req, resp)
        middle = time.thread_time_ns()
        for req, resp in pairs:
            process_response(req, resp, resource, True)
        ended = time.thread_time_ns()
    finally:
        if enabled:
            gc.enable()
    return (middle - started) / calls / 1000, (ended - middle) / calls / 1000


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/src/", "/benchmarks/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename
