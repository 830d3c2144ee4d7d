"""A small in-process rate limit on writes, per reader network address."""

from __future__ import annotations

import threading
import time
from collections import deque

from townhall.errors import RateLimited


class RateLimit:
    """At most ``count`` writes per ``seconds`` per key (a sliding window; bounded memory; 0 = off)."""

    def __init__(self, count: int = 20, seconds: float = 60.0, max_keys: int = 50_000):
        self.count = count
        self.seconds = seconds
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        if self.count == 0:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._hits) > self.max_keys:
                self._hits.clear()
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] > self.seconds:
                hits.popleft()
            if len(hits) >= self.count:
                raise RateLimited("too many comments or votes in a short time; please wait a minute")
            hits.append(now)
