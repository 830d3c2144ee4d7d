"""Counts for the stats page: comment volume, what the signals held, what moderators decided."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, func, literal_column, select

from townhall.storage.schema import comment_events, comments, stories
from townhall.types import ActorKind

Unit = Literal["hour", "day"]


class StatsRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    def _bucket(self, unit: Unit) -> ColumnElement[Any]:
        """A comment's creation time truncated to the hour or day, as 'YYYY-MM-DD HH:00' text (UTC)."""
        if self.c.dialect.name == "sqlite":
            # SQLite keeps UTC datetimes as text, so strftime reads them directly.
            pattern = "%Y-%m-%d %H:00" if unit == "hour" else "%Y-%m-%d 00:00"
            return func.strftime(pattern, comments.c.created_at)
        utc = func.timezone(literal_column("'UTC'"), comments.c.created_at)
        return func.to_char(func.date_trunc(unit, utc), "YYYY-MM-DD HH24:00")

    def volume(self, site_id: str | None, since: datetime, unit: Unit) -> dict[str, int]:
        """Comments created per hour or day since ``since``; buckets with none are absent."""
        bucket = self._bucket(unit).label("bucket")
        query = select(bucket, func.count()).where(comments.c.created_at >= since)
        if site_id is not None:
            query = query.where(comments.c.site_id == site_id)
        query = query.group_by(bucket)
        return {str(label): int(count) for label, count in self.c.execute(query)}

    def total(self, site_id: str | None, since: datetime) -> int:
        query = select(func.count()).where(comments.c.created_at >= since)
        if site_id is not None:
            query = query.where(comments.c.site_id == site_id)
        return int(self.c.execute(query).scalar_one())

    def signal_decisions(self, site_id: str | None, since: datetime) -> list[dict[str, Any]]:
        """Comments that moderation held or rejected on arrival: id, site, status it was given, verdict."""
        query = (
            select(
                comments.c.id,
                comments.c.site_id,
                comment_events.c.to_status.label("arrival"),
                comments.c.verdict,
            )
            .join(comments, comments.c.id == comment_events.c.comment_id)
            .where(
                comment_events.c.from_status.is_(None),
                comment_events.c.actor_kind == ActorKind.SIGNAL.value,
                comment_events.c.created_at >= since,
            )
        )
        if site_id is not None:
            query = query.where(comments.c.site_id == site_id)
        return [dict(row) for row in self.c.execute(query).mappings()]

    def moderator_outcomes(self, comment_ids: Sequence[int]) -> dict[int, str]:
        """The status a moderator last gave each of these comments (absent: no moderator yet)."""
        found: dict[int, str] = {}
        for start in range(0, len(comment_ids), 500):  # stay under the backends' parameter limits
            chunk = list(comment_ids[start : start + 500])
            query = (
                select(comment_events.c.comment_id, comment_events.c.to_status)
                .where(
                    comment_events.c.comment_id.in_(chunk),
                    comment_events.c.actor_kind == ActorKind.MODERATOR.value,
                )
                .order_by(comment_events.c.id)
            )
            for comment_id, to_status in self.c.execute(query):
                found[comment_id] = to_status  # later events overwrite earlier ones
        return found

    def moderator_actions(self, site_id: str | None, since: datetime) -> dict[str, int]:
        """How many comments moderators published and rejected since ``since``."""
        query = (
            select(comment_events.c.to_status, func.count(func.distinct(comment_events.c.comment_id)))
            .join(comments, comments.c.id == comment_events.c.comment_id)
            .where(
                comment_events.c.actor_kind == ActorKind.MODERATOR.value, comment_events.c.created_at >= since
            )
            .group_by(comment_events.c.to_status)
        )
        if site_id is not None:
            query = query.where(comments.c.site_id == site_id)
        return {str(status): int(count) for status, count in self.c.execute(query)}

    def busiest(self, site_id: str | None, since: datetime, limit: int = 10) -> list[dict[str, Any]]:
        """The stories with the most new comments since ``since``, busiest first."""
        count = func.count(comments.c.id).label("comments")
        query = (
            select(stories.c.id, stories.c.title, stories.c.url, stories.c.closed, count)
            .join(comments, comments.c.story_id == stories.c.id)
            .where(comments.c.created_at >= since)
            .group_by(stories.c.id, stories.c.title, stories.c.url, stories.c.closed)
            .order_by(count.desc(), stories.c.id.desc())
            .limit(limit)
        )
        if site_id is not None:
            query = query.where(stories.c.site_id == site_id)
        return [dict(row) for row in self.c.execute(query).mappings()]
