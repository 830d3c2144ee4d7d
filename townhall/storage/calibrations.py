"""A site's recalibrations from its moderators' decisions, and what they learned from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from townhall.storage.schema import comment_events, comments, site_calibrations
from townhall.types import ActorKind


class CalibrationRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    def add(self, **values: Any) -> int:
        result = self.c.execute(insert(site_calibrations).values(**values))
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def history(self, site_id: str, limit: int = 20) -> list[dict[str, Any]]:
        """The site's calibrations and resets, newest first."""
        query = (
            select(site_calibrations)
            .where(site_calibrations.c.site_id == site_id)
            .order_by(site_calibrations.c.id.desc())
            .limit(limit)
        )
        return [dict(row) for row in self.c.execute(query).mappings()]

    def decided(self, site_id: str, limit: int = 5000) -> list[dict[str, Any]]:
        """The site's newest comments a moderator decided on: id and the verdict they arrived with."""
        moderated = select(comment_events.c.comment_id).where(
            comment_events.c.actor_kind == ActorKind.MODERATOR.value
        )
        query = (
            select(comments.c.id, comments.c.verdict)
            .where(comments.c.site_id == site_id, comments.c.id.in_(moderated))
            .order_by(comments.c.id.desc())
            .limit(limit)
        )
        return [dict(row) for row in self.c.execute(query).mappings()]
