"""The moderation queues: the list, one comment in context, and the decisions (pages and JSON)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from townhall.dashboard.access import FEATURE, PREFIX, QUEUE, guarded, safe_next, services_of, session_of
from townhall.dashboard.evidence import extra_evidence, highlight, marks_for
from townhall.dashboard.forms import BAN_LENGTHS, int_param
from townhall.dashboard.render import NO_STORE, environment, lang_of, page
from townhall.dashboard.scope import visible_sites
from townhall.errors import Invalid
from townhall.i18n import N_
from townhall.services.queue import Action, ItemDetail, Order, Queue, QueueFilter, QueueItem

KNOWN_SIGNALS = ("toxicity", "off_topic", "spam", "words")
QUEUE_LABELS = {
    Queue.HELD: N_("Held"),
    Queue.REPORTED: N_("Reported"),
    Queue.PENDING: N_("Pending"),
    Queue.REJECTED: N_("Rejected"),
    Queue.RECENT: N_("Recently moderated"),
}
REJECT_REASONS = (
    "This comment breaks the site's rules for discussion.",
    "Personal attacks are not allowed.",
    "This comment is off-topic for the story.",
    "This looks like spam or advertising.",
    "This comment contains misinformation.",
)
PER_PAGE = 25


def queue_filter(request: Request) -> QueueFilter:
    query = request.query_params
    signal = query.get("signal", "")
    order = query.get("order", "")
    return QueueFilter(
        site_id=query.get("site") or None,
        story_id=int_param(query.get("story")),
        signal=signal if signal in KNOWN_SIGNALS else None,
        author_id=int_param(query.get("author")),
        order=Order(order) if order in Order.__members__.values() else Order.NEWEST,
    )


def filter_query(filters: QueueFilter, **extra: Any) -> str:
    values = {
        "site": filters.site_id,
        "story": filters.story_id,
        "signal": filters.signal,
        "author": filters.author_id,
        "order": filters.order.value if filters.order is not Order.NEWEST else None,
        **extra,
    }
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def _queue(request: Request) -> Queue:
    name = request.path_params["queue"]
    if name not in Queue.__members__.values():
        raise Invalid("there is no '{name}' queue", code="unknown_queue", params={"name": name})
    return Queue(name)


def detail_context(request: Request, detail: ItemDetail) -> dict[str, Any]:
    """What the comment partial needs: the detail, its highlighted text and the form helpers."""
    session = session_of(request)
    text = detail.comment.body
    off_topic = next((s for s in detail.signals if s.name == "off_topic"), None)
    return {
        "lang": lang_of(request),
        "d": detail,
        "c": detail.comment,
        "highlighted": highlight(text, marks_for(text, detail.signals, lang_of(request))),
        "off_topic": off_topic,
        "extra_evidence": extra_evidence,
        "reasons": REJECT_REASONS,
        "lengths": BAN_LENGTHS,
        "csrf": session.csrf_token,
        "user": session.user,
        "can_queue": session.user.role in QUEUE,
        "can_feature": session.user.role in FEATURE,
        "prefix": PREFIX,
        "now": services_of(request).queue.clock(),
        "back": request.query_params.get("next") or "",
    }


def render_detail(request: Request, detail: ItemDetail, back: str) -> str:
    context = detail_context(request, detail)
    context["back"] = back
    return environment.get_template("_detail.html").render(context)


def render_cards(
    request: Request, queue: Queue, items: list[QueueItem], filters: QueueFilter
) -> list[dict[str, Any]]:
    template = environment.get_template("_card.html")
    now = services_of(request).queue.clock()
    return [
        {
            "id": item.comment.id,
            "html": template.render(
                item=item,
                lang=lang_of(request),
                queue=queue,
                prefix=PREFIX,
                now=now,
                link=f"{PREFIX}/queue/{queue.value}?" + filter_query(filters, selected=item.comment.id),
            ),
        }
        for item in items
    ]


@guarded(QUEUE)
def queue_page(request: Request) -> Response:
    services = services_of(request)
    queue = _queue(request)
    filters = queue_filter(request)
    number = int_param(request.query_params.get("page")) or 1
    listing = services.queue.list(queue, filters, number, PER_PAGE)
    selected_id = int_param(request.query_params.get("selected"))
    ids = [item.comment.id for item in listing.items]
    if selected_id not in ids:
        selected_id = ids[0] if ids else selected_id
    here = f"{PREFIX}/queue/{queue.value}?" + filter_query(filters, page=number if number > 1 else None)
    detail_html = ""
    if selected_id is not None:
        detail_html = render_detail(request, services.queue.detail(selected_id), here)
    story = services.stories.get(filters.story_id) if filters.story_id else None
    author = services.queue.author(filters.author_id).author if filters.author_id else None
    return page(
        request,
        "queue.html",
        title=QUEUE_LABELS[queue],
        section="queue",
        queue=queue,
        listing=listing,
        filters=filters,
        labels=QUEUE_LABELS,
        signals=KNOWN_SIGNALS,
        selected=selected_id,
        detail_html=detail_html,
        sites=visible_sites(request),
        story=story,
        author=author,
        filter_query=filter_query,
        here=here,
        counts=services.queue.counts(filters.site_id),
        Queue=Queue,
        Order=Order,
        reasons=REJECT_REASONS,
    )


@guarded(QUEUE)
def comment_page(request: Request) -> Response:
    """One comment in context, as a page of its own (works without JavaScript)."""
    detail = services_of(request).queue.detail(request.path_params["comment_id"])
    return_to = safe_next(request.query_params.get("next"), f"{PREFIX}/queue/held")
    context = detail_context(request, detail)
    # The page's forms come back here, so the moderator sees what their action did.
    context["back"] = f"{PREFIX}/comments/{detail.comment.id}?{urlencode({'next': return_to})}"
    return page(
        request,
        "comment.html",
        title=(N_("Comment {id}"), {"id": detail.comment.id}),
        section="queue",
        return_to=return_to,
        **context,
    )


def _act(request: Request, action: Action, body: dict[str, Any]) -> tuple[str, Any]:
    services = services_of(request)
    actor = session_of(request).user.name
    comment_id = request.path_params["comment_id"]
    reason = str(body.get("reason") or body.get("reason_text") or "")
    if action is Action.APPROVE:
        return "approved", services.queue.approve(comment_id, actor, reason)
    if action is Action.REJECT:
        return "rejected", services.queue.reject(comment_id, actor, reason)
    featured = action is Action.FEATURE
    return ("featured" if featured else "unfeatured"), services.queue.feature(comment_id, actor, featured)


def _action_form(action: Action) -> Any:
    def handler(request: Request) -> Response:
        body = request.state.body
        done, _comment = _act(request, action, body)
        target = safe_next(body.get("next"), f"{PREFIX}/queue/held")
        return RedirectResponse(_with_done(target, done), status_code=303)

    handler.__name__ = f"{action.value}_form"
    return guarded(FEATURE if action in (Action.FEATURE, Action.UNFEATURE) else QUEUE)(handler)


def _action_api(action: Action) -> Any:
    def handler(request: Request) -> Response:
        done, comment = _act(request, action, request.state.body)
        return JSONResponse(
            {
                "ok": True,
                "done": done,
                "comment": {"id": comment.id, "status": comment.status.value, "featured": comment.featured},
            },
            headers=NO_STORE,
        )

    handler.__name__ = f"{action.value}_api"
    return guarded(FEATURE if action in (Action.FEATURE, Action.UNFEATURE) else QUEUE, api=True)(handler)


def _with_done(target: str, done: str) -> str:
    return f"{target}{'&' if '?' in target else '?'}done={done}"


def _bulk(request: Request) -> int:
    body = request.state.body
    raw = body.get("ids") or body.get("ids[]") or []
    ids = [i for i in (int_param(v) for v in (raw if isinstance(raw, list) else [raw])) if i is not None]
    try:
        action = Action(str(body.get("action", "")))
    except ValueError as exc:
        raise Invalid("bulk actions are approve and reject", fields={"action": "approve or reject"}) from exc
    return services_of(request).queue.bulk(
        ids, action, session_of(request).user.name, str(body.get("reason") or "")
    )


@guarded(QUEUE)
def bulk_form(request: Request) -> Response:
    _bulk(request)
    target = safe_next(request.state.body.get("next"), f"{PREFIX}/queue/held")
    return RedirectResponse(_with_done(target, "bulk"), status_code=303)


@guarded(QUEUE, api=True)
def bulk_api(request: Request) -> Response:
    return JSONResponse({"ok": True, "changed": _bulk(request)}, headers=NO_STORE)


@guarded(QUEUE, api=True)
def counts_api(request: Request) -> Response:
    """Live counts: how many comments wait in each queue, and the newest one's id."""
    return JSONResponse(
        services_of(request).queue.counts(request.query_params.get("site") or None), headers=NO_STORE
    )


