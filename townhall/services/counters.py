"""Counters shared by every server process: rate limits give the same answers with one process or many.

A limit of N per window is a sliding-window counter: the current fixed window's count plus the
previous window's, weighted by how much of it still lies inside the sliding window. Counts live
in Redis when ``redis_url`` is set, otherwise in the database; either way every process sees
the same numbers, and a refused attempt is not counted.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Protocol

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


class RedisCounters:
    def __init__(self, url: str):
        self._client = redis.Redis.from_url(url)
        self._script = self._client.register_script(_SLIDING_HIT)

    def hit(self, key: str, window: int, limit: int, previous_weight: float, ttl: int) -> bool:
        keys = [f"townhall:limit:{key}:{window}", f"townhall:limit:{key}:{window - 1}"]
        return bool(self._script(keys=keys, args=[limit, previous_weight, ttl]))


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


def make_counters(redis_url: str, storage: Storage) -> CounterStore:
    return RedisCounters(redis_url) if redis_url else DatabaseCounters(storage)


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
        try:
            return self.store.hit(f"{self.name}:{key}", window, self.count, weight, int(self.seconds * 2) + 1)
        except (redis.RedisError, OSError) as exc:
            # A limit that cannot be counted must not take the comment section down with it.
            log.warning("rate limit %s not checked: %s", self.name, exc)
            return True
