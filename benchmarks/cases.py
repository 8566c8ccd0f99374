"""The cases: the request scenarios, the groups of apps they are timed against (1, 100,
1,000 routes; the preflight floor; 10,000 origins; patterns; per-route policies), and
each case's WSGI environ, built once."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import bench_apps
import falcon.testing
from bench_apps import ORIGIN, REFUSED_ORIGIN, VARIANTS

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
TENANT_ORIGIN = next(iter(bench_apps.TENANT_ORIGINS))  # only allow_origin_func allows it


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
WITH_FUNCTION = "hug-cors, + allow_origin_func"
REJECTING = "hug-cors, + reject_cross_origin_writes"
WRITES = "writes"
# A browser's write from the allowed origin on another site (preflighted, so it passes).
ALLOWED_WRITE = "PUT, allowed origin, cross-site"
GET_FLOOR = "GET floor, 1 route"
HEADERS_FLOOR = "floor: three headers"


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
        if routes == 1:  # what target (a) asks, against what writing the headers costs
            groups.append(get_floor_group(group))

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
    # With allow_origin_func too, whose decisions are cached between requests.
    patterns = Group(
        "patterns + regex",
        ["none", "falcon-cors (regex)", "hug-cors", WITH_FUNCTION],
        [
            "GET, origin by pattern",
            "GET, origin by regex",
            "GET, origin by function",
            "GET, refused origin",
            "preflight, by regex",
        ],
    )
    apps = {
        "none": bench_apps.build("none", 1),
        "falcon-cors (regex)": bench_apps.build("falcon-cors", 1, [], PATTERNS_AS_REGEX),
        "hug-cors": bench_apps.build("hug-cors", 1, PATTERNS, PATTERN_REGEX),
        WITH_FUNCTION: bench_apps.build_with_origin_func(PATTERNS, PATTERN_REGEX),
    }
    requests = {
        "GET, origin by pattern": ("GET", {"Origin": ORIGIN}),  # the last pattern
        "GET, origin by regex": ("GET", {"Origin": REGEX_ORIGIN}),
        "GET, origin by function": ("GET", {"Origin": TENANT_ORIGIN}),
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

    # Writes refused from other origins (reject_cross_origin_writes) against not, 1 route.
    writes = Group(WRITES, ["hug-cors", REJECTING], [ALLOWED_WRITE])
    apps = {
        "hug-cors": bench_apps.build("hug-cors", 1),
        REJECTING: bench_apps.build_rejecting_writes(1),
    }
    headers = {"Origin": ORIGIN, "Sec-Fetch-Site": "cross-site"}
    for label, app in apps.items():
        writes.cases.append(Case(WRITES, ALLOWED_WRITE, label, app, environ("PUT", path, headers)))
    groups.append(writes)
    return groups


def get_floor_group(routes_group: Group) -> Group:
    """The allowed GET against the floor (bench_apps.GetFloor), with the none and
    hug-cors apps of ``routes_group`` (1 route)."""
    group = Group(GET_FLOOR, [], ["GET, allowed origin"])
    apps = {
        case.variant: case.app
        for case in routes_group.cases
        if case.variant in ("none", "hug-cors")
    }
    apps[HEADERS_FLOOR] = bench_apps.build_get_floor(1)
    group.variants = list(apps)
    method, headers = SCENARIOS["GET, allowed origin"]
    for variant, app in apps.items():
        group.cases.append(
            Case(
                group.name,
                "GET, allowed origin",
                variant,
                app,
                environ(method, bench_apps.deep_path(1), headers),
            )
        )
    return group


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
