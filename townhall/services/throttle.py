"""Failed sign-ins counted per network address and per (address, account name), never per account.

Locking an account after failures would let anyone lock every moderator out; counting by the
address the guesses come from slows the guesser only. Unknown and known names are counted the
same way, so the answers do not tell which names exist. The counts are the rate limits' shared
counters (Redis when configured, else the database; ``counters.py``), so every server process
sees the same failures; an address and a name are kept there only as keyed hashes.

A limit of N failures per window is a sliding-window count, as for the rate limits: this fixed
window's failures plus the previous window's, weighted by how much of it is still inside. That
is an estimate: 5 per 15 minutes lets at most 10 through in any 15 minutes, at a window's turn.
"""

from __future__ import annotations

import math
from datetime import timedelta

from townhall.services.clock import Clock, utcnow
from townhall.services.counters import CounterStore
from townhall.services.identity import keyed_hash, network_key

PER_ACCOUNT = 5  # failures from one address for one name within the window
PER_ADDRESS = 30  # failures from one address for any names within the window
WINDOW = timedelta(minutes=15)
EVERY_ONE = 2**31 - 1  # a limit never reached: every failure is counted


def seconds_until_below(previous: int, current: int, limit: int, elapsed: float, window: float) -> float:
    """How long until ``previous * weight + current`` falls below ``limit`` as the window slides
    (``elapsed`` seconds into this fixed window; nothing more counted meanwhile)."""
    if current >= limit:  # not before this window has become the previous one, and partly slid out
        return (window - elapsed) + window * (1 - limit / current)
    return max(0.0, window * (1 - (limit - current) / previous) - elapsed)


class LoginThrottle:
    def __init__(
        self,
        counters: CounterStore,
        secret: str,
        clock: Clock = utcnow,
        per_account: int = PER_ACCOUNT,
        per_address: int = PER_ADDRESS,
        window: timedelta = WINDOW,
    ):
        self.counters = counters
        self.secret = secret
        self.clock = clock
        self.limits = {"pair": per_account, "address": per_address}
        self.window = window.total_seconds()

    def _keys(self, address: str, name: str) -> dict[str, str]:
        pair = keyed_hash(self.secret, f"signin:{address}\n{name.strip().lower()}")[:40]
        return {
            "pair": f"signin-pair:{pair}",
            "address": f"signin-address:{network_key(self.secret, address)}",
        }

    def _now(self) -> tuple[int, float]:
        """This fixed window's number and how far into it we are, in seconds."""
        now = self.clock().timestamp()
        slot = int(now // self.window)
        return slot, now - slot * self.window

    def wait(self, address: str, name: str) -> int:
        """Whole seconds before this address may try this name again (0: now)."""
        slot, elapsed = self._now()
        weight = 1 - elapsed / self.window
        longest = 0.0
        for kind, key in self._keys(address, name).items():
            previous, current = self.counters.counts(key, slot)
            limit = self.limits[kind]
            if previous * weight + current >= limit:
                longest = max(longest, seconds_until_below(previous, current, limit, elapsed, self.window), 1)
        return math.ceil(longest)

    def failed(self, address: str, name: str) -> None:
        slot, elapsed = self._now()
        weight = 1 - elapsed / self.window
        for key in self._keys(address, name).values():
            # Every failure counts: wait() decides, so a failure allowed at a window's turn must
            # count too, or the estimate would let the guesser on for ever.
            self.counters.hit(key, slot, EVERY_ONE, weight, int(self.window * 2) + 1)

    def succeeded(self, address: str, name: str) -> None:
        """The right password from this address: its failures for this name are forgotten."""
        slot, _elapsed = self._now()
        self.counters.clear(self._keys(address, name)["pair"], slot)
