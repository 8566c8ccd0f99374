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

This file is the command line only; it wires together ``cases.py`` (the scenarios and
groups), ``timing.py`` (batches, calibration, repetitions), ``targets.py`` (the checks
of the quality targets), ``report.py`` (tables, plot, the page), ``end_to_end.py``
(servers, wrk, connection counts) and ``profiling.py`` (cProfile, the hooks timed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from cases import Case, Group, build_groups
from end_to_end import end_to_end
from profiling import profile
from report import REPO, check_rows, group_table, machine, plot, text_table, write_page
from targets import Check, checks_for, evaluate
from timing import measure

DOCS = REPO / "docs"


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
