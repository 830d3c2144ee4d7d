"""CPU time for the tests that guard against runaway work (catastrophic regex backtracking, a scan
over every stored fingerprint): the thread's own CPU time, best of a few runs, so a busy machine
that makes the test wait for a core does not fail it, while a quadratic blow-up still does."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def best_cpu_seconds(work: Callable[[], Any], runs: int = 3) -> float:
    """The least thread CPU time ``work`` took over ``runs`` calls."""
    best = float("inf")
    for _ in range(runs):
        started = time.thread_time()
        work()
        best = min(best, time.thread_time() - started)
    return best
