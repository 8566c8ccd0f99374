"""Timing in process: one request of a case checked (``probe``), batches timed with the
garbage collector off (``time_batch``), each case's batch sized (``calibrate``), the
interleaved repetitions (``measure``), and the quartiles of a case's samples."""

from __future__ import annotations

import gc
import io
import random
import statistics
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Sequence, Tuple

if TYPE_CHECKING:  # benchmarks/falcon.py times without hug, which cases.py imports
    from cases import Case, Group


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


def quartiles(values: Sequence[float]) -> Tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3
