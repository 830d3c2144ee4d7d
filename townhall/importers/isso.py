"""Isso's SQLite database: ``threads`` (id, uri, title) and ``comments``.

A comment has tid (its thread), parent, created (seconds since 1970), mode (1 accepted,
2 waiting for moderation, 4 deleted but kept for its replies), text (Markdown), author, email,
and the likes and dislikes readers gave it (totals; Isso keeps only a bloom filter of who).
Isso stores page paths, not URLs, so the site's origin is put in front of each uri.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import urljoin

from townhall.errors import Invalid
from townhall.importers import dates
from townhall.importers.records import Record, Skipped, SourceAuthor, SourceComment, SourceStory
from townhall.types import CommentStatus

SOURCE = "isso"
_MODES = {1: CommentStatus.PUBLISHED, 2: CommentStatus.HELD, 4: CommentStatus.DELETED}
WITH_VOTES = (
    "SELECT id, tid, parent, created, mode, text, author, email, likes, dislikes FROM comments ORDER BY id"
)
WITHOUT_VOTES = (  # an Isso older than its votes
    "SELECT id, tid, parent, created, mode, text, author, email, 0, 0 FROM comments ORDER BY id"
)


def _connect(path: Path) -> sqlite3.Connection:
    # Read-only: the source database is someone else's; we only read it (plain sqlite3, not our storage).
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise Invalid(f"{path.name} is not an SQLite database ({exc})") from exc
    if not {"threads", "comments"} <= names:
        connection.close()
        raise Invalid(f"{path.name} is not an Isso database (no threads and comments tables)")
    return connection


def _author(name: str | None, email: str | None) -> SourceAuthor:
    name = (name or "").strip() or "Anonymous"
    email = (email or "").strip() or None
    key = f"email:{email.lower()}" if email else f"name:{name.lower()}"
    return SourceAuthor(key, name, email)


def _count(value: object) -> int:
    """A vote total as stored; anything but a sane non-negative whole number counts as none."""
    return value if isinstance(value, int) and 0 <= value < 10_000_000 else 0


def read(path: Path, origin: str) -> Iterator[Record]:
    """Stories, then comments in id order (Isso stores a parent before its replies)."""
    with closing(_connect(path)) as connection:
        try:
            for thread_id, uri, title in connection.execute("SELECT id, uri, title FROM threads ORDER BY id"):
                if not uri:
                    yield Skipped("thread without a uri")
                    continue
                url = uri if uri.startswith(("http://", "https://")) else urljoin(origin + "/", uri)
                yield SourceStory(str(thread_id), url, title or "", None)
            columns = {row[1] for row in connection.execute("PRAGMA table_info(comments)")}
            query = WITH_VOTES if {"likes", "dislikes"} <= columns else WITHOUT_VOTES
            rows = connection.execute(query)
            for comment_id, tid, parent, created, mode, text, author, email, likes, dislikes in rows:
                status = _MODES.get(mode)
                when = dates.epoch(created)
                if status is None:
                    yield Skipped("comment with an unknown mode")
                elif when is None:
                    yield Skipped("comment without a valid date")
                else:
                    yield SourceComment(
                        source_id=str(comment_id),
                        story_id=str(tid),
                        parent_id=str(parent) if parent else None,
                        author=_author(author, email),
                        text=text or "",
                        markup="markdown",
                        created_at=when,
                        status=status,
                        upvotes=_count(likes),
                        downvotes=_count(dislikes),
                    )
        except sqlite3.DatabaseError as exc:
            raise Invalid(
                f"{path.name}: cannot read the Isso database ({exc}); nothing was imported"
            ) from exc
