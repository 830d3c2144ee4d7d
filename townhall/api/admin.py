"""The publisher's admin API: per-site API key as a bearer token (created with `townhall key create`)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute

from townhall.api import shape
from townhall.api.schemas import (
    MAX_ID,
    ErasureRequest,
    NewWebhook,
    SiteSettingsChange,
    StoryPush,
    StorySchedule,
    StoryState,
    iso,
)
from townhall.api.security import API_KEY
from townhall.api.state import ApiState, api_state
from townhall.errors import NotFound, Unauthorized
from townhall.models import Site, Story
from townhall.services.sites import apply_settings
from townhall.services.urls import normalise_origin
from townhall.services.webhooks import Webhook, delivery_state
from townhall.types import ActorKind


def _key_site(request: Request) -> Site:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("a valid API key is required")
    return api_state(request).services.sites.site_for_key(key.strip())


class _KeyFirst(APIRoute):
    """Check the API key before the body is read: without a valid key, even a malformed body gets 401."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            request.state.key_site = await run_in_threadpool(_key_site, request)
            return await handler(request)

        return checked


router = APIRouter(prefix="/admin", tags=["admin"], route_class=_KeyFirst, dependencies=[Security(API_KEY)])

State = Annotated[ApiState, Depends(api_state)]


def _site(request: Request) -> Site:
    site: Site = request.state.key_site
    return site


KeySite = Annotated[Site, Depends(_site)]
StoryId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _story(state: ApiState, site: Site, story_id: int) -> Story:
    story = state.services.stories.get(story_id)
    if story.site_id != site.id:
        raise NotFound(f"no story {story_id}", code="unknown_story")  # another site's story stays unseen
    return story


def _site_json(site: Site) -> dict[str, Any]:
    return {
        "id": site.id,
        "name": site.name,
        "origins": list(site.origins),
        "settings": site.settings.to_dict(),
    }


@router.get("/site", summary="This key's site and its settings")
def get_site(site: KeySite) -> dict[str, Any]:
    return _site_json(site)


@router.patch("/site", summary="Change the site's origins and settings")
def change_site(state: State, site: KeySite, data: SiteSettingsChange) -> dict[str, Any]:
    services = state.services
    changes = data.changes()
    # Validate both before writing either, so a bad settings change leaves the origins as they were.
    apply_settings(site.settings, changes)
    if data.origins is not None:
        for origin in data.origins:
            normalise_origin(origin)
        services.sites.set_origins(site.id, data.origins)
    updated = services.sites.update_settings(site.id, changes) if changes else services.sites.get(site.id)
    state.forget_site(site.id)
    return _site_json(updated)


@router.put("/stories", summary="Create or update a story with the article's text")
def push_story(state: State, site: KeySite, data: StoryPush) -> dict[str, Any]:
    fields = data.model_dump(exclude={"url"}, exclude_unset=True)
    story = state.services.stories.push(site, data.url, fields, actor=f"api-key:{site.id}")
    return shape.story(story, state.services.comments.clock())


