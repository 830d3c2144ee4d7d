"""Old mail leaves the outbox: messages sent, or given up on, more than `mail_keep_days` ago are
deleted by the server's hourly job; a message still waiting for its next attempt never is."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from tests.conftest import FakeClock
from townhall.app import schedule_jobs
from townhall.config import Settings
from townhall.scheduler import Scheduler
from townhall.services import build_services
from townhall.services.mail import Outbox
from townhall.storage import Storage


def _queue(storage: Storage, clock: FakeClock, label: str) -> int:
    with storage.write() as tx:
        message_id = tx.outbox.enqueue("reply", f"{label}@example.org", label, "body", {}, clock())
    assert message_id is not None
    return message_id


def _ids(storage: Storage) -> set[str]:
    with storage.read() as tx:
        return {row["subject"] for row in tx.outbox.recent(100)}


def test_sent_and_given_up_mail_older_than_the_setting_is_deleted(
    storage: Storage, config: Settings, clock: FakeClock
) -> None:
    outbox = Outbox(storage, config.model_copy(update={"mail_keep_days": 30}), clock)
    start = clock()
    old_sent, old_failed, waiting = (
        _queue(storage, clock, name) for name in ("old-sent", "old-failed", "waiting")
    )
    with storage.write() as tx:
        tx.outbox.sent(old_sent, start)
        tx.outbox.failed(old_failed, "550 no such mailbox", None, start)  # given up
        tx.outbox.failed(waiting, "timed out", start + timedelta(days=40), start)  # tries again later
    clock.now = start + timedelta(days=20)
    recent = _queue(storage, clock, "recent-sent")
    with storage.write() as tx:
        tx.outbox.sent(recent, clock())
    assert outbox.sweep() == 0  # nothing is 30 days old yet
    clock.now = start + timedelta(days=31)
    assert outbox.sweep() == 2
    assert _ids(storage) == {"waiting", "recent-sent"}
    assert outbox.sweep() == 0
    clock.now = start + timedelta(days=51)
    assert outbox.sweep() == 1 and _ids(storage) == {"waiting"}
    keep = Outbox(storage, config.model_copy(update={"mail_keep_days": 0}), clock)
    with storage.write() as tx:
        tx.outbox.sent(waiting, start)
    assert keep.sweep() == 0 and _ids(storage) == {"waiting"}  # 0: kept for good


def test_the_server_scheduler_runs_the_sweep(storage: Storage, config: Settings, clock: FakeClock) -> None:
    services = build_services(config.model_copy(update={"mail_keep_days": 7}), storage, "s" * 32, clock=clock)
    sent = _queue(storage, clock, "last-month")
    with storage.write() as tx:
        tx.outbox.sent(sent, clock())
    clock.now += timedelta(days=8)
    scheduler = Scheduler()
    schedule_jobs(scheduler, services)
    assert "mail-sweep" in scheduler.jobs

    async def scenario() -> None:
        await scheduler.start()  # every job runs once soon after start
        for _ in range(100):
            if scheduler.jobs["mail-sweep"].runs:
                break
            await asyncio.sleep(0.05)
        await scheduler.stop()

    with ThreadPoolExecutor(1, thread_name_prefix="scenario") as pool:  # its own loop, as test_scheduler
        pool.submit(lambda: asyncio.run(scenario())).result(timeout=60)
    assert scheduler.jobs["mail-sweep"].runs >= 1
    assert _ids(storage) == set()
