"""The moderators' queries: queues of held and reported comments, a comment's thread, recent decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from townhall.models import Comment, Story
from townhall.storage import _rows
from townhall.storage.comments import _with_author
from townhall.storage.schema import comment_events, comments, reports, stories
from townhall.types import ActorKind, CommentStatus

_HELD = CommentStatus.HELD.value


def _filters(site_id: str | None, story_id: int | None, author_id: int | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if site_id is not None:
        where.append(comments.c.site_id == site_id)
    if story_id is not None:
        where.append(comments.c.story_id == story_id)
    if author_id is not None:
        where.append(comments.c.author_id == author_id)
    return where


class QueueRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    def by_status(
        self,
        status: CommentStatus,
        *,
        site_id: str | None = None,
        story_id: int | None = None,
        author_id: int | None = None,
        limit: int = 500,
    ) -> list[Comment]:
        query = (
            _with_author()
            .where(comments.c.status == status.value, *_filters(site_id, story_id, author_id))
            .order_by(comments.c.id.desc())
            .limit(limit)
        )
        return [_rows.comment(row) for row in self.c.execute(query).mappings()]

    def reported(
        self,
        *,
        site_id: str | None = None,
        story_id: int | None = None,
        author_id: int | None = None,
        limit: int = 500,
    ) -> list[Comment]:
        """Comments with open reports, most recently reported first (rejected ones are settled)."""
        latest = (
            select(reports.c.comment_id, func.max(reports.c.id).label("last_report"))
            .where(reports.c.resolved_at.is_(None))
            .group_by(reports.c.comment_id)
            .subquery()
        )
        query = (
            _with_author()
            .join(latest, latest.c.comment_id == comments.c.id)
            .where(
                comments.c.status.in_([CommentStatus.PUBLISHED.value, _HELD]),
                *_filters(site_id, story_id, author_id),
            )
            .order_by(latest.c.last_report.desc())
            .limit(limit)
        )
        return [_rows.comment(row) for row in self.c.execute(query).mappings()]

    def open_reports(self, comment_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """Unresolved reports per comment, oldest first."""
        found: dict[int, list[dict[str, Any]]] = {i: [] for i in comment_ids}
        if not comment_ids:
            return found
        query = (
            select(reports.c.comment_id, reports.c.reason, reports.c.note, reports.c.created_at)
            .where(reports.c.comment_id.in_(list(comment_ids)), reports.c.resolved_at.is_(None))
            .order_by(reports.c.id)
        )
        for row in self.c.execute(query).mappings():
            found[row["comment_id"]].append(dict(row))
        return found

    def recent_decisions(
        self,
        *,
        site_id: str | None = None,
        story_id: int | None = None,
        author_id: int | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """The latest moderators' actions, newest first: event fields plus ``comment_id``."""
        query = (
            select(comment_events)
            .join(comments, comments.c.id == comment_events.c.comment_id)
            .where(
                comment_events.c.actor_kind == ActorKind.MODERATOR.value,
                *_filters(site_id, story_id, author_id),
            )
            .order_by(comment_events.c.id.desc())
            .limit(limit)
        )
        return [dict(row) for row in self.c.execute(query).mappings()]

    def held_verdicts(self, site_id: str | None = None, limit: int = 5000) -> list[dict[str, Any]]:
        """Every held comment's id, site and verdict (for telling signal holds from pre-moderation)."""
        query = (
            select(comments.c.id, comments.c.site_id, comments.c.verdict)
            .where(comments.c.status == _HELD, *_filters(site_id, None, None))
            .order_by(comments.c.id.desc())
            .limit(limit)
        )
        return [dict(row) for row in self.c.execute(query).mappings()]

    def reported_count(self, site_id: str | None = None) -> tuple[int, int]:
        """How many comments have open reports, and the highest such comment id."""
        query = (
            select(func.count(func.distinct(reports.c.comment_id)), func.max(reports.c.comment_id))
            .select_from(reports.join(comments, comments.c.id == reports.c.comment_id))
            .where(
                reports.c.resolved_at.is_(None),
                comments.c.status.in_([CommentStatus.PUBLISHED.value, _HELD]),
                *_filters(site_id, None, None),
            )
        )
        total, newest = self.c.execute(query).one()
        return int(total or 0), int(newest or 0)

    def conversation(self, comment: Comment, before: int = 2, limit: int = 40) -> list[Comment]:
        """The thread a comment sits in: its root with the replies under it (held ones too) and,
        for context, the top-level comments published just before that root."""
        root_id = comment.root_id or comment.id
        shown = comments.c.status != CommentStatus.DELETED.value
        sub_thread = (
            _with_author().where(comments.c.root_id == root_id, shown).order_by(comments.c.id).limit(limit)
        )
        earlier = (
            _with_author()
            .where(
                comments.c.story_id == comment.story_id,
                comments.c.parent_id.is_(None),
                comments.c.id < root_id,
                comments.c.status == CommentStatus.PUBLISHED.value,
            )
            .order_by(comments.c.id.desc())
            .limit(before)
        )
        previous = [_rows.comment(row) for row in self.c.execute(earlier).mappings()][::-1]
        return previous + [_rows.comment(row) for row in self.c.execute(sub_thread).mappings()]

    def story_thread(self, story_id: int, limit: int = 1000) -> list[Comment]:
        """Every comment of a story but the rejected ones, oldest first (what staff review)."""
        query = (
            _with_author()
            .where(comments.c.story_id == story_id, comments.c.status != CommentStatus.REJECTED.value)
            .order_by(comments.c.id)
            .limit(limit)
        )
        return [_rows.comment(row) for row in self.c.execute(query).mappings()]

    def counts_by_story(self, story_ids: Sequence[int]) -> dict[int, dict[str, int]]:
        """Comments per story and status: {story_id: {"published": 6, "held": 2, "rejected": 1}}."""
        if not story_ids:
            return {}
        query = (
            select(comments.c.story_id, comments.c.status, func.count())
            .where(comments.c.story_id.in_(list(story_ids)))
            .group_by(comments.c.story_id, comments.c.status)
        )
        counts: dict[int, dict[str, int]] = {}
        for story_id, status, count in self.c.execute(query):
            counts.setdefault(story_id, {})[status] = int(count)
        return counts

    def pending_by_author(self, author_id: int) -> list[int]:
        query = select(comments.c.id).where(comments.c.author_id == author_id, comments.c.status == _HELD)
        return [row[0] for row in self.c.execute(query.order_by(comments.c.id))]

    def stories(
        self,
        site_id: str | None,
        *,
        closed: bool | None = None,
        now: datetime,
        query_text: str = "",
        limit: int = 100,
        offset: int = 0,
    ) -> list[Story]:
        """Stories for the stories page, newest first, optionally only open or closed ones."""
        query = select(*[c for c in stories.c if c.name != "representation"])
        if site_id is not None:
            query = query.where(stories.c.site_id == site_id)
        is_closed = or_(
            stories.c.closed.is_(True), and_(stories.c.closes_at.is_not(None), stories.c.closes_at <= now)
        )
        if closed is True:
            query = query.where(is_closed)
        elif closed is False:
            query = query.where(~is_closed)
        if query_text:
            like = f"%{query_text.lower()}%"
            query = query.where(
                or_(func.lower(stories.c.title).like(like), func.lower(stories.c.url).like(like))
            )
        query = query.order_by(stories.c.id.desc()).limit(limit).offset(offset)
        return [_rows.story(row) for row in self.c.execute(query).mappings()]
