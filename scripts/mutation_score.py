"""Print the mutation score of each mutated module after `mutmut run` (`tox -e mutation`).

A mutant counts as killed when a test failed or timed out with it. A surviving mutant
listed in tests/equivalent_mutants.txt changes nothing a user can observe and leaves the
count; every other survivor is printed with its diff. The exit status is 1 when a module
kills fewer than 95% of its non-equivalent mutants. Mutants not checked yet (a run that
was stopped, or one limited to some mutants) are counted apart.

With --rerun-survivors it first tests the survivors that the equivalents file does not
list again: mutmut keeps a mutant's result until its function changes, so without this a
survivor would stay one after a new test kills it.

With --falcon PYTHON TEST... it then runs those tests (the plain Falcon suite) with
PYTHON, an environment with Falcon 4 and without hug, against each survivor still not
explained: the plain Falcon code (falcon.App, the ASGI hooks) runs only there, not under
hug's Falcon 2.0. A mutant that makes a test fail there counts as killed.

Each line of the equivalents file reads `mutant name | mutated line | why it is
equivalent`. mutmut numbers the mutants of a function in order, so an edit to the function
can give a listed number to another mutant: the mutated line must match too, else the
mutant is reported as a new survivor and the entry as stale.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "tests" / "equivalent_mutants.txt"
MUTANTS = ROOT / "mutants"
TARGET = 95.0
KILLED = {"killed", "timeout", "caught by type check"}


def mutmut(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "mutmut", *args], capture_output=True, text=True, check=True
    ).stdout


def statuses() -> dict[str, str]:
    """Every mutant's name and status, as `mutmut results --all true` prints them."""
    found = {}
    for line in mutmut("results", "--all", "true").splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep:
            found[name] = status
    return found


def module_of(mutant: str) -> str:
    """`hug_cors._policy.x_allow__mutmut_3` -> `hug_cors._policy`."""
    parts = mutant.split(".")
    for index, part in enumerate(parts):
        if part.startswith(("x_", "xǁ")):
            return ".".join(parts[:index])
    return mutant


def diff_of(mutant: str) -> str:
    return mutmut("show", mutant)


def mutated_line(diff: str) -> str:
    added = [line[1:].strip() for line in diff.splitlines() if line.startswith("+")]
    return " / ".join(line for line in added if not line.startswith("++"))


