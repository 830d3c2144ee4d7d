"""Failed sign-ins counted per network address and per (address, account name), never per account.

Locking an account after failures would let anyone lock every moderator out; counting by the
address the guesses come from slows the guesser only. Unknown and known names are counted the
same way, so the answers do not tell which names exist. Counts live in this process's memory
(with several server processes each keeps its own).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from datetime import datetime, timedelta

from townhall.services.clock import Clock, utcnow

PER_ACCOUNT = 5  # failures from one address for one name within the window
PER_ADDRESS = 30  # failures from one address for any names within the window
WINDOW = timedelta(minutes=15)
MAX_KEYS = 50_000  # oldest keys are forgotten beyond this, so memory stays bounded


class LoginThrottle:
    def __init__(
        self,
        clock: Clock = utcnow,
        per_account: int = PER_ACCOUNT,
        per_address: int = PER_ADDRESS,
        window: timedelta = WINDOW,
    ):
        self.clock = clock
        self.limits = {"pair": per_account, "address": per_address}
        self.window = window
        self._failures: OrderedDict[tuple[str, ...], deque[datetime]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _keys(address: str, name: str) -> dict[str, tuple[str, ...]]:
        return {"pair": ("pair", address, name.strip().lower()), "address": ("address", address)}

    def wait(self, address: str, name: str) -> int:
        """Whole seconds before this address may try this name again (0: now)."""
        now = self.clock()
        longest = 0.0
        with self._lock:
            for kind, key in self._keys(address, name).items():
                times = self._recent(key, now)
                if len(times) >= self.limits[kind]:
                    longest = max(longest, (times[0] + self.window - now).total_seconds())
        return int(longest + 0.999) if longest > 0 else 0

    def failed(self, address: str, name: str) -> None:
        now = self.clock()
        with self._lock:
            for key in self._keys(address, name).values():
                times = self._recent(key, now)
                times.append(now)
                self._failures[key] = times
                self._failures.move_to_end(key)
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)

    def succeeded(self, address: str, name: str) -> None:
        """The right password from this address: its failures for this name are forgotten."""
        with self._lock:
            self._failures.pop(self._keys(address, name)["pair"], None)

    def _recent(self, key: tuple[str, ...], now: datetime) -> deque[datetime]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times
