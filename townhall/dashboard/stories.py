"""Stories: open or closed, comment and held counts; close, reopen, auto-close; the whole thread."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from townhall.dashboard.access import (
    FEATURE,
    PREFIX,
    QUEUE,
    STORIES,
    STORY_EDIT,
    guarded,
    services_of,
    session_of,
)
from townhall.dashboard.forms import int_param
from townhall.dashboard.render import page
from townhall.dashboard.scope import visible_sites
from townhall.errors import Invalid
from townhall.models import Comment
from townhall.types import ActorKind, Role

PER_PAGE = 50


def thread_order(comments: list[Comment]) -> list[Comment]:
    """Staff picks first, then oldest first, each reply right under its parent."""
    children: dict[int | None, list[Comment]] = {}
    for comment in comments:
        children.setdefault(comment.parent_id, []).append(comment)
    known = {c.id for c in comments}
    roots = [c for c in comments if c.parent_id is None or c.parent_id not in known]
    roots.sort(key=lambda c: (not c.featured, c.id))
    ordered: list[Comment] = []

    def walk(comment: Comment) -> None:
        ordered.append(comment)
        for child in children.get(comment.id, []):
            walk(child)

    for root in roots:
        walk(root)
    return ordered


def _actor_kind(request: Request) -> ActorKind:
    return ActorKind.PUBLISHER if session_of(request).user.role is Role.EDITOR else ActorKind.MODERATOR


@guarded(STORIES)
def stories_page(request: Request) -> Response:
    services = services_of(request)
    query = request.query_params
    state = query.get("state", "")
    closed = {"open": False, "closed": True}.get(state)
    number = int_param(query.get("page")) or 1
    site_id = query.get("site") or None
    stories = services.queue.stories(
        site_id, closed, query.get("q", ""), PER_PAGE + 1, (number - 1) * PER_PAGE
    )
    more = len(stories) > PER_PAGE
    stories = stories[:PER_PAGE]
    counts = services.queue.counts_by_story([s.id for s in stories])
    return page(
        request,
        "stories.html",
        title="Stories",
        section="stories",
        stories=stories,
        counts=counts,
        state=state,
        q=query.get("q", ""),
        site_id=site_id or "",
        sites=visible_sites(request),
        number=number,
        more=more,
        can_edit=session_of(request).user.role in STORY_EDIT,
    )


@guarded(STORIES)
def story_page(request: Request) -> Response:
    services = services_of(request)
    story = services.stories.get(request.path_params["story_id"])
    comments = thread_order(services.queue.story_thread(story.id))
    role = session_of(request).user.role
    return page(
        request,
        "story.html",
        title=story.title or story.url,
        section="stories",
        story=story,
        comments=comments,
        counts=services.queue.counts_by_story([story.id]).get(story.id, {}),
        site=services.sites.get(story.site_id),
        can_edit=role in STORY_EDIT,
        can_feature=role in FEATURE,
        can_queue=role in QUEUE,
    )


def _back(request: Request, done: str) -> Response:
    story_id = request.path_params["story_id"]
    target = request.state.body.get("next")
    default = f"{PREFIX}/stories/{story_id}"
    if target != f"{PREFIX}/stories":
        target = default
    return RedirectResponse(f"{target}?done={done}", status_code=303)


@guarded(STORY_EDIT)
def close_story(request: Request) -> Response:
    reason = str(request.state.body.get("reason") or "")[:500]
    services_of(request).stories.close(
        request.path_params["story_id"], _actor_kind(request), session_of(request).user.name, reason
    )
    return _back(request, "closed")


@guarded(STORY_EDIT)
def reopen_story(request: Request) -> Response:
    reason = str(request.state.body.get("reason") or "")[:500]
    services_of(request).stories.reopen(
        request.path_params["story_id"], _actor_kind(request), session_of(request).user.name, reason
    )
    return _back(request, "reopened")


def parse_closes_at(value: str) -> datetime | None:
    """A datetime-local field's value, read as UTC; empty means no closing date."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Invalid(
            "closing date must look like 2026-12-01T18:00", fields={"closes_at": "not a date"}
        ) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@guarded(STORY_EDIT)
def schedule_story(request: Request) -> Response:
    closes_at = parse_closes_at(str(request.state.body.get("closes_at") or ""))
    services_of(request).stories.schedule_close(
        request.path_params["story_id"], closes_at, _actor_kind(request), session_of(request).user.name
    )
    return _back(request, "scheduled")


def routes() -> list[BaseRoute]:
    return [
        Route("/stories", stories_page),
        Route("/stories/{story_id:int}", story_page),
        Route("/stories/{story_id:int}/close", close_story, methods=["POST"]),
        Route("/stories/{story_id:int}/reopen", reopen_story, methods=["POST"]),
        Route("/stories/{story_id:int}/closes-at", schedule_story, methods=["POST"]),
    ]
