"""The spam signal's memory of a site's recent comments, read from the database.

Near-duplicates are found through the band keys stored with each comment
(``comment_fingerprints``) and flooding is counted on the comments table, so every server
process gives the same answer as one would: a copy posted through one process is caught when
it reaches another. The comment service stores the keys in the comment's own transaction;
``remember`` has nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from townhall.moderation.signals.spam import fingerprint, similarity
from townhall.services.clock import Clock, utcnow
from townhall.storage import Storage

DUPLICATE_WINDOW = timedelta(days=7)  # how far back a copy counts as a near-duplicate
CANDIDATES = 200  # newest comments sharing a band that are compared in full


@dataclass(frozen=True, slots=True)
class Remembered:
    """A stored comment as the spam signal's evidence names it."""

    comment_id: str
    story_key: str
    excerpt: str


class StoredRecentComments:
    def __init__(self, storage: Storage, site_id: str, clock: Clock = utcnow):
        self.storage = storage
        self.site_id = site_id
        self.clock = clock

    def nearest(self, text: str, *, exclude_id: str | None = None) -> tuple[float, Remembered] | None:
        bands = fingerprint(text)
        if not bands:
            return None
        since = self.clock() - DUPLICATE_WINDOW
        exclude = int(exclude_id) if exclude_id is not None else None
        with self.storage.read() as tx:
            rows = tx.recent.sharing_bands(self.site_id, bands, since, exclude, CANDIDATES)
        best: tuple[float, Remembered] | None = None
        for row in rows:
            sim = similarity(text, row["body"])
            if best is None or sim > best[0]:
                excerpt = " ".join(row["body"].split())[:120]
                best = (sim, Remembered(str(row["id"]), str(row["story_id"]), excerpt))
        return best

    def count_recent(self, kind: str, key: str, now: datetime, window_s: float) -> int:
        start = now - timedelta(seconds=window_s)
        with self.storage.read() as tx:
            if kind == "author":
                return tx.recent.by_author(self.site_id, key, start, now)
            return tx.recent.by_network(self.site_id, key, start, now)

    def remember(
        self,
        text: str,
        *,
        when: datetime,
        story_key: str | None = None,
        author_key: str | None = None,
        network_key: str | None = None,
        comment_id: str | None = None,
    ) -> None:
        """Nothing to do: the comment service stores the comment's keys with the comment."""
