"""The numbers that tell a newsroom whether to trust the models.

Volume per hour and per day, the share of comments each signal held or rejected on arrival, how
often moderators agreed with those holds (a signal's precision as moderators judge it), and the
busiest stories.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from townhall.services.clock import Clock, utcnow
from townhall.services.holds import causes
from townhall.storage import Storage
from townhall.types import CommentStatus


@dataclass(frozen=True, slots=True)
class SignalStats:
    name: str
    held: int  # comments it held on arrival
    rejected: int  # comments it rejected on arrival
    reviewed: int  # of those, how many a moderator has decided since
    agreed: int  # decisions that went the signal's way (rejected)

    @property
    def precision(self) -> float | None:
        """Share of reviewed holds a moderator rejected; None before any review."""
        return self.agreed / self.reviewed if self.reviewed else None

    @property
    def overturned(self) -> int:
        """Reviewed holds a moderator approved: the signal was overruled."""
        return self.reviewed - self.agreed

    @property
    def overturn_rate(self) -> float | None:
        return self.overturned / self.reviewed if self.reviewed else None


@dataclass(frozen=True, slots=True)
class Stats:
    since: datetime
    total: int
    per_hour: list[tuple[datetime, int]]  # the last 48 hours, oldest first, zeros included
    per_day: list[tuple[datetime, int]]  # the period's days, oldest first, zeros included
    held: int
    rejected: int
    signals: list[SignalStats]
    moderator_actions: dict[str, int]
    busiest: list[dict[str, Any]]

    def share(self, count: int) -> float:
        return count / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class SiteStats:
    """One site's hold rate and how often its moderators overturned each signal."""

    site_id: str
    name: str
    total: int
    held: int
    signals: list[SignalStats]

    @property
    def hold_rate(self) -> float | None:
        return self.held / self.total if self.total else None


def _series(counts: dict[str, int], start: datetime, step: timedelta, n: int) -> list[tuple[datetime, int]]:
    series = []
    for i in range(n):
        at = start + step * i
        series.append((at, counts.get(at.strftime("%Y-%m-%d %H:00"), 0)))
    return series


class StatsService:
    def __init__(self, storage: Storage, clock: Clock = utcnow):
        self.storage = storage
        self.clock = clock

    def by_site(self, site_ids: list[str], days: int = 30) -> list[SiteStats]:
        """These sites' hold rates and overturns over the period."""
        with self.storage.read() as tx:
            sites = [site for site in tx.sites.list() if site.id in site_ids]
        found = []
        for site in sites:
            stats = self.overview(site.id, days)
            found.append(SiteStats(site.id, site.name, stats.total, stats.held, stats.signals))
        return found

    def overview(self, site_id: str | None = None, days: int = 30) -> Stats:
        days = min(max(days, 1), 366)
        now = self.clock()
        this_hour = now.replace(minute=0, second=0, microsecond=0)
        today = this_hour.replace(hour=0)
        first_day = today - timedelta(days=days - 1)
        first_hour = this_hour - timedelta(hours=47)
        with self.storage.read() as tx:
            hourly = tx.stats.volume(site_id, first_hour, "hour")
            daily = tx.stats.volume(site_id, first_day, "day")
            total = tx.stats.total(site_id, first_day)
            decided = tx.stats.signal_decisions(site_id, first_day)
            outcomes = tx.stats.moderator_outcomes([row["id"] for row in decided])
            actions = tx.stats.moderator_actions(site_id, first_day)
            busiest = tx.stats.busiest(site_id, first_day)
            settings = {site.id: site.settings for site in tx.sites.list()}
        tallies: dict[str, dict[str, int]] = {}
        held = rejected = 0
        for row in decided:
            arrival = row["arrival"]
            held += arrival == CommentStatus.HELD.value
            rejected += arrival == CommentStatus.REJECTED.value
            outcome = outcomes.get(row["id"])
            for name in causes(row["verdict"], settings[row["site_id"]]):
                tally = tallies.setdefault(name, {"held": 0, "rejected": 0, "reviewed": 0, "agreed": 0})
                tally["held" if arrival == CommentStatus.HELD.value else "rejected"] += 1
                if outcome in (CommentStatus.PUBLISHED.value, CommentStatus.REJECTED.value):
                    tally["reviewed"] += 1
                    tally["agreed"] += outcome == CommentStatus.REJECTED.value
        signals = [SignalStats(name, **tally) for name, tally in sorted(tallies.items())]
        return Stats(
            since=first_day,
            total=total,
            per_hour=_series(hourly, first_hour, timedelta(hours=1), 48),
            per_day=_series(daily, first_day, timedelta(days=1), days),
            held=held,
            rejected=rejected,
            signals=signals,
            moderator_actions=actions,
            busiest=busiest,
        )
