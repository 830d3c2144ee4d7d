"""The public API the widget and integrators call: threads, comments, votes, reports, counts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from townhall import i18n
from townhall.api import shape
from townhall.api.language import language, say
from townhall.api.schemas import MAX_ID, CheckComment, EditComment, NewComment, NewReport, NewVote, VoteOwner
from townhall.api.security import READER_TOKEN, SSO_TOKEN
from townhall.api.state import ApiState, api_state, check_origin, client_ip, reader_key
from townhall.api.threads import page_key, page_response
from townhall.errors import Invalid, NotFound
from townhall.models import Comment, Site
from townhall.services.comment_rules import reader_note
from townhall.services.holds import causes
from townhall.services.identity import from_sso, guest, keyed_hash, network_key
from townhall.services.mail import check_address
from townhall.types import CommentStatus, SortOrder

router = APIRouter(tags=["public"])

State = Annotated[ApiState, Depends(api_state)]
LIVE_SECONDS = 600.0
KEEPALIVE_SECONDS = 20.0

EditToken = Annotated[str, Header(alias="X-Townhall-Edit-Token", min_length=8, max_length=200)]
CommentId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _check_comment_origin(request: Request, state: ApiState, comment_id: int) -> None:
    """A browser acting on a comment must be on one of the origins of that comment's site."""
    if request.headers.get("origin") is None:
        return
    check_origin(request, _site_of(state, state.services.comments.get(comment_id)))


def _site_of(state: ApiState, comment: Comment) -> Site:
    return state.site(state.services.stories.get(comment.story_id).site_id)


def _count_decision(state: ApiState, site: Site, comment: Comment) -> None:
    if state.metrics is not None:
        state.metrics.comment(comment.status.value, causes(comment.verdict, site.settings))


def _edit_window(state: ApiState, comment: Comment) -> int:
    return _site_of(state, comment).settings.edit_window_minutes


@router.get("/threads", summary="Read one page of a story's comments")
def read_thread(
    request: Request,
    state: State,
    site: Annotated[str, Query(min_length=1, max_length=63)],
    url: Annotated[str, Query(min_length=1, max_length=2048)],
    sort: SortOrder = SortOrder.NEWEST,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int | None, Query(ge=1, le=500)] = None,
) -> Response:
    """Top-level comments of one page with all their replies. Cached per story version (ETag)."""
    services = state.services
    the_site = state.site(site)
    check_origin(request, the_site)
    story = services.stories.find(the_site, url) or services.stories.resolve(the_site, url)
    entry = state.threads.remember(the_site.id, url, story)
    now = services.comments.clock()

    def build() -> bytes:
        return orjson.dumps(
            shape.thread(services.comments.thread(story, sort, cursor, limit), now, sort.value)
        )

    page, hit = state.threads.render(page_key(entry, now, sort.value, cursor, limit), build)
    if state.metrics is not None:
        state.metrics.cache_result(hit)
    return page_response(page, request.headers)


@router.get("/counts", summary="Comment counts for a list of story URLs")
def counts(
    request: Request,
    state: State,
    site: Annotated[str, Query(min_length=1, max_length=63)],
    url: Annotated[list[str], Query(min_length=1, max_length=200)],
) -> dict[str, Any]:
    the_site = state.site(site)
    check_origin(request, the_site)
    return {"counts": state.services.stories.counts(the_site, url)}


