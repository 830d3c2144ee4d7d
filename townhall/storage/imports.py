"""Writes of an import: comments in batches (ids returned), their audit events, story counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from townhall.storage.schema import authors, comment_events, comments, stories
from townhall.types import CommentStatus


class ImportRepo:
    def __init__(self, connection: Connection, touched: set[int]):
        self.c = connection
        self.touched = touched

    def imported(self, site_id: str, source: str) -> dict[str, tuple[int, int, int, int]]:
        """Comments already imported from ``source``: source id → (id, root id, depth, story id)."""
        query = select(
            comments.c.import_id, comments.c.id, comments.c.root_id, comments.c.depth, comments.c.story_id
        ).where(comments.c.site_id == site_id, comments.c.import_source == source)
        return {row[0]: (row[1], row[2] or row[1], row[3], row[4]) for row in self.c.execute(query)}

    def authors(self, site_id: str, prefix: str) -> dict[str, int]:
        """A site's authors whose external id starts with ``prefix``: external id → id."""
        query = select(authors.c.external_id, authors.c.id).where(
            authors.c.site_id == site_id, authors.c.external_id.startswith(prefix, autoescape=True)
        )
        return {row[0]: int(row[1]) for row in self.c.execute(query)}

    def add_authors(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert many authors; their new ids, in the order given."""
        query = insert(authors).returning(authors.c.id, sort_by_parameter_order=True)
        return [int(row[0]) for row in self.c.execute(query, list(rows))]

    def add_comments(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert many comments; their new ids, in the order given."""
        if not rows:
            return []
        query = insert(comments).returning(comments.c.id, sort_by_parameter_order=True)
        ids = [int(row[0]) for row in self.c.execute(query, list(rows))]
        # A top-level comment is its own root (see CommentRepo.insert).
        roots = [comment_id for comment_id, row in zip(ids, rows, strict=True) if row["parent_id"] is None]
        if roots:
            self.c.execute(update(comments).where(comments.c.id.in_(roots)).values(root_id=comments.c.id))
        return ids

    def add_events(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.c.execute(insert(comment_events), list(rows))

    def recount(self, story_ids: Sequence[int]) -> None:
        """Set each story's published count from its comments and bump its version."""
        published = (
            select(func.count())
            .select_from(comments)
            .where(
                and_(comments.c.story_id == stories.c.id, comments.c.status == CommentStatus.PUBLISHED.value)
            )
            .scalar_subquery()
        )
        for start in range(0, len(story_ids), 1000):  # one statement per thousand stories
            chunk = list(story_ids[start : start + 1000])
            self.c.execute(
                update(stories)
                .where(stories.c.id.in_(chunk))
                .values(comment_count=published, version=stories.c.version + 1)
            )
            self.touched.update(chunk)
