"""Domain objects → the JSON readers' widgets get. Only server-sanitised HTML leaves here."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
from starlette.responses import JSONResponse

from townhall.api.schemas import iso
from townhall.models import Comment, Story, ThreadPage
from townhall.services.comment_rules import Gettext, reader_note
from townhall.types import CommentStatus


class FastJSONResponse(JSONResponse):
    """JSON rendered with orjson (FastAPI's own ORJSONResponse is deprecated)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def comment(c: Comment) -> dict[str, Any]:
    deleted = c.status is CommentStatus.DELETED
    return {
        "id": c.id,
        "parent_id": c.parent_id,
        "depth": c.depth,
        "status": c.status.value,
        "author": None
        if deleted
        else {
            "name": c.author.name,
            "avatar": c.author.avatar,
            "badge": c.author.badge,
            "kind": c.author.kind.value,
        },
        "html": "" if deleted else c.html,
        "created_at": iso(c.created_at),
        "edited_at": iso(c.edited_at),
        "upvotes": c.upvotes,
        "downvotes": c.downvotes,
        "featured": c.featured,
        "replies": [],
    }


def own(c: Comment, edit_window_minutes: int, gettext: Gettext = str) -> dict[str, Any]:
    """A comment as its author sees it: with the raw text, until when it can be changed and, when
    it is held or refused, why (in gettext's language)."""
    data = comment(c)
    data["body"] = c.body
    data["editable_until"] = iso(c.created_at + timedelta(minutes=edit_window_minutes))
    waiting_or_refused = c.status in (CommentStatus.HELD, CommentStatus.REJECTED)
    data["message"] = reader_note(c.status, c.verdict, gettext) if waiting_or_refused else ""
    return data


def story(s: Story, now: datetime) -> dict[str, Any]:
    closed = s.is_closed(now)
    return {
        "id": s.id,
        "url": s.url,
        "title": s.title,
        "closed": closed,
        "closes_at": iso(s.closes_at),
        # When and why comments closed: an editor's close, else the automatic closing date.
        "closed_at": iso(s.closed_at or s.closes_at) if closed else None,
        "close_reason": s.close_reason if closed else "",
        "comment_count": s.comment_count,
    }


def thread(page: ThreadPage, now: datetime, sort: str) -> dict[str, Any]:
    """Nest replies under their parents; top-level order is the page's order."""
    nodes = {c.id: comment(c) for c in page.comments}
    roots = []
    for c in page.comments:
        node = nodes[c.id]
        parent = nodes.get(c.parent_id) if c.parent_id is not None else None
        if parent is not None:
            parent["replies"].append(node)
        elif c.parent_id is None:
            roots.append(node)
    return {
        "story": story(page.story, now),
        "sort": sort,
        "comments": roots,
        "next_cursor": page.next_cursor,
        "total": page.total,
    }
