"""Readers' data (admins only): find a reader, download everything stored about them, erase them."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from townhall.dashboard.access import ADMIN, PREFIX, guarded, services_of, session_of
from townhall.dashboard.render import lang_of, page
from townhall.dashboard.say import refusal
from townhall.errors import Invalid
from townhall.models import Site
from townhall.types import ActorKind

FIELDS = ("email", "sso_id", "comment_id")


def _site(request: Request, site_id: str | None) -> Site:
    services = services_of(request)
    if site_id:
        return services.sites.get(site_id)
    sites = services.sites.list()
    if not sites:
        raise Invalid("there are no sites yet: add one with `townhall site add`")
    return sites[0]


@guarded(ADMIN)
def readers_page(request: Request) -> Response:
    services = services_of(request)
    query = request.query_params
    site = _site(request, query.get("site"))
    values = {name: query.get(name, "").strip() for name in FIELDS}
    found, error = None, ""
    if any(values.values()):
        comment = values["comment_id"]
        try:
            if comment and not comment.isdigit():
                raise Invalid("a comment id is a number")
            found = services.readers.find(
                site,
                email=values["email"] or None,
                sso_id=values["sso_id"] or None,
                comment_id=int(comment) if comment else None,
            )
        except Invalid as exc:
            error = refusal(lang_of(request), exc)
    return page(
        request,
        "readers.html",
        status_code=422 if error else 200,
        title="Readers' data",
        section="readers",
        site=site,
        sites=services.sites.list(),
        values=values,
        found=found,
        error=error,
        erasures=services.readers.erasures(site)[:20],
    )


@guarded(ADMIN)
def reader_data(request: Request) -> Response:
    site = _site(request, request.query_params.get("site"))
    author_id = request.path_params["author_id"]
    data = services_of(request).readers.export(site, author_id)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="reader-{site.id}-{author_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@guarded(ADMIN)
def erase_reader(request: Request) -> Response:
    body = request.state.body
    site = _site(request, str(body.get("site", "")) or None)
    if body.get("confirm") != "yes":
        raise Invalid("tick the box to confirm: an erasure cannot be undone")
    reason = str(body.get("reason", ""))[:500]
    actor = session_of(request).user.name
    services_of(request).readers.erase(
        site, request.path_params["author_id"], ActorKind.MODERATOR, actor, reason
    )
    return RedirectResponse(
        f"{PREFIX}/readers?{urlencode({'site': site.id, 'done': 'erased'})}", status_code=303
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/readers", readers_page),
        Route("/readers/{author_id:int}/data", reader_data),
        Route("/readers/{author_id:int}/erase", erase_reader, methods=["POST"]),
    ]
