"""The HTTP rate limit on writes per reader address, counted across every server process."""

from __future__ import annotations

from townhall.errors import RateLimited
from townhall.services.counters import SlidingWindow
from townhall.services.identity import network_key


class RateLimit:
    """Comments, edits, votes and reports from one address: at most the window's count a minute."""

    def __init__(self, window: SlidingWindow | None = None, secret: str = ""):
        self.window = window
        self.secret = secret

    def check(self, address: str) -> None:
        # Counted under the address's keyed hash: the shared store never holds a raw IP.
        if self.window is not None and not self.window.allow(network_key(self.secret, address)):
            raise RateLimited("too many comments or votes in a short time; please wait a minute")
