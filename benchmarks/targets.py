"""The quality targets of the product contract as checks: ``Check`` (a ratio of two
cases and its bounds), ``checks_for`` (the checks of the route counts measured) and
``evaluate`` (each check's ratio from the cases' samples)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from cases import (
    ALLOWED_WRITE,
    FLOOR,
    GET_FLOOR,
    HEADERS_FLOOR,
    LISTED,
    PER_ROUTE,
    REJECTING,
    ROUTED_FLOOR,
    WITH_FUNCTION,
    WITH_POLICIES,
    WRITES,
    Case,
    routes_label,
)
from timing import quartiles


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
        for scenario in ("GET, allowed origin", "GET, refused origin"):
            checks.append(
                Check(
                    f"(a) {scenario}, {group}: hug-cors / none",
                    (group, scenario, "hug-cors"),
                    (group, scenario, "none"),
                    None,
                    1.10,
                    "<= 1.10",
                )
            )
        checks.append(
            Check(
                f"info: GET, no Origin, {group}: hug-cors / none",
                (group, "GET, no Origin", "hug-cors"),
                (group, "GET, no Origin", "none"),
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
    # (e) and (g): an option costs at most 3% over hug-cors without it, in the same group.
    options = [
        ("(e)", PER_ROUTE, "GET, allowed origin", WITH_POLICIES, "per-route policies"),
        ("(e)", PER_ROUTE, "preflight, allowed", WITH_POLICIES, "per-route policies"),
        ("(g)", WRITES, ALLOWED_WRITE, REJECTING, "reject_cross_origin_writes"),
    ]
    for mark, group, scenario, variant, option in options:
        checks.append(
            Check(
                f"{mark} {scenario}, 1 route: with {option} / without",
                (group, scenario, variant),
                (group, scenario, "hug-cors"),
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
    if 1 in route_counts:
        for variant in (HEADERS_FLOOR, "hug-cors"):
            checks.append(
                Check(
                    get_floor_label(variant),
                    (GET_FLOOR, "GET, allowed origin", variant),
                    (GET_FLOOR, "GET, allowed origin", "none"),
                    None,
                    None,
                    "(info)",
                )
            )
    for scenario, variant in (
        ("GET, origin by pattern", "hug-cors"),
        ("GET, origin by regex", "hug-cors"),
        ("GET, origin by function", WITH_FUNCTION),
    ):
        checks.append(
            Check(
                f"(f) {scenario}: {variant} / none",
                ("patterns + regex", scenario, variant),
                ("patterns + regex", scenario, "none"),
                None,
                1.10,
                "<= 1.10",
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


def get_floor_label(variant: str) -> str:
    return f"info: {GET_FLOOR}: {variant} / none"


def floor_label(routes: int, variant: str) -> str:
    return f"info: preflight floor, {routes_label(routes)}: {variant} / none's plain OPTIONS"
