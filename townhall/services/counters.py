"""Counters shared by every server process: rate limits give the same answers with one process or many.

A limit of N per window is a sliding-window counter: the current fixed window's count plus the
previous window's, weighted by how much of it still lies inside the sliding window. Counts live
in Redis when ``redis_url`` is set, otherwise in the database; either way every process sees
the same numbers, and a refused attempt is not counted. While Redis cannot be reached the counts
go to the database (``FallbackCounters``): a limit is never silently lifted.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

import redis

from townhall.storage import Storage

log = logging.getLogger(__name__)

# KEYS: this window's counter, the previous one. ARGV: limit, weight of the previous window, ttl.
_SLIDING_HIT = """
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if previous * tonumber(ARGV[2]) + current > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return 1
"""


class CounterStore(Protocol):
    def hit(self, key: str, window: int, limit: int, previous_weight: float, ttl: int) -> bool:
        """Count one attempt in ``window``; False (and not counted) when it would pass ``limit``."""
        ...

    def counts(self, key: str, window: int) -> tuple[int, int]:
        """(previous window's count, this window's count), counting nothing."""
        ...

    def clear(self, key: str, window: int) -> None:
        """Forget a key's counts (those that still count in ``window``)."""
        ...


class RedisCounters:
    def __init__(self, url: str):
        # Short timeouts: a Redis that does not answer must not hold requests (the database takes over).
        self._client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._script = self._client.register_script(_SLIDING_HIT)

    @staticmethod
    def _keys(key: str, window: int) -> list[str]:
        return [f"townhall:limit:{key}:{window}", f"townhall:limit:{key}:{window - 1}"]

    def hit(self, key: str, window: int, limit: int, previous_weight: float, ttl: int) -> bool:
        return bool(self._script(keys=self._keys(key, window), args=[limit, previous_weight, ttl]))

    def counts(self, key: str, window: int) -> tuple[int, int]:
        current, previous = self._client.mget(self._keys(key, window))
        return int(previous or 0), int(current or 0)

    def clear(self, key: str, window: int) -> None:
        self._client.delete(*self._keys(key, window))


class DatabaseCounters:
    def __init__(self, storage: Storage, clock: Callable[[], float] = time.time):
        self.storage = storage
        self.clock = clock

    def hit(self, key: str, window: int, limit: int, previous_weight: float, ttl: int) -> bool:
        now = self.clock()
        with self.storage.write() as tx:
            allowed = tx.limits.hit(key, window, limit, previous_weight, int(now) + ttl)
            if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
                tx.limits.expire(int(now))
        return allowed

    def counts(self, key: str, window: int) -> tuple[int, int]:
        with self.storage.read() as tx:
            return tx.limits.counts(key, window)

    def clear(self, key: str, window: int) -> None:
        with self.storage.write() as tx:
            tx.limits.clear(key)


T = TypeVar("T")


class FallbackCounters:
    """Redis, and the database while Redis cannot be reached.

    Why the database and not a 503: Redis is there to spare the database, not to hold the truth,
    and a newsroom would rather keep its comments open through a Redis restart than refuse every
    reader. Every process falls back the same way, so they still share one count; the counts start
    afresh in the database (a limit may let through up to its own size once more at the switch),
    which is bounded, where letting everything through was not. Redis is tried again after a few
    seconds, so an outage costs one refused connection per process every ``retry_seconds``.
    """

    def __init__(
        self,
        primary: CounterStore,
        fallback: CounterStore,
        retry_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.primary = primary
        self.fallback = fallback
        self.retry_seconds = retry_seconds
        self.clock = clock
        self._down_until: float | None = None  # while set, Redis was down and is not tried before then

    def _either(self, use: Callable[[CounterStore], T]) -> T:
        if self._down_until is None or self.clock() >= self._down_until:
            try:
                answer = use(self.primary)
            except (redis.RedisError, OSError) as exc:
                if self._down_until is None:
                    log.warning("Redis is unreachable (%s): rate limits are counted in the database", exc)
                self._down_until = self.clock() + self.retry_seconds
            else:
                if self._down_until is not None:
                    log.warning("Redis answers again: rate limits are counted in Redis")
                    self._down_until = None
                return answer
        return use(self.fallback)

    def hit(self, key: str, window: int, limit: int, previous_weight: float, ttl: int) -> bool:
        return self._either(lambda store: store.hit(key, window, limit, previous_weight, ttl))

    def counts(self, key: str, window: int) -> tuple[int, int]:
        return self._either(lambda store: store.counts(key, window))

    def clear(self, key: str, window: int) -> None:
        self._either(lambda store: store.clear(key, window))


def make_counters(redis_url: str, storage: Storage) -> CounterStore:
    database = DatabaseCounters(storage)
    return FallbackCounters(RedisCounters(redis_url), database) if redis_url else database


class SlidingWindow:
    """At most ``count`` attempts per ``seconds`` per key, counted in a shared store (0 = no limit)."""

    def __init__(
        self,
        store: CounterStore,
        name: str,
        count: int,
        seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.name = name
        self.count = count
        self.seconds = seconds
        self.clock = clock

    def allow(self, key: str) -> bool:
        if self.count == 0:
            return True
        now = self.clock()
        window = int(now // self.seconds)
        weight = 1.0 - (now - window * self.seconds) / self.seconds
        return self.store.hit(f"{self.name}:{key}", window, self.count, weight, int(self.seconds * 2) + 1)
