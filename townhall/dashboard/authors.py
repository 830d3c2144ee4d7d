"""An author's page: their history, the moderators' notes on them, and bans."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from townhall.dashboard.access import PREFIX, QUEUE, guarded, safe_next, services_of, session_of
from townhall.dashboard.forms import BAN_LENGTHS, ban_until, checked, int_param
from townhall.dashboard.render import NO_STORE, page
from townhall.i18n import N_


@guarded(QUEUE)
def author_page(request: Request) -> Response:
    profile = services_of(request).queue.author(request.path_params["author_id"])
    return page(
        request,
        "author.html",
        title=(N_("Author {name}"), {"name": profile.author["name"]}),
        section="queue",
        p=profile,
        lengths=BAN_LENGTHS,
    )


def _ban(request: Request) -> int:
    services = services_of(request)
    body = request.state.body
    until = ban_until(str(body.get("length", "")), services.queue.clock())
    return services.queue.ban(
        request.path_params["author_id"],
        session_of(request).user.name,
        until,
        str(body.get("reason") or ""),
        reject_pending=checked(body.get("reject_pending")),
        comment_id=int_param(body.get("comment_id")),
    )


def _back(request: Request, done: str) -> Response:
    default = f"{PREFIX}/authors/{request.path_params['author_id']}"
    target = safe_next(request.state.body.get("next"), default)
    return RedirectResponse(f"{target}{'&' if '?' in target else '?'}done={done}", status_code=303)


@guarded(QUEUE)
def ban_form(request: Request) -> Response:
    _ban(request)
    return _back(request, "banned")


@guarded(QUEUE, api=True)
def ban_api(request: Request) -> Response:
    return JSONResponse({"ok": True, "done": "banned", "rejected": _ban(request)}, headers=NO_STORE)


@guarded(QUEUE)
def unban_form(request: Request) -> Response:
    services_of(request).queue.unban(request.path_params["author_id"], session_of(request).user.name)
    return _back(request, "unbanned")


def _notes(request: Request) -> None:
    services_of(request).queue.set_notes(
        request.path_params["author_id"], str(request.state.body.get("notes", ""))
    )


@guarded(QUEUE)
def notes_form(request: Request) -> Response:
    _notes(request)
    return _back(request, "notes")


@guarded(QUEUE, api=True)
def notes_api(request: Request) -> Response:
    _notes(request)
    return JSONResponse({"ok": True, "done": "notes"}, headers=NO_STORE)


def routes() -> list[BaseRoute]:
    return [
        Route("/authors/{author_id:int}", author_page),
        Route("/authors/{author_id:int}/ban", ban_form, methods=["POST"]),
        Route("/authors/{author_id:int}/unban", unban_form, methods=["POST"]),
        Route("/authors/{author_id:int}/notes", notes_form, methods=["POST"]),
        Route("/api/authors/{author_id:int}/ban", ban_api, methods=["POST"]),
        Route("/api/authors/{author_id:int}/notes", notes_api, methods=["POST"]),
    ]
