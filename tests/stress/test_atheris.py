"""Coverage-guided fuzzing with atheris: tests/stress/atheris_harness.py, run for a bounded
time in a subprocess (libFuzzer exits the process on a finding)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict

from tests.stress.support import ROOT

HARNESS = Path(__file__).with_name("atheris_harness.py")
SECONDS = 10


def fuzz(
    seconds: int, extra_env: Dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra_env}
    return subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            f"-max_total_time={seconds}",
            "-runs=5000000",
            f"-artifact_prefix={tmp_path}/",
            "-print_final_stats=1",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
        env=env,
        cwd=tmp_path,
    )


def test_atheris_finds_no_violation(tmp_path: Path) -> None:
    done = fuzz(SECONDS, {}, tmp_path)
    runs = re.search(r"Done (\d+) runs in (\d+) second", done.stderr)
    coverage = re.findall(r"cov: (\d+)", done.stderr)
    print(
        f"\n[atheris] {runs.group(1) if runs else '?'} inputs in "
        f"{runs.group(2) if runs else '?'} s, coverage {coverage[-1] if coverage else '?'} "
        "edges of hug_cors"
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert runs is not None, done.stderr[-2000:]
    assert int(runs.group(1)) > 10_000
    assert "Instrumenting hug_cors._policy" in done.stderr


def test_atheris_catches_a_planted_violation(tmp_path: Path) -> None:
    done = fuzz(SECONDS, {"HUG_CORS_ATHERIS_PLANTED_DEFECT": "1"}, tmp_path)
    assert done.returncode != 0
    assert "Access-Control-Allow-Origin 'https://app.example.com'" in done.stdout + done.stderr
    assert list(tmp_path.glob("crash-*")), "libFuzzer saved no crashing input"
