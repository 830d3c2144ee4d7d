"""Rate limits hold when Redis goes away: the counts move to the database, never to nothing.

A real server process counts its write limit in a real Redis; Redis is shut down mid-way, and the
limit still refuses once the database's count is full (before, every request passed)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import httpx
import pytest
import redis

from tests import servers
from townhall.services.counters import DatabaseCounters, FallbackCounters, RedisCounters, SlidingWindow
from townhall.storage import Storage

ORIGIN = "https://news.example"
STORY = f"{ORIGIN}/limits/redis-down"
LIMIT = 4


def _post(url: str, i: int) -> int:
    body = {"site": "ledger", "url": STORY, "body": f"Comment number {i}", "author_name": "Ana"}
    response = httpx.post(f"{url}/api/v1/comments", json=body, timeout=30)
    assert response.status_code in (201, 429), response.text
    return response.status_code


def _shut_down(redis_url: str) -> None:
    with contextlib.suppress(redis.ConnectionError):  # it goes away while answering
        redis.Redis.from_url(redis_url).shutdown(nosave=True)


def test_a_server_whose_redis_stops_keeps_its_write_limit(tmp_path: Path) -> None:
    database = servers.sqlite_site(tmp_path / "townhall.sqlite3", ORIGIN)
    log = tmp_path / "server.log"
    with servers.redis(tmp_path / "redis") as redis_url:
        settings = {"redis_url": redis_url, "write_rate_limit": str(LIMIT)}
        with servers.serve(database, log, **settings) as url:
            servers.early_in_a_minute(20)
            before = [_post(url, i) for i in range(2)]  # counted in Redis
            _shut_down(redis_url)
            after = [_post(url, i) for i in range(2, 2 + 2 * LIMIT)]
    assert before == [201, 201]
    # Counted afresh in the database: one limit's worth passes, then every write is refused.
    assert after == [201] * LIMIT + [429] * LIMIT
    assert "rate limits are counted in the database" in log.read_text()


def test_counts_go_to_the_database_while_redis_cannot_be_reached(
    storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    nobody = f"redis://127.0.0.1:{servers.free_port()}/0"  # nothing listens there
    counters = FallbackCounters(RedisCounters(nobody), DatabaseCounters(storage), retry_seconds=60)
    window = SlidingWindow(counters, "writes", 3)
    answers = [window.allow("reader-address") for _ in range(5)]
    assert answers == [True, True, True, False, False]
    assert sum("counted in the database" in r.getMessage() for r in caplog.records) == 1  # said once
