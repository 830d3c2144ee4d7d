"""Readers' votes and reports on comments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from townhall.storage.schema import comments, reports, votes


class FeedbackRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    def vote(
        self,
        comment_id: int,
        voter: str,
        value: int,
        now: datetime,
        network: str | None = None,
        account: str | None = None,
    ) -> str:
        """Record a reader's vote: "added", "changed" (their vote turned), "same" (already cast),
        or "taken" (a vote from the same network address or account is already counted)."""
        mine = self._mine(comment_id, voter, account)
        if mine is not None:
            if mine.value == value:
                return "same"
            self.c.execute(update(votes).where(*self._key(mine)).values(value=value, created_at=now))
            self._count(comment_id, mine.value, -1)
            self._count(comment_id, value, 1)
            return "changed"
        row = {"comment_id": comment_id, "voter": voter, "value": value, "created_at": now}
        try:
            with self.c.begin_nested():
                self.c.execute(insert(votes).values(**row, network=network, account=account))
        except IntegrityError:
            return "taken"
        self._count(comment_id, value, 1)
        return "added"

    def unvote(self, comment_id: int, voter: str, account: str | None = None) -> bool:
        """Take back a reader's vote; False if they have none on this comment."""
        mine = self._mine(comment_id, voter, account)
        if mine is None:
            return False
        self.c.execute(delete(votes).where(*self._key(mine)))
        self._count(comment_id, mine.value, -1)
        return True

    def _mine(self, comment_id: int, voter: str, account: str | None) -> Row[Any, Any, Any] | None:
        """The vote cast with this reader token, or by this signed-in reader from any device."""
        who = votes.c.voter == voter
        if account is not None:
            who = or_(who, votes.c.account == account)
        query = select(votes.c.comment_id, votes.c.voter, votes.c.value).where(
            votes.c.comment_id == comment_id, who
        )
        return self.c.execute(query).first()

    @staticmethod
    def _key(row: Row[Any, Any, Any]) -> tuple[Any, ...]:
        return (votes.c.comment_id == row.comment_id, votes.c.voter == row.voter)

    def _count(self, comment_id: int, value: int, sign: int) -> None:
        up, down = (sign, 0) if value > 0 else (0, sign)
        self.c.execute(
            update(comments)
            .where(comments.c.id == comment_id)
            .values(
                upvotes=comments.c.upvotes + up,
                downvotes=comments.c.downvotes + down,
                score=comments.c.score + sign * value,
            )
        )

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
