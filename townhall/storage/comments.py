"""Comments, their audit trail, and the thread-page queries of the read path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, func, insert, or_, select, update

from townhall.models import Comment, CommentEvent
from townhall.storage import _rows
from townhall.storage.changes import CommentChange
from townhall.storage.schema import authors, comment_events, comments
from townhall.types import ActorKind, CommentStatus, SortOrder

VISIBLE = (CommentStatus.PUBLISHED.value, CommentStatus.DELETED.value)

_AUTHOR_COLUMNS = [column.label(f"a_{column.name}") for column in authors.c if column.name != "email"]


def _with_author() -> Select[Any]:
    columns = [c for c in comments.c if c.name not in ("edit_token_hash", "ip_hash")]
    return select(*columns, *_AUTHOR_COLUMNS).join(authors, authors.c.id == comments.c.author_id)


# Statements of the post path, built once (rebuilding one costs more than running it).
_INSERT = insert(comments)
_OWN_ROOT = update(comments).where(comments.c.id == bindparam("p_id")).values(root_id=bindparam("p_id"))
_GET = _with_author().where(comments.c.id == bindparam("p_id"))
_INSERT_EVENT = insert(comment_events)
_THREAD_TEXTS = (
    select(comments.c.body)
    .where(comments.c.story_id == bindparam("p_story"), comments.c.status == CommentStatus.PUBLISHED.value)
    .order_by(comments.c.id.desc())
    .limit(bindparam("p_limit"))
)
_THREAD_TEXTS_BEFORE = _THREAD_TEXTS.where(comments.c.id < bindparam("p_before"))


def _filtered(
    query: Select[Any], site_id: str | None, story_id: int | None, status: CommentStatus | None
) -> Select[Any]:
    """``query`` narrowed to a site, a story and a status, each when given."""
    if site_id is not None:
        query = query.where(comments.c.site_id == site_id)
    if story_id is not None:
        query = query.where(comments.c.story_id == story_id)
    if status is not None:
        query = query.where(comments.c.status == status.value)
    return query


class CommentRepo:
    def __init__(self, connection: Connection, changes: list[CommentChange] | None = None):
        self.c = connection
        self.changes = changes if changes is not None else []

    def insert(self, **values: Any) -> int:
        result = self.c.execute(_INSERT, values)
        assert result.inserted_primary_key is not None
        comment_id = int(result.inserted_primary_key[0])
        if values.get("parent_id") is None:
            # A top-level comment is its own root, so a thread page finds replies by root_id alone.
            self.c.execute(_OWN_ROOT, {"p_id": comment_id})
        return comment_id

    def get(self, comment_id: int) -> Comment | None:
        row = self.c.execute(_GET, {"p_id": comment_id}).mappings().first()
        return _rows.comment(row) if row else None

    def many(self, comment_ids: Sequence[int]) -> list[Comment]:
        query = _with_author().where(comments.c.id.in_(list(comment_ids))).order_by(comments.c.id)
        return [_rows.comment(row) for row in self.c.execute(query).mappings()]

    def edit_token_hash(self, comment_id: int) -> str | None:
        return self.c.execute(select(comments.c.edit_token_hash).where(comments.c.id == comment_id)).scalar()

    def reader_key(self, comment_id: int) -> str | None:
        """The keyed hash of the reader token the comment was posted with (None: without one)."""
        return self.c.execute(select(comments.c.reader_key).where(comments.c.id == comment_id)).scalar()

    def update(self, comment_id: int, **values: Any) -> None:
        if "status" in values:
            values["status"] = CommentStatus(values["status"]).value
        self.c.execute(update(comments).where(comments.c.id == comment_id).values(**values))

    def add_event(
        self,
        comment_id: int,
        from_status: CommentStatus | None,
        to_status: CommentStatus,
        actor_kind: ActorKind,
        actor: str,
        reason: str,
        now: datetime,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.c.execute(
            _INSERT_EVENT,
            {
                "comment_id": comment_id,
                "from_status": from_status.value if from_status else None,
                "to_status": to_status.value,
                "actor_kind": actor_kind.value,
                "actor": actor,
                "reason": reason,
                "details": details or {},
                "created_at": now,
            },
        )
        self.changes.append(
            CommentChange(
                comment_id, from_status.value if from_status else None, to_status.value, details or {}
            )
        )

    def events(self, comment_id: int) -> list[CommentEvent]:
        query = (
            select(comment_events)
            .where(comment_events.c.comment_id == comment_id)
            .order_by(comment_events.c.id)
        )
        return [
            CommentEvent(
                id=row["id"],
                comment_id=row["comment_id"],
                from_status=CommentStatus(row["from_status"]) if row["from_status"] else None,
                to_status=CommentStatus(row["to_status"]),
                actor_kind=ActorKind(row["actor_kind"]),
                actor=row["actor"],
                reason=row["reason"],
                details=row["details"],
                created_at=row["created_at"],
            )
            for row in self.c.execute(query).mappings()
        ]

    def roots_page(
        self, story_id: int, sort: SortOrder, after: tuple[int, int] | None, limit: int
    ) -> list[Comment]:
        """One page of top-level comments. ``after`` is the (score, id) of the last one seen."""
        query = _with_author().where(
            comments.c.story_id == story_id, comments.c.parent_id.is_(None), comments.c.status.in_(VISIBLE)
        )
        if sort is SortOrder.OLDEST:
            if after:
                query = query.where(comments.c.id > after[1])
            query = query.order_by(comments.c.featured.desc(), comments.c.id.asc())
        elif sort is SortOrder.NEWEST:
            if after:
                query = query.where(comments.c.id < after[1])
            query = query.order_by(comments.c.featured.desc(), comments.c.id.desc())
        else:
            if after:
                score, last_id = after
                query = query.where(
                    or_(comments.c.score < score, and_(comments.c.score == score, comments.c.id < last_id))
                )
            query = query.order_by(comments.c.featured.desc(), comments.c.score.desc(), comments.c.id.desc())
        if after:
            # Featured comments are pinned to the first page only.
            query = query.where(comments.c.featured.is_(False))
        return [_rows.comment(row) for row in self.c.execute(query.limit(limit)).mappings()]

    def replies(self, root_ids: Sequence[int]) -> list[Comment]:
        """Every visible reply under the given roots, oldest first, in one query."""
        if not root_ids:
            return []
        query = (
            _with_author()
            .where(
                comments.c.root_id.in_(list(root_ids)),
                comments.c.parent_id.is_not(None),
                comments.c.status.in_(VISIBLE),
            )
            .order_by(comments.c.id.asc())
        )
        return [_rows.comment(row) for row in self.c.execute(query).mappings()]

    def thread_texts(self, story_id: int, before_id: int | None, limit: int = 20) -> list[str]:
        """Bodies of the latest published comments of a story: context for the off-topic signal."""
        params = {"p_story": story_id, "p_limit": limit}
        if before_id is None:
            rows = self.c.execute(_THREAD_TEXTS, params)
        else:
            rows = self.c.execute(_THREAD_TEXTS_BEFORE, params | {"p_before": before_id})
        return [row[0] for row in rows][::-1]

    def active_stories(self, site_id: str, limit: int) -> list[int]:
        """The site's stories with the latest published comments, the most recent first."""
        latest = func.max(comments.c.id)
        query = (
            select(comments.c.story_id)
            .where(comments.c.site_id == site_id, comments.c.status == CommentStatus.PUBLISHED.value)
            .group_by(comments.c.story_id)
            .order_by(latest.desc())
            .limit(limit)
        )
        return [row[0] for row in self.c.execute(query)]

    def ids(
        self, *, site_id: str | None = None, story_id: int | None = None, status: CommentStatus | None = None
    ) -> list[int]:
        query = _filtered(select(comments.c.id).order_by(comments.c.id), site_id, story_id, status)
        return [row[0] for row in self.c.execute(query)]

    def decided_by_moderator(self, comment_id: int) -> bool:
        query = select(comment_events.c.id).where(
            comment_events.c.comment_id == comment_id,
            comment_events.c.actor_kind == ActorKind.MODERATOR.value,
        )
        return self.c.execute(query.limit(1)).first() is not None

    def list(
        self,
        *,
        site_id: str | None = None,
        story_id: int | None = None,
        status: CommentStatus | None = None,
        author_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
        oldest_first: bool = False,
    ) -> list[Comment]:
        query = _filtered(_with_author(), site_id, story_id, status)
        if author_id is not None:
            query = query.where(comments.c.author_id == author_id)
        order = comments.c.id.asc() if oldest_first else comments.c.id.desc()
        return [
            _rows.comment(row)
            for row in self.c.execute(query.order_by(order).limit(limit).offset(offset)).mappings()
        ]
