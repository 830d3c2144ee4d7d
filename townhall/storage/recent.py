"""A site's recent comments as the spam signal asks about them: near-duplicates and flooding.

Kept in the database (not in each process's memory) so that several server processes see the
same recent comments: a copy posted through one process is found by the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from townhall.storage.schema import authors, comment_fingerprints, comments


class RecentRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    def fingerprint(self, comment_id: int, site_id: str, bands: Sequence[str], when: datetime) -> None:
        """Replace a comment's band keys (an edit changes them)."""
        self.c.execute(delete(comment_fingerprints).where(comment_fingerprints.c.comment_id == comment_id))
        if bands:
            rows = [
                {"comment_id": comment_id, "band": band, "site_id": site_id, "created_at": when}
                for band in dict.fromkeys(bands)
            ]
            self.c.execute(insert(comment_fingerprints), rows)

    def sharing_bands(
        self, site_id: str, bands: Sequence[str], since: datetime, exclude_id: int | None, limit: int
    ) -> list[dict[str, Any]]:
        """The newest comments of the site sharing a band key with ``bands``: id, story and body."""
        ids = (
            select(comment_fingerprints.c.comment_id)
            .where(
                comment_fingerprints.c.site_id == site_id,
                comment_fingerprints.c.band.in_(list(bands)),
                comment_fingerprints.c.created_at >= since,
            )
            .distinct()
        )
        if exclude_id is not None:
            ids = ids.where(comment_fingerprints.c.comment_id != exclude_id)
        query = (
            select(comments.c.id, comments.c.story_id, comments.c.body)
            .where(comments.c.id.in_(ids))
            .order_by(comments.c.id.desc())
            .limit(limit)
        )
        return [dict(row) for row in self.c.execute(query).mappings()]

    def by_author(self, site_id: str, external_id: str, start: datetime, end: datetime) -> int:
        """Comments an author (by external id) posted on the site in [start, end]."""
        query = (
            select(func.count())
            .select_from(comments.join(authors, authors.c.id == comments.c.author_id))
            .where(
                authors.c.site_id == site_id,
                authors.c.external_id == external_id,
                comments.c.created_at >= start,
                comments.c.created_at <= end,
            )
        )
        return int(self.c.execute(query).scalar() or 0)

    def by_network(self, site_id: str, network_key: str, start: datetime, end: datetime) -> int:
        """Comments posted on the site from one network (keyed address hash) in [start, end]."""
        query = select(func.count()).where(
            comments.c.site_id == site_id,
            comments.c.ip_hash == network_key,
            comments.c.created_at >= start,
            comments.c.created_at <= end,
        )
        return int(self.c.execute(query).scalar() or 0)