@guarded(QUEUE, api=True)
def detail_api(request: Request) -> Response:
    detail = services_of(request).queue.detail(request.path_params["comment_id"])
    back = safe_next(request.query_params.get("next"), f"{PREFIX}/queue/held")
    return JSONResponse(
        {
            "id": detail.comment.id,
            "status": detail.comment.status.value,
            "html": render_detail(request, detail, back),
        },
        headers=NO_STORE,
    )


@guarded(QUEUE, api=True)
def queue_api(request: Request) -> Response:
    """A page of a queue as rendered cards, for the list to refill itself without a reload."""
    queue = _queue(request)
    filters = queue_filter(request)
    listing = services_of(request).queue.list(
        queue, filters, int_param(request.query_params.get("page")) or 1, PER_PAGE
    )
    return JSONResponse(
        {
            "queue": queue.value,
            "total": listing.total,
            "items": render_cards(request, queue, listing.items, filters),
        },
        headers=NO_STORE,
    )


@guarded(QUEUE)
def queue_home(request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/queue/held", status_code=303)


def routes() -> list[BaseRoute]:
    found: list[BaseRoute] = [
        Route("/queue", queue_home),
        Route("/queue/bulk", bulk_form, methods=["POST"]),
        Route("/queue/{queue:str}", queue_page),
        Route("/comments/{comment_id:int}", comment_page),
        Route("/api/counts", counts_api),
        Route("/api/queue/{queue:str}", queue_api),
        Route("/api/comments/{comment_id:int}", detail_api),
        Route("/api/bulk", bulk_api, methods=["POST"]),
    ]
    for action in Action:
        found.append(
            Route(f"/comments/{{comment_id:int}}/{action.value}", _action_form(action), methods=["POST"])
        )
        found.append(
            Route(f"/api/comments/{{comment_id:int}}/{action.value}", _action_api(action), methods=["POST"])
        )
    return found