@router.post(
    "/comments",
    status_code=201,
    summary="Post a comment or a reply",
    dependencies=[Security(READER_TOKEN)],
)
def post_comment(
    request: Request,
    state: State,
    data: NewComment,
    sso_header: Annotated[str | None, Security(SSO_TOKEN)] = None,
) -> shape.FastJSONResponse:
    services = state.services
    the_site = state.site(data.site)
    check_origin(request, the_site)
    ip = client_ip(request)
    state.writes.check(ip)
    reader = request.headers.get("x-townhall-reader")
    sso_token = data.sso_token or sso_header
    if sso_token:
        identity = from_sso(sso_token, the_site)
    else:
        identity = guest(
            data.author_name or "", data.author_email, reader, services.secret, services.config.max_name_chars
        )
    notify_to = _notify_address(state, data.notify_replies, identity.email)
    posted = services.comments.post(
        the_site,
        data.url,
        data.body,
        identity,
        parent_id=data.parent_id,
        honeypot=data.website,
        network_key=network_key(services.secret, ip),
        reader_key=keyed_hash(services.secret, f"reader:{reader}")[:40] if reader else None,
    )
    _count_decision(state, the_site, posted.comment)
    gettext = i18n.translations(language(request)).gettext
    body = {
        "comment": shape.own(posted.comment, the_site.settings.edit_window_minutes, gettext),
        "edit_token": posted.edit_token,
        "status": posted.comment.status.value,
        "message": reader_note(posted.comment.status, posted.comment.verdict, gettext),
    }
    if notify_to and posted.comment.status is not CommentStatus.REJECTED:
        body["notify"] = gettext(services.notices.subscribe(the_site, posted.comment, notify_to).message)
    return shape.FastJSONResponse(body, status_code=201)


@router.post("/comments/check", summary="Before posting: would the author be asked to reconsider?")
def check_comment(request: Request, state: State, data: CheckComment) -> dict[str, Any]:
    """The pre-submit nudge. Runs the site's moderation on the comment as written and stores
    nothing. ``ask`` is true when the site asks authors (its ``nudge`` setting) and the comment
    looks off-topic or uncivil; ``question`` and ``evidence`` say why in plain words."""
    the_site = state.site(data.site)
    check_origin(request, the_site)
    state.writes.check(client_ip(request))
    gettext = i18n.translations(language(request)).gettext
    nudge = state.services.nudge.check(the_site, data.url, data.body, data.parent_id, gettext)
    return {
        "ask": nudge.ask,
        "question": nudge.question,
        "evidence": list(nudge.evidence),
        "concerns": list(nudge.concerns),
    }


def _notify_address(state: ApiState, wanted: bool, email: str | None) -> str | None:
    """Checked before the comment is posted, so a bad request leaves nothing behind."""
    if not wanted:
        return None
    if not state.services.outbox.enabled:
        raise Invalid("this site does not send e-mail notifications", fields={"notify_replies": "off"})
    if not email:
        raise Invalid(
            "an e-mail address is needed for reply notifications", fields={"author_email": "required"}
        )
    return check_address(email, "author_email")


@router.get("/comments/{comment_id}", summary="Read your own comment (held ones too) with its edit token")
def own_comment(
    request: Request, state: State, comment_id: CommentId, edit_token: EditToken
) -> dict[str, Any]:
    _check_comment_origin(request, state, comment_id)
    comment = state.services.comments.own(comment_id, edit_token)
    gettext = i18n.translations(language(request)).gettext
    return {"comment": shape.own(comment, _edit_window(state, comment), gettext)}


@router.patch("/comments/{comment_id}", summary="Edit your comment within the edit window")
def edit_comment(
    request: Request, state: State, comment_id: CommentId, edit_token: EditToken, data: EditComment
) -> dict[str, Any]:
    _check_comment_origin(request, state, comment_id)
    state.writes.check(client_ip(request))
    posted = state.services.comments.edit(comment_id, edit_token, data.body)
    _count_decision(state, _site_of(state, posted.comment), posted.comment)
    gettext = i18n.translations(language(request)).gettext
    return {
        "comment": shape.own(posted.comment, _edit_window(state, posted.comment), gettext),
        "status": posted.comment.status.value,
        "message": reader_note(posted.comment.status, posted.comment.verdict, gettext),
    }


@router.delete(
    "/comments/{comment_id}", status_code=204, summary="Delete your comment within the edit window"
)
def delete_comment(request: Request, state: State, comment_id: CommentId, edit_token: EditToken) -> Response:
    _check_comment_origin(request, state, comment_id)
    state.services.comments.delete(comment_id, edit_token)
    return Response(status_code=204)


def _vote_response(comment: Comment) -> dict[str, Any]:
    return {"comment": {"id": comment.id, "upvotes": comment.upvotes, "downvotes": comment.downvotes}}


