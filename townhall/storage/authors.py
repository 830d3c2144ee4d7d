"""Comment authors: guests (keyed by a reader token) and readers signed in by the publisher (SSO)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from townhall.models import Author
from townhall.storage import _rows
from townhall.storage.schema import authors, comment_events, comments, reports
from townhall.types import AuthorKind

# Statements every post runs, built once (rebuilding one costs more than running it).
_KEY = (
    authors.c.site_id == bindparam("p_site"),
    authors.c.kind == bindparam("p_kind"),
    authors.c.external_id == bindparam("p_external"),
)
_GET = select(authors).where(authors.c.id == bindparam("p_id"))
_FIND_ID = select(authors.c.id).where(*_KEY)
_FIND = select(authors).where(*_KEY)
_INSERT = insert(authors)
_STATUS = comments.c.status
_BY_AUTHOR = comments.c.author_id == bindparam("p_id")
_HISTORY_COUNTS = select(
    func.count().label("total"),
    func.coalesce(func.sum(case((_STATUS == "published", 1), else_=0)), 0).label("published"),
    func.coalesce(func.sum(case((_STATUS == "rejected", 1), else_=0)), 0).label("rejected"),
    func.coalesce(func.sum(case((_STATUS == "held", 1), else_=0)), 0).label("held"),
).where(_BY_AUTHOR)
_HISTORY_REPORTED = (
    select(func.count(func.distinct(reports.c.comment_id)))
    .select_from(reports.join(comments, comments.c.id == reports.c.comment_id))
    .where(_BY_AUTHOR)
)
_EVENTS_OF_AUTHOR = comment_events.join(comments, comments.c.id == comment_events.c.comment_id)
_HISTORY_APPROVED = (
    select(func.count(func.distinct(comment_events.c.comment_id)))
    .select_from(_EVENTS_OF_AUTHOR)
    .where(_BY_AUTHOR, comment_events.c.actor_kind == "moderator", comment_events.c.to_status == "published")
)
_HISTORY_REJECTIONS = (
    select(func.count())
    .select_from(_EVENTS_OF_AUTHOR)
    .where(
        _BY_AUTHOR,
        comment_events.c.to_status == "rejected",
        comment_events.c.created_at >= bindparam("p_since"),
    )
)


class AuthorRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    def get(self, author_id: int) -> Author | None:
        row = self.c.execute(_GET, {"p_id": author_id}).mappings().first()
        return _rows.author(row) if row else None

    def find_id(self, site_id: str, kind: AuthorKind, external_id: str) -> int | None:
        key = {"p_site": site_id, "p_kind": kind.value, "p_external": external_id}
        return self.c.execute(_FIND_ID, key).scalar()

    def upsert(
        self,
        site_id: str,
        kind: AuthorKind,
        external_id: str,
        name: str,
        now: datetime,
        email: str | None = None,
        avatar: str | None = None,
        badge: str | None = None,
        rename: bool = True,
    ) -> Author:
        """Find the author by (site, kind, external id), create if new; ``rename`` refreshes the name.

        Comments keep the name they were posted under (``comments.author_name``); this is the
        author's current name, for the dashboard's author page.
        """
        key = {"p_site": site_id, "p_kind": kind.value, "p_external": external_id}
        existing = self.c.execute(_FIND_ID, key).scalar()
        values: dict[str, Any] = {"name": name, "avatar": avatar, "badge": badge}
        if email:
            values["email"] = email
        created = False
        if existing is None:
            new = {"site_id": site_id, "kind": kind.value, "external_id": external_id, "created_at": now}
            try:
                with self.c.begin_nested():
                    self.c.execute(_INSERT, {**new, "notes": "", **values})
                created = True
            except IntegrityError:
                pass  # a concurrent first comment by the same author created the row
        if not created:
            if not rename:
                values.pop("name")
            self.c.execute(update(authors).where(*_KEY).values(**values), key)
        row = self.c.execute(_FIND, key).mappings().one()
        return _rows.author(row)

    def ban(self, author_id: int, until: datetime | None, reason: str) -> None:
        self.c.execute(
            update(authors).where(authors.c.id == author_id).values(banned_until=until, ban_reason=reason)
        )

    def set_notes(self, author_id: int, notes: str) -> None:
        self.c.execute(update(authors).where(authors.c.id == author_id).values(notes=notes))

    def details(self, author_id: int) -> dict[str, Any] | None:
        row = self.c.execute(select(authors).where(authors.c.id == author_id)).mappings().first()
        return dict(row) if row else None

    def history(self, author_id: int, since: datetime | None = None) -> dict[str, int]:
        """Counts a moderator (and the trust signal) looks at: approved, rejected, held, reported."""
        who = {"p_id": author_id}
        row = self.c.execute(_HISTORY_COUNTS, who).mappings().one()
        reported = self.c.execute(_HISTORY_REPORTED, who).scalar()
        approved = self.c.execute(_HISTORY_APPROVED, who).scalar()
        recent_rejections = 0
        if since is not None:
            recent_rejections = self.c.execute(_HISTORY_REJECTIONS, who | {"p_since": since}).scalar() or 0
        return {
            "total": int(row["total"]),
            "published": int(row["published"]),
            "rejected": int(row["rejected"]),
            "held": int(row["held"]),
            "reported": int(reported or 0),
            "approved_by_moderator": int(approved or 0),
            "recent_rejections": int(recent_rejections),
        }
