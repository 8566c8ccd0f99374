"""What a run shows: the text and Markdown tables, the machine and package versions,
the plot (``docs/benchmarks.png``) and the Markdown page (``docs/benchmarks.md``)."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from bench_apps import VARIANTS
from cases import FLOOR, HEADERS_FLOOR, LISTED, ROUTED_FLOOR, Case, Group
from end_to_end import CONNECTION_PREFLIGHTS
from targets import Check, floor_label, get_floor_label
from timing import quartiles

REPO = Path(__file__).resolve().parent.parent
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
PALETTE = (*VARIANTS, FLOOR, ROUTED_FLOOR, HEADERS_FLOOR)  # plot colours


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


def floor_note(checks: List[Check]) -> List[str]:
    """What target (b) at 1 route asks of a route-aware preflight, from the floor's
    measured ratios."""
    ratios = {check.label: check.ratio for check in checks if check.ratio is not None}
    of = {
        variant: ratios.get(floor_label(1, variant))
        for variant in (FLOOR, ROUTED_FLOOR, "hug-cors", LISTED)
    }
    if None in of.values():
        return []
    reachable = of[ROUTED_FLOOR] < 1
    return [
        (
            "**Target (b) at 1 route: the floor is below it.**"
            if reachable
            else "**Target (b) at 1 route is out of reach for a route-aware preflight.**"
        )
        + " A middleware that checks nothing, only looks the route up and writes the six "
        "fixed headers of the allowed answer (`bench_apps.PreflightFloor`, straight into "
        f"Falcon's header dict) costs {of[ROUTED_FLOOR]:.2f}x the plain OPTIONS; without "
        f"the route lookup, {of[FLOOR]:.2f}x. "
        + (
            "So answering before Falcon routes can beat the plain OPTIONS even at 1 route; "
            "what hug-cors adds is its checks (origin, method, each requested header) and "
            "the building of its answer. "
            if reachable
            else "The answer names the route's methods, so it must route too, and at 1 route "
            "routing is cheap while six headers are not. "
        )
        + f"hug-cors is at {of['hug-cors']:.2f}x, and {of[LISTED]:.2f}x with "
        "`allow_methods` and `allow_headers` listed, which needs no route lookup. At 1,000 "
        "routes, where Falcon's router compares the path with every route in turn, "
        "hug-cors' route index makes the preflight far cheaper than the plain OPTIONS.",
        "",
    ]


def get_floor_note(checks: List[Check]) -> List[str]:
    """What target (a) leaves for the checks, from the GET floor's measured ratios."""
    ratios = {check.label: check.ratio for check in checks if check.ratio is not None}
    floor = ratios.get(get_floor_label(HEADERS_FLOOR))
    ours = ratios.get(get_floor_label("hug-cors"))
    if floor is None or ours is None:
        return []
    return [
        "**What target (a) leaves for the decisions.** A middleware that checks nothing "
        "and writes the three headers of the allowed answer (Access-Control-Allow-Origin, "
        "-Allow-Credentials and Vary; `bench_apps.GetFloor`), ready-made and straight into "
        "Falcon's header dict as hug-cors writes them, costs "
        f"{floor:.2f}x no middleware at 1 route. hug-cors is at {ours:.2f}x: finding the "
        "route's policy, deciding the origin and merging Vary cost the other "
        f"{ours - floor:.2f}. An origin that a pattern, the regex or a kept "
        "`allow_origin_func` decision allows costs what an exact origin costs: its answer "
        "is kept per origin.",
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
        "Ratios are medians of per-repetition ratios of two cases timed moments apart (the IQR is "
        "that of the ratios): (a) a simple CORS GET costs at most 10% more than the same app "
        "without middleware, from an allowed origin or a refused one; (b) a preflight costs no "
        "more than a plain OPTIONS to the app without middleware; (c) at 1,000 routes a preflight "
        "costs at most half of hug's own class's; (d) 10,000 exact origins cost the same as 1; (e)"
        " per-route policies configured cost at most 3% more than none; (f) a GET from an origin a"
        " pattern, the regex or a cached allow_origin_func decision allows costs at most 10% more "
        "than no middleware, as an exact origin does; (g) with reject_cross_origin_writes, an "
        "allowed origin's write costs at most 3% more than without.",
        "",
        markdown_table(check_rows(checks)),
        "",
        *floor_note(checks),
        *get_floor_note(checks),
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
