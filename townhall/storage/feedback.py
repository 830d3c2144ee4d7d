"""Readers' votes and reports on comments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from townhall.storage.schema import comments, reports, votes


class FeedbackRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    def vote(self, comment_id: int, voter: str, value: int, now: datetime) -> bool:
        """Record one reader's vote; False if they already voted on this comment."""
        try:
            with self.c.begin_nested():
                self.c.execute(
                    insert(votes).values(comment_id=comment_id, voter=voter, value=value, created_at=now)
                )
        except IntegrityError:
            return False
        up, down = (1, 0) if value > 0 else (0, 1)
        self.c.execute(
            update(comments)
            .where(comments.c.id == comment_id)
            .values(
                upvotes=comments.c.upvotes + up,
                downvotes=comments.c.downvotes + down,
                score=comments.c.score + value,
            )
        )
        return True

    def report(self, comment_id: int, reporter: str, reason: str, note: str, now: datetime) -> bool:
        """Record one reader's report; False if they already reported this comment."""
        try:
            with self.c.begin_nested():
                self.c.execute(
                    insert(reports).values(
                        comment_id=comment_id, reporter=reporter, reason=reason, note=note, created_at=now
                    )
                )
        except IntegrityError:
            return False
        return True

    def reports_for(self, comment_id: int) -> list[dict[str, Any]]:
        query = select(reports).where(reports.c.comment_id == comment_id).order_by(reports.c.id)
        return [dict(row) for row in self.c.execute(query).mappings()]

    def resolve_reports(self, comment_id: int, now: datetime) -> None:
        self.c.execute(
            update(reports)
            .where(reports.c.comment_id == comment_id, reports.c.resolved_at.is_(None))
            .values(resolved_at=now)
        )
