"""Stories (one per article URL), their open/closed state and stored article representation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from townhall.models import Story
from townhall.storage import _rows
from townhall.storage.changes import StoryChange
from townhall.storage.schema import stories, story_events

_STORY_COLUMNS = [c for c in stories.c if c.name != "representation"]
# Built once: SQLAlchemy rebuilding a statement and its cache key costs ~0.4 ms a call, more than
# running it (docs/benchmarks.md, where a moderated post's time goes).
_GET = select(*_STORY_COLUMNS).where(stories.c.id == bindparam("p_id"))
_FIND = select(*_STORY_COLUMNS).where(
    stories.c.site_id == bindparam("p_site"), stories.c.url == bindparam("p_url")
)
_TOUCH = (
    update(stories)
    .where(stories.c.id == bindparam("p_id"))
    .values(version=stories.c.version + 1, comment_count=stories.c.comment_count + bindparam("p_delta"))
)


class StoryRepo:
    def __init__(
        self,
        connection: Connection,
        touched: set[int] | None = None,
        changes: list[StoryChange] | None = None,
    ):
        self.c = connection
        self.touched = touched if touched is not None else set()
        self.changes = changes if changes is not None else []

    def get(self, story_id: int) -> Story | None:
        row = self.c.execute(_GET, {"p_id": story_id}).mappings().first()
        return _rows.story(row) if row else None

    def find(self, site_id: str, url: str) -> Story | None:
        row = self.c.execute(_FIND, {"p_site": site_id, "p_url": url}).mappings().first()
        return _rows.story(row) if row else None

    def open_auto_closing(self, site_id: str) -> list[Story]:
        """Open stories whose closing time follows the publication date (the sweep's to keep right)."""
        query = select(*_STORY_COLUMNS).where(
            stories.c.site_id == site_id, stories.c.closed.is_(False), stories.c.auto_close.is_(True)
        )
        return [_rows.story(row) for row in self.c.execute(query).mappings()]

    def insert(self, site_id: str, url: str, now: datetime, **values: Any) -> int:
        result = self.c.execute(
            insert(stories).values(
                site_id=site_id, url=url, created_at=now, version=1, comment_count=0, **values
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def update(self, story_id: int, **values: Any) -> None:
        """Change a story's fields and its version, so cached thread pages go stale."""
        self.touched.add(story_id)
        self.c.execute(
            update(stories).where(stories.c.id == story_id).values(version=stories.c.version + 1, **values)
        )

    def touch(self, story_id: int, count_delta: int = 0) -> None:
        """A comment under this story changed: bump the version, adjust the published count."""
        self.touched.add(story_id)
        self.c.execute(_TOUCH, {"p_id": story_id, "p_delta": count_delta})

    def add_event(
        self, story_id: int, action: str, actor_kind: str, actor: str, reason: str, now: datetime
    ) -> None:
        self.c.execute(
            insert(story_events).values(
                story_id=story_id,
                action=action,
                actor_kind=actor_kind,
                actor=actor,
                reason=reason,
                created_at=now,
            )
        )
        self.changes.append(StoryChange(story_id, action))

    def due_to_close(self, now: datetime, limit: int = 500) -> list[tuple[int, datetime]]:
        """(id, closes_at) of open stories whose closing date has passed."""
        query = (
            select(stories.c.id, stories.c.closes_at)
            .where(stories.c.closed.is_(False), stories.c.closes_at.is_not(None), stories.c.closes_at <= now)
            .order_by(stories.c.closes_at)
            .limit(limit)
        )
        return [(row[0], row[1]) for row in self.c.execute(query)]

    def events(self, story_id: int) -> list[dict[str, Any]]:
        query = select(story_events).where(story_events.c.story_id == story_id).order_by(story_events.c.id)
        return [dict(row) for row in self.c.execute(query).mappings()]

    def representation(self, story_id: int) -> tuple[bytes | None, str | None]:
        query = select(stories.c.representation, stories.c.representation_version).where(
            stories.c.id == story_id
        )
        row = self.c.execute(query).first()
        return (row[0], row[1]) if row else (None, None)

    def set_representation(self, story_id: int, data: bytes, version: str) -> None:
        # Not a visible change: the thread's version stays as it is.
        self.c.execute(
            update(stories)
            .where(stories.c.id == story_id)
            .values(representation=data, representation_version=version)
        )

    def list(self, site_id: str | None = None, limit: int = 100, offset: int = 0) -> list[Story]:
        query = select(*_STORY_COLUMNS).order_by(stories.c.id.desc()).limit(limit).offset(offset)
        if site_id is not None:
            query = query.where(stories.c.site_id == site_id)
        return [_rows.story(row) for row in self.c.execute(query).mappings()]

    def counts(self, site_id: str, urls: Sequence[str]) -> dict[str, int]:
        query = select(stories.c.url, stories.c.comment_count).where(
            stories.c.site_id == site_id, stories.c.url.in_(list(urls))
        )
        return {str(url): int(count) for url, count in self.c.execute(query)}