@router.get("/stories", summary="List the site's stories")
def list_stories(
    state: State,
    site: KeySite,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> dict[str, Any]:
    now = state.services.comments.clock()
    stories = state.services.stories.list(site.id, limit, offset)
    return {"stories": [shape.story(s, now) for s in stories]}


@router.post("/stories/{story_id}/close", summary="Close a story's comments")
def close_story(
    state: State, site: KeySite, story_id: StoryId, data: StoryState | None = None
) -> dict[str, Any]:
    _story(state, site, story_id)
    reason = data.reason if data else ""
    story = state.services.stories.close(story_id, ActorKind.PUBLISHER, f"api-key:{site.id}", reason)
    return shape.story(story, state.services.comments.clock())


@router.post("/stories/{story_id}/reopen", summary="Reopen a story's comments")
def reopen_story(
    state: State, site: KeySite, story_id: StoryId, data: StoryState | None = None
) -> dict[str, Any]:
    _story(state, site, story_id)
    reason = data.reason if data else ""
    story = state.services.stories.reopen(story_id, ActorKind.PUBLISHER, f"api-key:{site.id}", reason)
    return shape.story(story, state.services.comments.clock())


@router.put("/stories/{story_id}/closes-at", summary="Set or clear the date a story's comments close")
def schedule_story(state: State, site: KeySite, story_id: StoryId, data: StorySchedule) -> dict[str, Any]:
    _story(state, site, story_id)
    story = state.services.stories.schedule_close(
        story_id, data.closes_at, ActorKind.PUBLISHER, f"api-key:{site.id}"
    )
    return shape.story(story, state.services.comments.clock())


# -- a reader's data rights (GDPR art. 15 and 17) ---------------------------------------------

ReaderId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/readers", summary="Find readers by e-mail, SSO user id or one of their comments")
def find_readers(
    state: State,
    site: KeySite,
    email: Annotated[str | None, Query(max_length=320)] = None,
    sso_id: Annotated[str | None, Query(max_length=200)] = None,
    comment_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> dict[str, Any]:
    return {"readers": state.services.readers.find(site, email=email, sso_id=sso_id, comment_id=comment_id)}


@router.get("/readers/{author_id}/data", summary="Everything stored about one reader (right of access)")
def reader_data(state: State, site: KeySite, author_id: ReaderId) -> dict[str, Any]:
    return state.services.readers.export(site, author_id)


@router.post("/readers/{author_id}/erase", summary="Erase one reader (right to erasure)")
def erase_reader(
    state: State, site: KeySite, author_id: ReaderId, data: ErasureRequest | None = None
) -> dict[str, Any]:
    reason = data.reason if data else ""
    erasure = state.services.readers.erase(site, author_id, ActorKind.PUBLISHER, f"api-key:{site.id}", reason)
    return {"erasure": erasure}


@router.get("/erasures", summary="The record of readers erased on this site")
def list_erasures(state: State, site: KeySite) -> dict[str, Any]:
    return {"erasures": state.services.readers.erasures(site)}


WebhookId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _webhook_json(hook: Webhook) -> dict[str, Any]:
    return {"id": hook.id, "url": hook.url, "events": list(hook.events), "created_at": iso(hook.created_at)}


@router.get("/webhooks", summary="The site's webhooks")
def list_webhooks(state: State, site: KeySite) -> dict[str, Any]:
    return {"webhooks": [_webhook_json(h) for h in state.services.webhooks.list(site.id)]}


@router.post("/webhooks", status_code=201, summary="Add a webhook; its signing secret is in this answer only")
def add_webhook(state: State, site: KeySite, data: NewWebhook) -> dict[str, Any]:
    hook, secret = state.services.webhooks.add(site.id, data.url, data.events)
    return {"webhook": _webhook_json(hook), "secret": secret}


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Remove a webhook and its delivery log")
def remove_webhook(state: State, site: KeySite, webhook_id: WebhookId) -> Response:
    state.services.webhooks.remove(webhook_id, site.id)
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/test", status_code=202, summary="Send a test event (ping)")
def test_webhook(state: State, site: KeySite, webhook_id: WebhookId) -> dict[str, Any]:
    return {"delivery_id": state.services.webhooks.send_test(webhook_id, site.id)}


@router.get("/webhooks/deliveries", summary="The delivery log: the site's newest deliveries")
def webhook_deliveries(
    state: State, site: KeySite, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> dict[str, Any]:
    rows = state.services.webhooks.deliveries(site.id, limit)
    return {
        "deliveries": [
            {
                "id": row["id"],
                "webhook_id": row["webhook_id"],
                "url": row["url"],
                "event": row["event"],
                "attempts": row["attempts"],
                "state": delivery_state(row),
                "last_status": row["last_status"],
                "last_error": row["last_error"],
                "created_at": iso(row["created_at"]),
                "next_attempt_at": iso(row["next_attempt_at"]),
                "delivered_at": iso(row["delivered_at"]),
            }
            for row in rows
        ]
    }
