"""The sliding window gives the same answers counted in SQLite, PostgreSQL or Redis."""

from __future__ import annotations

import pytest
import redis

from tests import servers
from townhall.services.counters import CounterStore, DatabaseCounters, RedisCounters, SlidingWindow
from townhall.storage import Storage


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _allowed(window: SlidingWindow, key: str, attempts: int) -> int:
    return sum(window.allow(key) for _ in range(attempts))


def _sequence(store: CounterStore, key: str) -> list[int]:
    """How many of 30 attempts pass at moments across three minutes, with a limit of 20 a minute."""
    clock = Clock(600_000 * 60.0)  # the start of a minute
    window = SlidingWindow(store, "test", 20, 60.0, clock)
    passed = [_allowed(window, key, 30)]  # 20: the limit
    clock.now += 60.0  # next minute, at its start: last minute's 20 still count in full
    passed.append(_allowed(window, key, 30))
    clock.now += 30.0  # half-way: half of last minute's count has lapsed
    passed.append(_allowed(window, key, 30))
    clock.now += 90.0  # two quiet minutes later
    passed.append(_allowed(window, key, 30))
    return passed


EXPECTED = [20, 0, 10, 20]


def test_the_database_counts_the_same_on_both_backends(storage: Storage) -> None:
    assert _sequence(DatabaseCounters(storage), "database") == EXPECTED


def test_redis_counts_the_same(redis_url: str) -> None:
    assert _sequence(RedisCounters(redis_url), "redis-sequence") == EXPECTED


def test_a_redis_that_cannot_be_reached_raises_rather_than_lets_through() -> None:
    """The store says so; FallbackCounters then counts in the database (tests/api/test_redis_down.py)."""
    unreachable = RedisCounters(f"redis://127.0.0.1:{servers.free_port()}/0")
    with pytest.raises(redis.ConnectionError):
        SlidingWindow(unreachable, "down", 1).allow("anyone")


def test_counts_and_clear_read_the_same_in_the_database_and_redis(storage: Storage, redis_url: str) -> None:
    """What the sign-in throttle reads: (previous window, this window), and a key forgotten."""
    for store in (DatabaseCounters(storage), RedisCounters(redis_url)):
        key = f"peek-{type(store).__name__}"
        assert store.hit(key, 10, 5, 1.0, 100) and store.hit(key, 11, 5, 1.0, 100)
        assert store.hit(key, 11, 5, 1.0, 100)
        assert store.counts(key, 11) == (1, 2)
        assert store.counts(key, 12) == (2, 0)
        store.clear(key, 11)
        assert store.counts(key, 11) == (0, 0)


def test_zero_means_no_limit(storage: Storage) -> None:
    window = SlidingWindow(DatabaseCounters(storage), "off", 0)
    assert _allowed(window, "k", 50) == 50
