"""Periodic jobs in the server's lifespan: a small scheduler anyone can add a job to.

Each job is a plain function run in a worker thread every ``seconds``, never overlapping itself;
an exception is logged and the job runs again next time. ``wake(name)`` runs a job soon, from
any thread (a write that queued mail wakes the sender instead of waiting for its next turn)::

    scheduler = Scheduler()
    scheduler.every(30, "mail", outbox.send_pending)
    await scheduler.start()   # in the app's lifespan
    ...
    await scheduler.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    seconds: float
    run: Callable[[], object]
    wake: asyncio.Event | None = None
    task: asyncio.Task[None] | None = None
    runs: int = field(default=0)


class Scheduler:
    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False

    def every(self, seconds: float, name: str, run: Callable[[], object]) -> None:
        """Run ``run()`` every ``seconds`` (the first time soon after start)."""
        if name in self.jobs:
            raise ValueError(f"a job named {name!r} is already scheduled")
        self.jobs[name] = Job(name, seconds, run)

    def wake(self, name: str) -> None:
        """Run the job soon; safe to call from any thread, and a no-op when it is not running."""
        job = self.jobs.get(name)
        loop = self._loop
        if job is None or job.wake is None or loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(job.wake.set)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        for job in self.jobs.values():
            job.wake = asyncio.Event()
            job.task = asyncio.create_task(self._loop_job(job), name=f"townhall-job-{job.name}")

    async def stop(self, grace: float = 15.0) -> None:
        """Let running jobs finish (a thread cannot be cancelled), waiting at most ``grace`` seconds."""
        self._stopping = True
        tasks = [job.task for job in self.jobs.values() if job.task is not None]
        for job in self.jobs.values():
            if job.wake is not None:
                job.wake.set()
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        for job in self.jobs.values():
            job.task = job.wake = None
        self._loop = None

    async def _loop_job(self, job: Job) -> None:
        assert job.wake is not None
        while not self._stopping:
            job.wake.clear()
            try:
                await asyncio.to_thread(job.run)
            except Exception:  # noqa: BLE001 - a failing job must not stop the others or the server
                log.exception("periodic job %s failed", job.name)
            job.runs += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(job.wake.wait(), timeout=job.seconds)
