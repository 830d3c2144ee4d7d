"""A site's recent comments as the spam signal asks about them: near-duplicates and flooding.

Kept in the database (not in each process's memory) so that several server processes see the
same recent comments: a copy posted through one process is found by the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, func, insert, select

from townhall.storage.schema import authors, comment_fingerprints, comments

# The spam signal asks these on every post: built once (rebuilding one costs more than running it).
_FORGET = delete(comment_fingerprints).where(comment_fingerprints.c.comment_id == bindparam("p_id"))
_REMEMBER = insert(comment_fingerprints)
_SHARING = (
    select(comment_fingerprints.c.comment_id)
    .where(
        comment_fingerprints.c.site_id == bindparam("p_site"),
        comment_fingerprints.c.band.in_(bindparam("p_bands", expanding=True)),
        comment_fingerprints.c.created_at >= bindparam("p_since"),
    )
    .distinct()
)


def _newest_of(ids: Select[tuple[int]]) -> Select[tuple[int, int, str]]:
    return (
        select(comments.c.id, comments.c.story_id, comments.c.body)
        .where(comments.c.id.in_(ids))
        .order_by(comments.c.id.desc())
        .limit(bindparam("p_limit"))
    )


_SHARING_BANDS = _newest_of(_SHARING)
_SHARING_BANDS_EXCEPT = _newest_of(_SHARING.where(comment_fingerprints.c.comment_id != bindparam("p_except")))
_BY_AUTHOR = (
    select(func.count())
    .select_from(comments.join(authors, authors.c.id == comments.c.author_id))
    .where(
        authors.c.site_id == bindparam("p_site"),
        authors.c.external_id == bindparam("p_key"),
        comments.c.created_at >= bindparam("p_start"),
        comments.c.created_at <= bindparam("p_end"),
    )
)
_BY_NETWORK = select(func.count()).where(
    comments.c.site_id == bindparam("p_site"),
    comments.c.ip_hash == bindparam("p_key"),
    comments.c.created_at >= bindparam("p_start"),
    comments.c.created_at <= bindparam("p_end"),
)


class RecentRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    def fingerprint(self, comment_id: int, site_id: str, bands: Sequence[str], when: datetime) -> None:
        """Replace a comment's band keys (an edit changes them)."""
        self.c.execute(_FORGET, {"p_id": comment_id})
        if bands:
            rows = [
                {"comment_id": comment_id, "band": band, "site_id": site_id, "created_at": when}
                for band in dict.fromkeys(bands)
            ]
            self.c.execute(_REMEMBER, rows)

    def sharing_bands(
        self, site_id: str, bands: Sequence[str], since: datetime, exclude_id: int | None, limit: int
    ) -> list[dict[str, Any]]:
        """The newest comments of the site sharing a band key with ``bands``: id, story and body."""
        params = {"p_site": site_id, "p_bands": list(bands), "p_since": since, "p_limit": limit}
        if exclude_id is None:
            rows = self.c.execute(_SHARING_BANDS, params)
        else:
            rows = self.c.execute(_SHARING_BANDS_EXCEPT, params | {"p_except": exclude_id})
        return [dict(row) for row in rows.mappings()]

    def by_author(self, site_id: str, external_id: str, start: datetime, end: datetime) -> int:
        """Comments an author (by external id) posted on the site in [start, end]."""
        params = {"p_site": site_id, "p_key": external_id, "p_start": start, "p_end": end}
        return int(self.c.execute(_BY_AUTHOR, params).scalar() or 0)

    def by_network(self, site_id: str, network_key: str, start: datetime, end: datetime) -> int:
        """Comments posted on the site from one network (keyed address hash) in [start, end]."""
        params = {"p_site": site_id, "p_key": network_key, "p_start": start, "p_end": end}
        return int(self.c.execute(_BY_NETWORK, params).scalar() or 0)
