"""The stats page: volume, what the signals hold, and whether moderators agree with them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from townhall.dashboard.access import ALL_STAFF, guarded, services_of
from townhall.dashboard.charts import bar_chart
from townhall.dashboard.forms import int_param
from townhall.dashboard.render import page
from townhall.dashboard.scope import visible_sites

PERIODS = (7, 30, 90)


@guarded(ALL_STAFF)
def stats_page(request: Request) -> Response:
    services = services_of(request)
    days = int_param(request.query_params.get("days")) or 30
    days = days if days in PERIODS else 30
    site_id = request.query_params.get("site") or None
    stats = services.stats.overview(site_id, days)
    hourly = bar_chart([(at.strftime("%H:00"), n) for at, n in stats.per_hour], labels=8)
    daily = bar_chart([(at.strftime("%d %b"), n) for at, n in stats.per_day], labels=7)
    return page(
        request,
        "stats.html",
        title="Stats",
        section="stats",
        stats=stats,
        hourly=hourly,
        daily=daily,
        days=days,
        periods=PERIODS,
        site_id=site_id or "",
        sites=visible_sites(request),
    )


def routes() -> list[BaseRoute]:
    return [Route("/stats", stats_page)]
