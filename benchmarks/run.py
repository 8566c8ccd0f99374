"""hug-cors benchmarks: in-process WSGI medians, the project's quality targets, end to end.

    python -m pip install -e . -r benchmarks/requirements.txt
    python benchmarks/run.py              # full in-process run (a few minutes), writes docs/
    python benchmarks/run.py --e2e        # ... plus gunicorn/bjoern driven by wrk, and
                                          # connections per 1,000 preflights (+ waitress)
    python benchmarks/run.py --quick      # a smoke run in seconds; writes nothing
    python benchmarks/run.py --profile    # where hug-cors spends its time (cProfile)

(or ``tox -e bench -- --e2e``). Every request goes through the app's WSGI callable in
this one process: the environ is built once per case and copied per call, the body
consumed. Cases are timed in batches, interleaved: each repetition visits every group
in random order and every case of a group in random order, so that the noise of a
shared machine hits all variants alike. The garbage collector is off while a batch
runs. A case's result is the median over repetitions of its batch's time per request,
with the interquartile range; a ratio is the median of the per-repetition ratios of two
cases of the same group, which were timed moments apart.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import http.client
import importlib.metadata
import importlib.util
import io
import os
import platform
import pstats
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import bench_apps
import falcon
import falcon.testing
from bench_apps import ORIGIN, REFUSED_ORIGIN, VARIANTS

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DOCS = REPO / "docs"
HOST = "127.0.0.1"

PREFLIGHT = {
    "Access-Control-Request-Method": "PUT",
    "Access-Control-Request-Headers": "content-type",
}
SCENARIOS: Dict[str, Tuple[str, Dict[str, str]]] = {
    "GET, allowed origin": ("GET", {"Origin": ORIGIN}),
    "GET, refused origin": ("GET", {"Origin": REFUSED_ORIGIN}),
    "GET, no Origin": ("GET", {}),
    "preflight, allowed": ("OPTIONS", {"Origin": ORIGIN, **PREFLIGHT}),
    "preflight, refused": ("OPTIONS", {"Origin": REFUSED_ORIGIN, **PREFLIGHT}),
    "plain OPTIONS": ("OPTIONS", {}),
}
MANY_ORIGINS = [f"https://app{i}.example.org" for i in range(9_999)] + [ORIGIN]
PATTERNS = [
    "https://*.example.org",
    "https://*.example.net",
    "https://*.example.io",
    "http://localhost:*",
    "https://*.example.com",
]
PATTERN_REGEX = r"https://[a-z0-9-]+\.preview\.example\.dev"
# falcon-cors has no patterns, only a regex (matched with re.match): the same origins.
PATTERNS_AS_REGEX = (
    r"(https://[a-z0-9.-]+\.example\.(org|net|io|com)|http://localhost(:[0-9]+)?"
    r"|https://[a-z0-9-]+\.preview\.example\.dev)\Z"
)
REGEX_ORIGIN = "https://pr-42.preview.example.dev"
PACKAGES = (
    "hug-cors",
    "hug",
    "falcon",
    "falcon-cors",
    "hug-middleware-cors",
    "gunicorn",
    "bjoern",
    "waitress",
)


# --- Cases ---------------------------------------------------------------------------


@dataclass
class Case:
    group: str
    scenario: str
    variant: str
    app: Callable[..., Any]
    environ: Dict[str, Any]
    batch: int = 1
    samples: List[float] = field(default_factory=list)  # µs per request, one per repetition
    cpu_samples: List[float] = field(default_factory=list)  # the same in this thread's CPU time
    status: str = ""
    allow_origin: str = ""
    error: Optional[str] = None

    @property
    def key(self) -> Tuple[str, str, str]:
        return self.group, self.scenario, self.variant


@dataclass
class Group:
    name: str
    variants: List[str]
    scenarios: List[str]
    cases: List[Case] = field(default_factory=list)


def environ(method: str, path: str, headers: Dict[str, str]) -> Dict[str, Any]:
    return falcon.testing.create_environ(path=path, method=method, headers=headers)


def routes_label(routes: int) -> str:
    return f"{routes:,} route{'s' if routes != 1 else ''}"


FLOOR = "floor: six headers"
ROUTED_FLOOR = "floor: route + six headers"
LISTED = "hug-cors, methods listed"
PER_ROUTE = "per-route policies"
WITH_POLICIES = "hug-cors, per-route policies"
PALETTE = (*VARIANTS, "floor: six headers", "floor: route + six headers")  # plot colours


def build_groups(route_counts: Sequence[int], log: Callable[[str], None]) -> List[Group]:
    groups = []
    for routes in route_counts:
        started = time.perf_counter()
        group = Group(routes_label(routes), list(VARIANTS), list(SCENARIOS))
        path = bench_apps.deep_path(routes)
        for variant in VARIANTS:
            app = bench_apps.build(variant, routes)
            for scenario, (method, headers) in SCENARIOS.items():
                group.cases.append(
                    Case(group.name, scenario, variant, app, environ(method, path, headers))
                )
        groups.append(group)
        log(
            f"built {group.name} x {len(VARIANTS)} variants in {time.perf_counter() - started:.1f}s"
        )
        if routes in (1, 1000):  # what target (b) asks, against what any answer costs
            groups.append(floor_group(group, routes))

    # 10,000 exact origins against 1, the allowed one listed last (1 route).
    path = bench_apps.deep_path(1)
    origins = Group(
        "10,000 origins",
        ["hug-cors, 1 origin", "hug-cors, 10,000", "hug, 10,000", "falcon-cors, 10,000"],
        ["GET, allowed origin", "GET, refused origin", "preflight, allowed"],
    )
    apps = {
        "hug-cors, 1 origin": bench_apps.build("hug-cors", 1, [ORIGIN]),
        "hug-cors, 10,000": bench_apps.build("hug-cors", 1, MANY_ORIGINS),
        "hug, 10,000": bench_apps.build("hug", 1, MANY_ORIGINS),
        "falcon-cors, 10,000": bench_apps.build("falcon-cors", 1, MANY_ORIGINS),
    }
    for label, app in apps.items():
        for scenario in origins.scenarios:
            method, headers = SCENARIOS[scenario]
            origins.cases.append(
                Case(origins.name, scenario, label, app, environ(method, path, headers))
            )
    groups.append(origins)

    # Patterns and a regex (no exact origin), 1 route.
    patterns = Group(
        "patterns + regex",
        ["none", "falcon-cors (regex)", "hug-cors"],
        [
            "GET, origin by pattern",
            "GET, origin by regex",
            "GET, refused origin",
            "preflight, by regex",
        ],
    )
    apps = {
        "none": bench_apps.build("none", 1),
        "falcon-cors (regex)": bench_apps.build("falcon-cors", 1, [], PATTERNS_AS_REGEX),
        "hug-cors": bench_apps.build("hug-cors", 1, PATTERNS, PATTERN_REGEX),
    }
    requests = {
        "GET, origin by pattern": ("GET", {"Origin": ORIGIN}),  # the last pattern
        "GET, origin by regex": ("GET", {"Origin": REGEX_ORIGIN}),
        "GET, refused origin": ("GET", {"Origin": REFUSED_ORIGIN}),
        "preflight, by regex": ("OPTIONS", {"Origin": REGEX_ORIGIN, **PREFLIGHT}),
    }
    for label, app in apps.items():
        for scenario, (method, headers) in requests.items():
            patterns.cases.append(
                Case(patterns.name, scenario, label, app, environ(method, path, headers))
            )
    groups.append(patterns)

    # Per-route policies configured (a pattern, a decorated route) against none, 1 route.
    policies = Group(
        PER_ROUTE, ["hug-cors", WITH_POLICIES], ["GET, allowed origin", "preflight, allowed"]
    )
    apps = {
        "hug-cors": bench_apps.build("hug-cors", 1),
        WITH_POLICIES: bench_apps.build_with_route_policies(1),
    }
    for label, app in apps.items():
        for scenario in policies.scenarios:
            method, headers = SCENARIOS[scenario]
            policies.cases.append(
                Case(policies.name, scenario, label, app, environ(method, path, headers))
            )
    groups.append(policies)
    return groups


def floor_group(routes_group: Group, routes: int) -> Group:
    """Preflights against the floor (bench_apps.PreflightFloor), with the none and
    hug-cors apps of ``routes_group``."""
    group = Group(f"preflight floor, {routes_group.name}", [], ["plain OPTIONS", "preflight"])
    apps = {
        case.variant: case.app
        for case in routes_group.cases
        if case.variant in ("none", "hug-cors")
    }
    apps[FLOOR] = bench_apps.build_floor(routes, find_route=False)
    apps[ROUTED_FLOOR] = bench_apps.build_floor(routes, find_route=True)
    apps[LISTED] = bench_apps.build_listed(routes)
    group.variants = list(apps)
    path = bench_apps.deep_path(routes)
    for variant, app in apps.items():
        for scenario, key in zip(group.scenarios, ("plain OPTIONS", "preflight, allowed")):
            method, headers = SCENARIOS[key]
            group.cases.append(
                Case(group.name, scenario, variant, app, environ(method, path, headers))
            )
    return group


# --- Timing --------------------------------------------------------------------------


def _write(data: bytes) -> None:
    pass


def _start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
    return _write


def time_batch(app: Callable[..., Any], base: Dict[str, Any], calls: int) -> Tuple[float, float]:
    """Microseconds per request over ``calls`` requests, the garbage collector off:
    wall-clock time (``perf_counter_ns``) and this thread's CPU time, which leaves out
    the time the thread waited while other processes ran."""
    copy, new_input, start_response = base.copy, io.BytesIO, _start_response
    enabled = gc.isenabled()
    gc.disable()
    try:
        cpu_started = time.thread_time_ns()
        started = time.perf_counter_ns()
        for _ in range(calls):
            env = copy()
            env["wsgi.input"] = new_input()
            body = app(env, start_response)
            for _chunk in body:
                pass
            close = getattr(body, "close", None)
            if close is not None:
                close()
        elapsed = time.perf_counter_ns() - started
        cpu = time.thread_time_ns() - cpu_started
    finally:
        if enabled:
            gc.enable()
    return elapsed / calls / 1000, cpu / calls / 1000


def probe(case: Case) -> None:
    """One request, checked: its status and Access-Control-Allow-Origin, or the error."""
    seen: Dict[str, Any] = {}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        seen["status"], seen["headers"] = status, headers
        return _write

    env = dict(case.environ, **{"wsgi.input": io.BytesIO()})
    try:
        b"".join(case.app(env, start_response))
    except Exception as error:
        case.error = f"{type(error).__name__}: {error}"
        return
    case.status = seen.get("status", "?")
    headers = {name.lower(): value for name, value in seen.get("headers", [])}
    case.allow_origin = headers.get("access-control-allow-origin", "")
    if case.status.startswith("5"):
        case.error = f"HTTP {case.status}"


def calibrate(case: Case, batch_seconds: float) -> None:
    """Warm the case up, then size its batch to take about ``batch_seconds``."""
    per_call = time_batch(case.app, case.environ, 3)[0]
    warm_calls = max(3, min(2000, int(5 * batch_seconds / (per_call / 1e6))))
    per_call = min(time_batch(case.app, case.environ, warm_calls)[0] for _ in range(3))
    case.batch = max(1, min(100_000, round(batch_seconds / (per_call / 1e6))))


def measure(
    groups: List[Group], repetitions: int, batch_seconds: float, seed: int, log: Any
) -> None:
    cases = [case for group in groups for case in group.cases]
    for case in cases:
        probe(case)
    for case in cases:
        if case.error is None:
            calibrate(case, batch_seconds)
    rng = random.Random(seed)
    order = list(groups)
    started = time.perf_counter()
    for repetition in range(repetitions):
        gc.collect()
        rng.shuffle(order)
        for group in order:
            members = [case for case in group.cases if case.error is None]
            rng.shuffle(members)
            for case in members:
                wall, cpu = time_batch(case.app, case.environ, case.batch)
                case.samples.append(wall)
                case.cpu_samples.append(cpu)
        if repetition == 0 or (repetition + 1) % 10 == 0:
            elapsed = time.perf_counter() - started
            log(f"repetition {repetition + 1}/{repetitions} ({elapsed:.0f}s)")


# --- Statistics, checks --------------------------------------------------------------


def quartiles(values: Sequence[float]) -> Tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


@dataclass
class Check:
    label: str
    numerator: Tuple[str, str, str]
    denominator: Tuple[str, str, str]
    low: Optional[float]  # PASS when low <= ratio <= high; None: no bound
    high: Optional[float]
    target: str
    ratio: Optional[float] = None
    iqr: Tuple[float, float] = (0.0, 0.0)
    cpu_ratio: Optional[float] = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.ratio is None:
            return "n/a"
        if self.high is None and self.low is None:
            return "info"
        ok = (self.low is None or self.ratio >= self.low) and (
            self.high is None or self.ratio <= self.high
        )
        return "PASS" if ok else "FAIL"


def checks_for(route_counts: Sequence[int]) -> List[Check]:
    checks = []
    for routes in route_counts:
        group = routes_label(routes)
        checks.append(
            Check(
                f"(a) GET, allowed origin, {group}: hug-cors / none",
                (group, "GET, allowed origin", "hug-cors"),
                (group, "GET, allowed origin", "none"),
                None,
                1.10,
                "<= 1.10",
            )
        )
        for scenario in ("GET, refused origin", "GET, no Origin"):
            checks.append(
                Check(
                    f"info: {scenario}, {group}: hug-cors / none",
                    (group, scenario, "hug-cors"),
                    (group, scenario, "none"),
                    None,
                    None,
                    "(info)",
                )
            )
    for routes in route_counts:
        group = routes_label(routes)
        bounded = routes in (1, 1000)
        for scenario in ("preflight, allowed", "preflight, refused"):
            checks.append(
                Check(
                    f"{'(b)' if bounded else 'info:'} {scenario}, {group}: "
                    "hug-cors / none's plain OPTIONS",
                    (group, scenario, "hug-cors"),
                    (group, "plain OPTIONS", "none"),
                    None,
                    1.0 if bounded else None,
                    "<= 1.00" if bounded else "(info)",
                )
            )
    for routes in route_counts:
        if routes not in (1, 1000):
            continue
        group = f"preflight floor, {routes_label(routes)}"
        for variant in (FLOOR, ROUTED_FLOOR, "hug-cors", LISTED):
            checks.append(
                Check(
                    floor_label(routes, variant),
                    (group, "preflight", variant),
                    (group, "plain OPTIONS", "none"),
                    None,
                    None,
                    "(info)",
                )
            )
    if 1000 in route_counts:
        group = routes_label(1000)
        checks.append(
            Check(
                f"(c) preflight, allowed, {group}: hug-cors / hug",
                (group, "preflight, allowed", "hug-cors"),
                (group, "preflight, allowed", "hug"),
                None,
                0.5,
                "<= 0.50",
            )
        )
    else:
        checks.append(
            Check(
                "(c) preflight, allowed, 1,000 routes: hug-cors / hug",
                ("", "", ""),
                ("", "", ""),
                None,
                0.5,
                "<= 0.50",
                note="1,000 routes not measured",
            )
        )
    for scenario in ("GET, allowed origin", "preflight, allowed"):
        checks.append(
            Check(
                f"(e) {scenario}, 1 route: with per-route policies / without",
                (PER_ROUTE, scenario, WITH_POLICIES),
                (PER_ROUTE, scenario, "hug-cors"),
                None,
                1.03,
                "<= 1.03",
            )
        )
    for scenario in ("GET, allowed origin", "GET, refused origin", "preflight, allowed"):
        checks.append(
            Check(
                f"(d) {scenario}: hug-cors 10,000 origins / 1",
                ("10,000 origins", scenario, "hug-cors, 10,000"),
                ("10,000 origins", scenario, "hug-cors, 1 origin"),
                0.95,
                1.05,
                "0.95 - 1.05",
            )
        )
    return checks


def evaluate(checks: List[Check], cases: Dict[Tuple[str, str, str], Case]) -> None:
    for check in checks:
        top, bottom = cases.get(check.numerator), cases.get(check.denominator)
        if top is None or bottom is None:
            check.note = check.note or "not measured"
            continue
        if top.error or bottom.error:
            check.note = "error: " + (top.error or bottom.error or "")
            continue
        ratios = [a / b for a, b in zip(top.samples, bottom.samples)]
        q1, median, q3 = quartiles(ratios)
        check.ratio, check.iqr = median, (q1, q3)
        cpu = [a / b for a, b in zip(top.cpu_samples, bottom.cpu_samples) if b > 0]
        check.cpu_ratio = statistics.median(cpu) if cpu else None


# --- Output --------------------------------------------------------------------------


def cell(case: Optional[Case]) -> str:
    if case is None:
        return "-"
    if case.error is not None:
        return "error"
    q1, median, q3 = quartiles(case.samples)
    return f"{median:,.1f} ±{(q3 - q1) / 2:,.1f}"


def group_table(group: Group, cases: Dict[Tuple[str, str, str], Case]) -> List[List[str]]:
    rows = [["scenario", *group.variants]]
    for scenario in group.scenarios:
        rows.append(
            [scenario] + [cell(cases.get((group.name, scenario, v))) for v in group.variants]
        )
    return rows


def floor_label(routes: int, variant: str) -> str:
    return f"info: preflight floor, {routes_label(routes)}: {variant} / none's plain OPTIONS"


def floor_note(checks: List[Check]) -> List[str]:
    """Why target (b) cannot hold at 1 route, from the floor's measured ratios."""
    ratios = {check.label: check.ratio for check in checks if check.ratio is not None}
    of = {
        variant: ratios.get(floor_label(1, variant))
        for variant in (FLOOR, ROUTED_FLOOR, "hug-cors", LISTED)
    }
    if None in of.values():
        return []
    return [
        "**Target (b) at 1 route is out of reach for a route-aware preflight.** A "
        "middleware that checks nothing, only looks the route up and writes the six fixed "
        "headers of the allowed answer (`bench_apps.PreflightFloor`) already costs "
        f"{of[ROUTED_FLOOR]:.2f}x the plain OPTIONS; without the route lookup, "
        f"{of[FLOOR]:.2f}x. The target's premise is that answering before Falcon routes saves "
        "the routing; but the answer names the route's methods, so it must route too, and "
        "at 1 route routing is cheap while six headers are not. The checks (origin, "
        "method, each requested header) and the answer cost the rest: hug-cors is at "
        f"{of['hug-cors']:.2f}x, and {of[LISTED]:.2f}x with `allow_methods` and "
        "`allow_headers` listed, which needs no route lookup. At 1,000 routes, where "
        "Falcon's router compares the path with every route in turn, hug-cors' route "
        "index makes the preflight far cheaper than the plain OPTIONS.",
        "",
    ]


