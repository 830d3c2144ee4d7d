"""Webhooks (admins): add, remove and test a site's webhooks; its delivery log."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from townhall.dashboard.access import ADMIN, PREFIX, guarded, services_of
from townhall.dashboard.readers import _site
from townhall.dashboard.render import lang_of, page
from townhall.dashboard.say import refusal
from townhall.dashboard.scope import visible_sites
from townhall.errors import Invalid
from townhall.i18n import N_
from townhall.models import Site
from townhall.services.webhooks import EVENTS, delivery_state

LOG_SIZE = 50


def _render(
    request: Request,
    site: Site,
    *,
    secret: str = "",
    error: str = "",
    values: dict[str, object] | None = None,
    status: int = 200,
) -> Response:
    services = services_of(request)
    deliveries = [
        {**row, "state": delivery_state(row)} for row in services.webhooks.deliveries(site.id, LOG_SIZE)
    ]
    return page(
        request,
        "webhooks.html",
        status_code=status,
        title=(N_("Webhooks · {site}"), {"site": site.name}),
        section="webhooks",
        site=site,
        sites=visible_sites(request),  # a limited account picks among its own sites only
        hooks=services.webhooks.list(site.id),
        deliveries=deliveries,
        events=EVENTS,
        secret=secret,
        error=error,
        values=values or {"url": "", "events": list(EVENTS)},
    )


def _back(site: Site, done: str) -> RedirectResponse:
    return RedirectResponse(
        f"{PREFIX}/webhooks?{urlencode({'site': site.id, 'done': done})}", status_code=303
    )


@guarded(ADMIN)
def webhooks_page(request: Request) -> Response:
    return _render(request, _site(request, request.query_params.get("site")))


@guarded(ADMIN)
def add_webhook(request: Request) -> Response:
    body = request.state.body
    site = _site(request, str(body.get("site") or "") or None)
    url = str(body.get("url") or "").strip()
    chosen = [name for name in EVENTS if body.get(f"event_{name}")]
    try:
        if not chosen:
            raise Invalid("choose at least one event")
        _hook, secret = services_of(request).webhooks.add(site.id, url, chosen)
    except Invalid as exc:
        values: dict[str, object] = {"url": url, "events": chosen}
        return _render(request, site, error=refusal(lang_of(request), exc), values=values, status=422)
    return _render(request, site, secret=secret)


@guarded(ADMIN)
def remove_webhook(request: Request) -> Response:
    site = _site(request, str(request.state.body.get("site") or "") or None)
    services_of(request).webhooks.remove(request.path_params["webhook_id"], site.id)
    return _back(site, "webhook_removed")


@guarded(ADMIN)
def test_webhook(request: Request) -> Response:
    site = _site(request, str(request.state.body.get("site") or "") or None)
    services_of(request).webhooks.send_test(request.path_params["webhook_id"], site.id)
    return _back(site, "webhook_test")


def routes() -> list[BaseRoute]:
    return [
        Route("/webhooks", webhooks_page),
        Route("/webhooks", add_webhook, methods=["POST"]),
        Route("/webhooks/{webhook_id:int}/remove", remove_webhook, methods=["POST"]),
        Route("/webhooks/{webhook_id:int}/test", test_webhook, methods=["POST"]),
    ]
