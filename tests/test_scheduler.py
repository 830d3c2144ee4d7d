"""The scheduler: periodic jobs in threads, woken early, surviving a failing job, stopping cleanly."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from townhall.scheduler import Scheduler


def test_jobs_run_at_start_on_their_period_and_when_woken() -> None:
    runs: list[str] = []
    thread_names: set[str] = set()

    def job() -> None:
        runs.append("job")
        thread_names.add(threading.current_thread().name)

    def failing() -> None:
        runs.append("failing")
        raise RuntimeError("boom")

    async def scenario() -> None:
        scheduler = Scheduler()
        scheduler.every(3600, "job", job)
        scheduler.every(0.05, "failing", failing)
        await scheduler.start()
        await asyncio.sleep(0.3)
        assert runs.count("job") == 1  # the long period has not come round again
        assert runs.count("failing") >= 3  # a failing job keeps its schedule
        # Woken from another thread, as a committed write does.
        waker = threading.Thread(target=scheduler.wake, args=("job",))
        waker.start()
        waker.join()
        await asyncio.sleep(0.2)
        assert runs.count("job") == 2
        scheduler.wake("unknown")  # ignored
        await scheduler.stop()
        stopped_at = len(runs)
        await asyncio.sleep(0.2)
        assert len(runs) == stopped_at

    # Its own event loop in its own thread: an earlier browser test may still hold this thread's loop.
    with ThreadPoolExecutor(1, thread_name_prefix="scenario") as pool:
        pool.submit(lambda: asyncio.run(scenario())).result(timeout=30)
    assert not any(name.startswith(("MainThread", "scenario")) for name in thread_names)


def test_a_job_name_is_used_once() -> None:
    scheduler = Scheduler()
    scheduler.every(1, "mail", lambda: None)
    with pytest.raises(ValueError, match="already scheduled"):
        scheduler.every(1, "mail", lambda: None)
    scheduler.wake("mail")  # not started: nothing happens