def equivalents() -> dict[str, tuple[str, str]]:
    """name -> (mutated line, reason) from the equivalents file."""
    entries = {}
    for number, line in enumerate(EQUIVALENTS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [field.strip() for field in line.split(" | ")]
        if len(fields) != 3 or not all(fields):
            sys.exit(f"{EQUIVALENTS.name}:{number}: expected 'name | mutated line | reason'")
        entries[fields[0]] = (fields[1], fields[2])
    return entries


def rerun_survivors(results: dict[str, str], listed: dict[str, tuple[str, str]]) -> None:
    survivors = [
        name
        for name, status in results.items()
        if status not in KILLED and status != "not checked" and name not in listed
    ]
    if survivors:
        children = os.environ.get("MUTMUT_CHILDREN", "2")
        command = [sys.executable, "-m", "mutmut", "run", "--max-children", children]
        subprocess.run([*command, *survivors], check=True)


def pytest_arguments() -> list[str]:
    """The arguments mutmut gives pytest ([tool.mutmut] in pyproject.toml), for the same
    deselections under the Falcon suite."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        settings = tomllib.load(file)["tool"]["mutmut"]
    return list(settings["pytest_add_cli_args"])


def killed_by_falcon_suite(survivors: list[str], python: str, tests: list[str]) -> set[str]:
    """The survivors that make a test of ``tests`` fail when ``python`` runs them in
    mutants/, with the mutated hug_cors first on the path and each survivor active."""
    # Absolute, since it runs from mutants/; not resolved, which would leave the venv.
    python = os.path.abspath(python)
    command = [python, "-m", "pytest", *pytest_arguments(), "-n", "auto", "-x", *tests]
    environment = {**os.environ, "PYTHONPATH": str(MUTANTS / "src"), "MUTANT_UNDER_TEST": ""}
    started = time.monotonic()
    clean = subprocess.run(command, cwd=MUTANTS, env=environment, capture_output=True, text=True)
    if clean.returncode != 0:  # with no mutant active every test must pass
        sys.exit(f"the Falcon suite fails without a mutant:\n{clean.stdout[-3000:]}")
    timeout = 10 * (time.monotonic() - started) + 30
    killed = set()
    for name in survivors:
        environment["MUTANT_UNDER_TEST"] = name
        try:
            run = subprocess.run(
                command, cwd=MUTANTS, env=environment, capture_output=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            killed.add(name)  # as mutmut counts a timeout
            continue
        if run.returncode != 0:
            killed.add(name)
    return killed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rerun-survivors", action="store_true")
    parser.add_argument("--falcon", metavar="PYTHON", help="a Python with Falcon 4, no hug")
    parser.add_argument("falcon_tests", nargs="*", metavar="TEST", help="the Falcon suite")
    options = parser.parse_args()
    if options.falcon and not options.falcon_tests:
        parser.error("--falcon needs the tests of the plain Falcon suite")
    results = statuses()
    if not results:
        sys.exit("no mutants: run `mutmut run` first")
    listed = equivalents()
    if options.rerun_survivors:
        rerun_survivors(results, listed)
        results = statuses()
    totals: Counter[str] = Counter()
    killed: Counter[str] = Counter()
    equivalent: Counter[str] = Counter()
    new_survivors = []
    unchecked: Counter[str] = Counter()
    for name, status in sorted(results.items()):
        module = module_of(name)
        if status == "not checked":  # a run stopped early, or limited to some mutants
            unchecked[module] += 1
            continue
        totals[module] += 1
        if status in KILLED:
            killed[module] += 1
            continue
        diff = diff_of(name)
        if name in listed and listed[name][0] == mutated_line(diff):
            equivalent[module] += 1
        else:
            new_survivors.append((name, status, diff))
    by_falcon: set[str] = set()
    if options.falcon and new_survivors:
        names = [name for name, _, _ in new_survivors]
        by_falcon = killed_by_falcon_suite(names, options.falcon, options.falcon_tests)
        for name in by_falcon:
            killed[module_of(name)] += 1
        new_survivors = [row for row in new_survivors if row[0] not in by_falcon]

    print(
        f"{'module':<20} {'checked':>8} {'killed':>7} {'equivalent':>11} {'score':>7}"
        f" {'unchecked':>10}"
    )
    below = []
    for module in sorted(totals | unchecked):
        counted = totals[module] - equivalent[module]
        score = 100.0 * killed[module] / counted if counted else 100.0
        print(
            f"{module:<20} {totals[module]:>8} {killed[module]:>7} {equivalent[module]:>11}"
            f" {score:>6.1f}% {unchecked[module]:>10}"
        )
        if score < TARGET:
            below.append(module)
    for name, status, diff in new_survivors:
        stale = " (its entry in the equivalents file is stale)" if name in listed else ""
        print(f"\n{status}: {name}{stale}")
        print(diff.rstrip())
    if by_falcon:
        print(f"\n{len(by_falcon)} killed by the plain Falcon suite, not by hug's")
    killed_anywhere = {n for n, status in results.items() if status in KILLED} | by_falcon
    for name in sorted(n for n in listed if n in killed_anywhere or n not in results):
        print(f"\nstale entry, this mutant no longer survives or exists: {name}")
    print(
        f"\n{len(new_survivors)} survivors not listed as equivalent;"
        f" target: {TARGET:.0f}% of non-equivalent mutants killed in every module"
    )
    if unchecked:
        print(f"{sum(unchecked.values())} mutants not checked yet: the scores are partial")
    if below:
        print("below the target: " + ", ".join(below))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
