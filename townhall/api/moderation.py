"""The moderation queues for integrators: list them and decide, with the site's API key.

The same service as the dashboard (``ModerationQueue``) does the work, so a decision made here
writes the same audit event, settles the same reports and shows to readers the same way. A key
sees only its own site: another site's comment or author is answered 404, as if it did not exist.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, Security

from townhall.api import shape
from townhall.api.admin import KeySite, State, _KeyFirst
from townhall.api.schemas import MAX_ID, AuthorBan, Featuring, QueueDecision, iso
from townhall.api.security import API_KEY
from townhall.errors import NotFound
from townhall.models import Comment, Site
from townhall.services.queue import Action, Order, Queue, QueueFilter, QueueItem

router = APIRouter(
    prefix="/admin", tags=["moderation"], route_class=_KeyFirst, dependencies=[Security(API_KEY)]
)

CommentId = Annotated[int, Path(ge=1, le=MAX_ID)]
AuthorId = Annotated[int, Path(ge=1, le=MAX_ID)]
SIGNALS = r"^[a-z_]{1,40}$"


def _actor(site: Site) -> str:
    return f"api-key:{site.id}"


def _comment_json(c: Comment, site_id: str) -> dict[str, Any]:
    data = shape.comment(c)
    data.pop("replies")
    data.update(
        story_id=c.story_id,
        site=site_id,
        body=c.body,
        author={**data["author"], "id": c.author.id} if data["author"] else None,
    )
    return data


def _item_json(item: QueueItem) -> dict[str, Any]:
    return {
        "comment": _comment_json(item.comment, item.story.site_id),
        "story": {"id": item.story.id, "url": item.story.url, "title": item.story.title},
        "held_by": list(item.causes),
        "severity": round(item.severity, 4),
        "reports": [
            {"reason": r.get("reason"), "note": r.get("note", ""), "created_at": iso(r.get("created_at"))}
            for r in item.reports
        ],
    }


def _own_comment(state: State, site: Site, comment_id: int) -> Comment:
    comment = state.services.comments.get(comment_id)
    if state.services.stories.get(comment.story_id).site_id != site.id:
        raise NotFound(f"no comment {comment_id}", code="unknown_comment")
    return comment


def _own_author(state: State, site: Site, author_id: int) -> dict[str, Any]:
    profile = state.services.queue.author(author_id)
    if profile.author.get("site_id") != site.id:
        raise NotFound(f"no author {author_id}", code="unknown_author")
    return {
        "id": author_id,
        "name": profile.author.get("name"),
        "kind": profile.author.get("kind"),
        "banned": profile.banned,
        "banned_until": None if profile.banned_forever else iso(profile.author.get("banned_until")),
        "banned_forever": profile.banned_forever,
        "history": profile.history,
    }


@router.get("/queues", summary="How many comments wait in each queue")
def queue_counts(state: State, site: KeySite) -> dict[str, int]:
    counts = state.services.queue.counts(site.id)
    return {name: counts[name] for name in ("held", "pending", "reported")}


@router.get("/queues/{queue}", summary="One page of a moderation queue")
def list_queue(
    state: State,
    site: KeySite,
    queue: Queue,
    order: Order = Order.NEWEST,
    signal: Annotated[str | None, Query(pattern=SIGNALS)] = None,
    story_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 25,
) -> dict[str, Any]:
    """Held (by a signal), pending (pre-moderation), reported, rejected or recently decided."""
    filters = QueueFilter(site_id=site.id, story_id=story_id, signal=signal, order=order)
    listing = state.services.queue.list(queue, filters, page, per_page)
    return {
        "queue": listing.queue.value,
        "items": [_item_json(item) for item in listing.items],
        "total": listing.total,
        "page": listing.page,
        "pages": listing.pages,
    }


@router.get("/comments/{comment_id}", summary="A comment with every signal's score and evidence")
def comment_detail(state: State, site: KeySite, comment_id: CommentId) -> dict[str, Any]:
    _own_comment(state, site, comment_id)
    detail = state.services.queue.detail(comment_id)
    return {
        "comment": _comment_json(detail.comment, site.id),
        "story": {"id": detail.story.id, "url": detail.story.url, "title": detail.story.title},
        "held_by": list(detail.causes),
        "signals": [asdict(s) for s in detail.signals],
        "reports": [
            {"reason": r.get("reason"), "note": r.get("note", ""), "created_at": iso(r.get("created_at"))}
            for r in detail.reports
        ],
        "events": [
            {
                "from": e.from_status.value if e.from_status else None,
                "to": e.to_status.value,
                "by": e.actor_kind.value,
                "reason": e.reason,
                "at": iso(e.created_at),
            }
            for e in detail.events
        ],
    }


def _decide(state: State, site: Site, comment_id: int, data: QueueDecision | None, action: Action) -> Any:
    _own_comment(state, site, comment_id)
    decide = state.services.queue.approve if action is Action.APPROVE else state.services.queue.reject
    return {"comment": _comment_json(decide(comment_id, _actor(site), data.reason if data else ""), site.id)}


@router.post("/comments/{comment_id}/approve", summary="Publish a held comment, or keep a reported one")
def approve(
    state: State, site: KeySite, comment_id: CommentId, data: QueueDecision | None = None
) -> dict[str, Any]:
    return dict(_decide(state, site, comment_id, data, Action.APPROVE))


@router.post("/comments/{comment_id}/reject", summary="Take a comment down, with the reason its author sees")
def reject(
    state: State, site: KeySite, comment_id: CommentId, data: QueueDecision | None = None
) -> dict[str, Any]:
    return dict(_decide(state, site, comment_id, data, Action.REJECT))


@router.post("/comments/{comment_id}/feature", summary="Pin a comment on top of its thread, or unpin it")
def feature(
    state: State, site: KeySite, comment_id: CommentId, data: Featuring | None = None
) -> dict[str, Any]:
    _own_comment(state, site, comment_id)
    featured = data.featured if data else True
    comment = state.services.queue.feature(comment_id, _actor(site), featured)
    return {"comment": _comment_json(comment, site.id)}


@router.get("/authors/{author_id}", summary="An author: ban state and history")
def author(state: State, site: KeySite, author_id: AuthorId) -> dict[str, Any]:
    return {"author": _own_author(state, site, author_id)}


@router.post("/authors/{author_id}/ban", summary="Ban an author, for a time or for good")
def ban(state: State, site: KeySite, author_id: AuthorId, data: AuthorBan) -> dict[str, Any]:
    _own_author(state, site, author_id)
    if data.comment_id is not None:
        _own_comment(state, site, data.comment_id)
    rejected = state.services.queue.ban(
        author_id, _actor(site), data.until, data.reason, data.reject_pending, data.comment_id
    )
    return {"author": _own_author(state, site, author_id), "rejected": rejected}


@router.delete("/authors/{author_id}/ban", status_code=204, summary="Lift an author's ban")
def unban(state: State, site: KeySite, author_id: AuthorId) -> Response:
    _own_author(state, site, author_id)
    state.services.queue.unban(author_id, _actor(site))
    return Response(status_code=204)