def check_rows(checks: List[Check]) -> List[List[str]]:
    rows = [["check", "ratio", "IQR", "CPU-time ratio", "target", "verdict"]]
    for check in checks:
        if check.ratio is None:
            rows.append([check.label, "-", "-", "-", check.target, f"n/a ({check.note})"])
        else:
            low, high = check.iqr
            cpu = f"{check.cpu_ratio:.3f}" if check.cpu_ratio else "-"
            iqr = f"{low:.3f} - {high:.3f}"
            rows.append([check.label, f"{check.ratio:.3f}", iqr, cpu, check.target, check.verdict])
    return rows


def text_table(rows: List[List[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append(
            "  ".join(
                value.ljust(width) if i == 0 else value.rjust(width)
                for i, (value, width) in enumerate(zip(row, widths))
            ).rstrip()
        )
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(rows: List[List[str]], left: int = 1) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |"]
    lines.append("|" + "|".join(":---" if i < left else "---:" for i in range(len(rows[0]))) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> Dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit += " (src/ modified)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    packages = ", ".join(f"{name} {version(name)}" for name in PACKAGES)
    return {
        "CPU": f"{cpu}, {os.cpu_count()} logical cores ({usable} usable), no CPU pinning",
        "OS": platform.platform(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "Packages": packages,
        "hug-cors commit": commit,
        "Load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def plot(groups: List[Group], cases: Dict[Tuple[str, str, str], Case], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter

    figure, axes = plt.subplots(len(groups), 1, figsize=(12, 3.6 * len(groups)))
    axes = [axes] if len(groups) == 1 else list(axes)
    colours = plt.get_cmap("tab10")
    for axis, group in zip(axes, groups):
        shown = [
            variant
            for variant in group.variants
            if any(
                (case := cases.get((group.name, scenario, variant))) and case.samples
                for scenario in group.scenarios
            )
        ]
        width = 0.8 / len(shown)
        seen = set()
        for index, variant in enumerate(shown):
            base = variant.split(",")[0].split(" (")[0]  # "hug-cors, 10,000" -> "hug-cors"
            hatch = "//" if base in seen else ""  # a second bar of the same middleware
            seen.add(base)
            xs, heights, low, high = [], [], [], []
            for position, scenario in enumerate(group.scenarios):
                case = cases.get((group.name, scenario, variant))
                if case is None or case.error is not None or not case.samples:
                    continue
                q1, median, q3 = quartiles(case.samples)
                xs.append(position + (index - (len(shown) - 1) / 2) * width)
                heights.append(median)
                low.append(median - q1)
                high.append(q3 - median)
            axis.bar(
                xs,
                heights,
                width,
                yerr=[low, high],
                capsize=2,
                label=variant,
                color=colours(PALETTE.index(base)),
                hatch=hatch,
            )
        axis.set_xticks(range(len(group.scenarios)))
        axis.set_xticklabels(group.scenarios, fontsize=8)
        axis.set_ylabel("µs / request (median)")
        axis.set_yscale("log")
        axis.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        axis.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
        axis.tick_params(axis="y", which="both", labelsize=7)
        axis.set_title(group.name, fontsize=10)
        axis.grid(axis="y", alpha=0.3, which="both")
        axis.legend(fontsize=7, ncol=len(shown))
    figure.suptitle("hug-cors benchmarks: µs per request through the WSGI callable")
    figure.tight_layout(rect=(0, 0, 1, 0.98))
    figure.savefig(path, dpi=90)
    plt.close(figure)


# --- End to end: real servers driven by wrk -----------------------------------------

E2E_VARIANTS = ("none", "hug", "hug-cors")
E2E_SCENARIOS = {
    "GET /hello, allowed origin": ("GET", "/hello", {"Origin": ORIGIN}),
    "preflight PUT /items/1": ("OPTIONS", "/items/1", {"Origin": ORIGIN, **PREFLIGHT}),
}
# Driven by wrk; every server also gets the connection count (waitress only that).
WRK_SERVERS = ("gunicorn", "bjoern")
E2E_SERVERS = ("waitress", "gunicorn", "bjoern")
SERVER_LABELS = {
    "waitress": "waitress --threads 4",
    "gunicorn": "gunicorn -w 2",
    "bjoern": "bjoern -w 2",
}
CONNECTION_PREFLIGHTS = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(kind: str, variant: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, HUG_CORS_BENCH_VARIANT=variant)
    if kind == "gunicorn":
        command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync"]
        command += ["--bind", f"{HOST}:{port}", "--chdir", str(BENCH_DIR)]
        command += ["--log-level", "warning", "bench_apps:demo_app_from_environment()"]
    elif kind == "waitress":
        command = [sys.executable, "-m", "waitress", "--listen", f"{HOST}:{port}"]
        command += ["--threads", "4", "--call", "bench_apps:demo_app_from_environment"]
    else:
        command = [sys.executable, str(BENCH_DIR / "serve_bjoern.py"), str(port), "2"]
    return subprocess.Popen(
        command, env=env, cwd=BENCH_DIR, start_new_session=True, stdout=subprocess.DEVNULL
    )


def wait_ready(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=1) as sock:
                sock.sendall(b"GET /hello HTTP/1.0\r\nHost: bench\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1."):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server on port {port} did not answer within {timeout:.0f}s")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)  # the session started for this server
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def wrk_script(method: str, headers: Dict[str, str], directory: str) -> str:
    lines = [f'wrk.method = "{method}"']
    lines += [f'wrk.headers["{name}"] = "{value}"' for name, value in headers.items()]
    path = Path(directory) / f"{method.lower()}_{len(os.listdir(directory))}.lua"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def run_wrk(url: str, script: str, seconds: float) -> Dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds:g}s", "-s", script, url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    found = re.search(r"Requests/sec:\s*([0-9.]+)", output)
    latency = re.search(r"Latency\s+([0-9.]+)(us|ms|s)", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    scale = {"us": 1, "ms": 1000, "s": 1_000_000}
    return {
        "rps": float(found.group(1)) if found else 0.0,
        "latency_us": float(latency.group(1)) * scale[latency.group(2)] if latency else 0.0,
        "non_2xx": float(bad.group(1)) if bad else 0.0,
        "socket_errors": float(sum(int(x) for x in errors.groups())) if errors else 0.0,
    }


class CountingConnection(http.client.HTTPConnection):
    """An HTTP/1.1 keep-alive connection that counts the TCP connections it opens."""

    opened = 0

    def connect(self) -> None:
        super().connect()
        self.opened += 1


def connections_opened(port: int, count: int) -> Tuple[int, int]:
    """(connections opened, non-2xx answers) for ``count`` preflights sent one after
    another by one keep-alive client, which reconnects only when the server closed the
    connection (with ``Connection: close``, or silently: then the request is sent again)."""
    method, path, headers = E2E_SCENARIOS["preflight PUT /items/1"]
    connection = CountingConnection(HOST, port, timeout=10)
    deadline = time.monotonic() + 120
    bad = 0
    try:
        for _ in range(count):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} preflights took more than 120 s")
            for attempt in (1, 2):
                try:
                    connection.request(method, path, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    break
                except (http.client.RemoteDisconnected, ConnectionError):
                    connection.close()  # closed after the last answer: reconnect, once
                    if attempt == 2:
                        raise
            bad += not 200 <= response.status < 300
    finally:
        connection.close()
    return connection.opened, bad


def end_to_end(
    rounds: int, seconds: float, log: Any
) -> Tuple[List[List[str]], List[List[str]], List[str]]:
    """wrk's requests per second (rows), connections per 1,000 preflights (connection
    rows), and notes."""
    notes: List[str] = []
    has_wrk = shutil.which("wrk") is not None
    if not has_wrk:
        notes.append("wrk: skipped, not installed (Debian/Ubuntu: apt-get install wrk)")
    servers = []
    for kind in E2E_SERVERS:
        if importlib.util.find_spec(kind) is None:
            notes.append(f"{kind}: skipped, not installed (pip install {kind})")
        else:
            servers.append(kind)
    rows = [["server", "scenario", *(f"{v} req/s" for v in E2E_VARIANTS), "hug-cors / none"]]
    connection_rows = [["server", *E2E_VARIANTS]]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="hug_cors_bench_") as directory:
        scripts = {
            name: wrk_script(method, headers, directory)
            for name, (method, _, headers) in E2E_SCENARIOS.items()
        }
        for kind in servers:
            processes: Dict[str, Tuple[subprocess.Popen, int]] = {}
            try:
                for variant in E2E_VARIANTS:
                    port = free_port()
                    processes[variant] = (start_server(kind, variant, port), port)
                for process, port in processes.values():
                    wait_ready(port, process)
                log(f"e2e: {SERVER_LABELS[kind]} up for {', '.join(E2E_VARIANTS)}")
                opened = {}
                for variant in E2E_VARIANTS:
                    port = processes[variant][1]
                    opened[variant], bad = connections_opened(port, CONNECTION_PREFLIGHTS)
                    log(
                        f"e2e: {kind} {variant:8} {opened[variant]:,} connections for "
                        f"{CONNECTION_PREFLIGHTS:,} preflights"
                    )
                    if bad:
                        notes.append(
                            f"{kind}, {variant}: {bad} of {CONNECTION_PREFLIGHTS:,} preflights "
                            "answered with a non-2xx status"
                        )
                scale = 1000 / CONNECTION_PREFLIGHTS
                connection_rows.append(
                    [SERVER_LABELS[kind]] + [f"{opened[v] * scale:,.0f}" for v in E2E_VARIANTS]
                )
                if kind not in WRK_SERVERS or not has_wrk:
                    continue
                results: Dict[Tuple[str, str], List[Dict[str, float]]] = {}
                for _ in range(rounds):
                    for scenario, (_, path, _) in E2E_SCENARIOS.items():
                        order = list(E2E_VARIANTS)
                        rng.shuffle(order)
                        for variant in order:
                            url = f"http://{HOST}:{processes[variant][1]}{path}"
                            result = run_wrk(url, scripts[scenario], seconds)
                            results.setdefault((scenario, variant), []).append(result)
                            log(f"e2e: {kind} {variant:8} {scenario}: {result['rps']:,.0f} req/s")
                for scenario in E2E_SCENARIOS:
                    medians = {
                        v: statistics.median(r["rps"] for r in results[(scenario, v)])
                        for v in E2E_VARIANTS
                    }
                    bad = sum(r["non_2xx"] for v in E2E_VARIANTS for r in results[(scenario, v)])
                    errors = sum(
                        r["socket_errors"] for v in E2E_VARIANTS for r in results[(scenario, v)]
                    )
                    if bad or errors:
                        notes.append(
                            f"{kind}, {scenario}: {bad:.0f} non-2xx responses, "
                            f"{errors:.0f} socket errors (all variants together)"
                        )
                    ratio = medians["hug-cors"] / medians["none"] if medians["none"] else 0.0
                    rows.append(
                        [SERVER_LABELS[kind], scenario]
                        + [f"{medians[v]:,.0f}" for v in E2E_VARIANTS]
                        + [f"{ratio:.3f}"]
                    )
            except (RuntimeError, subprocess.SubprocessError, OSError) as error:
                notes.append(f"{kind}: failed: {error}")
            finally:
                for process, _ in processes.values():
                    stop_server(process)
    return (
        (rows if len(rows) > 1 else []),
        (connection_rows if len(connection_rows) > 1 else []),
        notes,
    )


# --- Profile -------------------------------------------------------------------------


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
        pairs.append((falcon.Request(env, app.req_options), falcon.Response(app.resp_options)))
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


# --- The page ------------------------------------------------------------------------


def write_page(
    path: Path,
    command: str,
    info: Dict[str, str],
    settings: str,
    groups: List[Group],
    cases: Dict[Tuple[str, str, str], Case],
    checks: List[Check],
    e2e: Optional[Tuple[List[List[str]], List[List[str]], List[str]]],
    profile_text: Optional[str],
) -> None:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "# Benchmarks",
        "",
        "<!-- Generated by benchmarks/run.py; do not edit by hand, run it again. -->",
        "",
        f"Measured {now}. Reproduce with:",
        "",
        "```sh",
        "python -m pip install -e . -r benchmarks/requirements.txt",
        command,
        "```",
        "",
        f"Settings: {settings}.",
        "",
        "## The quality targets",
        "",
        "Ratios are medians of per-repetition ratios of two cases timed moments apart "
        "(the IQR is that of the ratios): (a) a simple CORS GET costs at most 10% more than "
        "the same app without middleware; (b) a preflight costs no more than a plain "
        "OPTIONS to the app without middleware; (c) at 1,000 routes a preflight costs at "
        "most half of hug's own class's; (d) 10,000 exact origins cost the same as 1; (e) "
        "per-route policies configured cost at most 3% more than none.",
        "",
        markdown_table(check_rows(checks)),
        "",
        *floor_note(checks),
        "## µs per request, in process",
        "",
        "Median over repetitions of the time per request through the WSGI callable "
        "(± half the interquartile range). Each app serves `GET` and `PUT` on "
        "`/r{n}/{id}` with `versions=1`, so hug also routes `/v1/r{n}/{id}`; the requests "
        "go to the last route added, `/v1/r{N-1}/42`. A preflight asks for `PUT` with "
        "`content-type`. `error` means the variant fails on Falcon 2.0 (see below).",
        "",
    ]
    for group in groups:
        parts += [f"### {group.name}", "", markdown_table(group_table(group, cases)), ""]
    parts += ["![µs per request by scenario and variant](benchmarks.png)", ""]
    parts += ["## What each variant answered", ""]
    parts += _answers(groups, cases)
    parts += ["## End to end", ""]
    if e2e is None:
        parts += ["Not run this time (`--e2e`).", ""]
    else:
        rows, connection_rows, notes = e2e
        parts += [
            "The demo-like app (five routes) under a real server with two worker "
            "processes on 127.0.0.1, driven by `wrk -t2 -c32` on the same two cores; "
            "the median requests per second over the rounds.",
            "",
        ]
        if rows:
            parts += [markdown_table(rows, left=2), ""]
        if connection_rows:
            parts += [
                "Connections opened per 1,000 preflights: one HTTP/1.1 client sends "
                f"{CONNECTION_PREFLIGHTS:,} preflights (`PUT /items/1`, allowed origin) one "
                "after another on a keep-alive connection, and opens a new one only when "
                "the server has closed it. 1 means the server kept the connection open; "
                "1,000, that it closed it after every answer. gunicorn's sync worker "
                "closes every connection whatever the answer; waitress closes one after "
                "a `204`.",
                "",
                markdown_table(connection_rows),
                "",
            ]
        parts += [f"- {note}" for note in notes] + ([""] if notes else [])
    if profile_text:
        parts += ["## Profile of hug-cors", "", "```text", profile_text.strip("\n"), "```", ""]
    parts += ["## Machine", ""]
    parts += [f"- {name}: {value}" for name, value in info.items()]
    parts += [
        "",
        "The machine is shared: absolute times move with the load, ratios much less, "
        "since every variant is timed in the same repetitions.",
        "",
    ]
    path.write_text("\n".join(parts))


def _answers(groups: List[Group], cases: Dict[Tuple[str, str, str], Case]) -> List[str]:
    lines = ["Status and `Access-Control-Allow-Origin` of one request of each case:", ""]
    errors = {}
    for group in groups:
        rows = [["scenario", *group.variants]]
        for scenario in group.scenarios:
            row = [scenario]
            for variant in group.variants:
                case = cases.get((group.name, scenario, variant))
                if case is None:
                    row.append("-")
                elif case.error is not None:
                    row.append("error")
                    errors[variant] = case.error
                else:
                    row.append(f"{case.status.split()[0]} {case.allow_origin or '(none)'}")
            rows.append(row)
        lines += [f"{group.name}:", "", markdown_table(rows), ""]
    lines += [f"- `{variant}`: {error}" for variant, error in errors.items()]
    return lines + ([""] if errors else [])


# --- Main ----------------------------------------------------------------------------


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run in seconds")
    parser.add_argument("--e2e", action="store_true", help="also gunicorn/bjoern under wrk")
    parser.add_argument("--e2e-only", action="store_true", help="only the end-to-end run")
    parser.add_argument("--profile", action="store_true", help="cProfile hug-cors' hot paths")
    parser.add_argument("--routes", help="route counts, comma-separated (default 1,100,1000)")
    parser.add_argument("--repetitions", type=int, help="default 150 (--quick: 15)")
    parser.add_argument("--batch-ms", type=float, help="ms per batch (default 2; --quick 1)")
    parser.add_argument("--seconds", type=float, help="wrk seconds per run (default 5)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--output", type=Path, default=DOCS, help="where to write benchmarks.md and .png (docs/)"
    )
    parser.add_argument(
        "--write",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write docs/benchmarks.md and .png (default: yes, but not with --quick)",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    route_counts = [
        int(x) for x in (args.routes or ("1,100" if quick else "1,100,1000")).split(",")
    ]
    repetitions = args.repetitions or (15 if quick else 150)
    batch_seconds = (args.batch_ms or (1.0 if quick else 2.0)) / 1000
    seconds = args.seconds or (2.0 if quick else 5.0)
    write = (not quick) if args.write is None else args.write
    command = "python benchmarks/run.py" + "".join(" " + a for a in (argv or sys.argv[1:]))

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    info = machine()
    settings = (
        f"{repetitions} repetitions, batches of about {batch_seconds * 1000:g} ms, "
        f"route counts {', '.join(map(str, route_counts))}"
    )
    groups: List[Group] = []
    cases: Dict[Tuple[str, str, str], Case] = {}
    checks: List[Check] = []
    if not args.e2e_only:
        log(f"building apps ({settings})")
        groups = build_groups(route_counts, log)
        cases = {case.key: case for group in groups for case in group.cases}
        log(f"{len(cases)} cases; warming up and calibrating")
        measure(groups, repetitions, batch_seconds, args.seed, log)
        checks = checks_for(route_counts)
        evaluate(checks, cases)
        print(f"\nµs per request, median ±half IQR over {repetitions} repetitions\n")
        for group in groups:
            print(f"== {group.name}")
            print(text_table(group_table(group, cases)) + "\n")
        failing = {case.variant: case.error for case in cases.values() if case.error}
        for variant, error in failing.items():
            print(f"{variant}: not timed, it fails on Falcon 2.0: {error}")
        print("\nQuality targets (ratio = median of per-repetition ratios)\n")
        print(text_table(check_rows(checks)) + "\n")
    e2e = None
    if args.e2e or args.e2e_only:
        e2e = end_to_end(1 if quick else 3, seconds, log)
        if e2e[0]:
            print("End to end (median requests/s)\n")
            print(text_table(e2e[0]) + "\n")
        if e2e[1]:
            print("Connections opened per 1,000 preflights (one keep-alive client)\n")
            print(text_table(e2e[1]) + "\n")
        for note in e2e[2]:
            print(f"e2e: {note}")
    profile_text = None
    if args.profile:
        profile_text = "".join(profile(r, 5000 if quick else 20_000) for r in (1, 1000))
        print("\nProfile of hug-cors" + profile_text)
    info["Load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    if write and groups:
        args.output.mkdir(parents=True, exist_ok=True)
        plot(groups, cases, args.output / "benchmarks.png")
        write_page(
            args.output / "benchmarks.md",
            command,
            info,
            settings,
            groups,
            cases,
            checks,
            e2e,
            profile_text,
        )
        log(f"wrote {args.output / 'benchmarks.md'} and {args.output / 'benchmarks.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