def _reader_action(request: Request, state: ApiState, comment_id: int) -> tuple[str, str]:
    """Before a reader's vote or report: the page's origin, the reader token and the address's
    write limit are checked; the reader's and the address's keyed hashes."""
    _check_comment_origin(request, state, comment_id)
    reader = reader_key(request, state.services.secret)
    assert reader is not None
    ip = client_ip(request)
    state.writes.check(ip)
    return reader, network_key(state.services.secret, ip)


def _sso_id(state: ApiState, comment_id: int, sso_token: str | None) -> str | None:
    """A signed-in reader votes once from any device: their publisher's user id."""
    if not sso_token:
        return None
    return from_sso(sso_token, _site_of(state, state.services.comments.get(comment_id))).external_id


@router.post(
    "/comments/{comment_id}/votes",
    summary="Vote a comment up or down, once per reader",
    dependencies=[Security(READER_TOKEN)],
)
def vote(request: Request, state: State, comment_id: CommentId, data: NewVote) -> dict[str, Any]:
    """One vote per comment per reader token, per network address and per signed-in reader;
    voting the other way turns the vote, `DELETE` takes it back."""
    reader, network = _reader_action(request, state, comment_id)
    sso_id = _sso_id(state, comment_id, data.sso_token)
    return _vote_response(state.services.feedback.vote(comment_id, reader, data.value, network, sso_id))


@router.delete(
    "/comments/{comment_id}/votes",
    summary="Take back your vote on a comment",
    dependencies=[Security(READER_TOKEN)],
)
def unvote(
    request: Request, state: State, comment_id: CommentId, data: VoteOwner | None = None
) -> dict[str, Any]:
    reader, network = _reader_action(request, state, comment_id)
    sso_id = _sso_id(state, comment_id, data.sso_token if data else None)
    return _vote_response(state.services.feedback.unvote(comment_id, reader, network, sso_id))


@router.post(
    "/comments/{comment_id}/reports",
    status_code=202,
    summary="Report a comment to the moderators",
    dependencies=[Security(READER_TOKEN)],
)
def report(request: Request, state: State, comment_id: CommentId, data: NewReport) -> dict[str, Any]:
    reader, network = _reader_action(request, state, comment_id)
    sso_id = _sso_id(state, comment_id, data.sso_token)
    state.services.feedback.report(comment_id, reader, data.reason, data.note, network, sso_id)
    return {"message": say(request, "Thank you. A moderator will look at this comment.")}


@router.get("/sites/{site_id}/config", summary="What the widget needs to know about a site")
async def widget_config(request: Request, state: State, site_id: str) -> dict[str, Any]:
    site = await run_in_threadpool(state.site, site_id)
    check_origin(request, site)
    return {
        "site": site.id,
        "name": site.name,
        "max_depth": state.services.config.max_depth,
        "max_chars": state.services.config.max_comment_chars,
        "edit_window_minutes": site.settings.edit_window_minutes,
        "sso": bool(site.sso_secret),
        "page_size": state.services.config.page_size,
        "notify": state.services.outbox.enabled,
        "nudge": site.settings.nudge,
    }


@router.get(
    "/threads/live", summary="Server-sent events: the story's thread changed", response_class=Response
)
async def live(
    request: Request,
    state: State,
    site: Annotated[str, Query(min_length=1, max_length=63)],
    url: Annotated[str, Query(min_length=1, max_length=2048)],
) -> StreamingResponse:
    """An `event: changed` each time a comment under the story is added, edited or moderated."""
    the_site = await run_in_threadpool(state.site, site)
    check_origin(request, the_site)
    story = await run_in_threadpool(state.services.stories.find, the_site, url)
    if story is None:
        raise NotFound("no comments on this story yet", code="unknown_story")

    async def events() -> AsyncIterator[str]:
        yield "retry: 5000\n\n"
        loop = asyncio.get_running_loop()
        # Connections end after a while; EventSource reconnects by itself.
        deadline = loop.time() + LIVE_SECONDS
        async with state.broker.listen(story.id) as queue:
            while loop.time() < deadline and not await request.is_disconnected():
                try:
                    await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: changed\ndata: {story.id}\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
