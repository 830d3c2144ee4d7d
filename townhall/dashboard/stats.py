"""The stats page: volume, what the signals hold, and whether moderators agree with them."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from townhall.dashboard.access import ADMIN, ALL_STAFF, PREFIX, guarded, services_of, session_of
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
    sites = visible_sites(request)  # an account limited to some sites sees only theirs
    calibrated = [site_id] if site_id else [s.id for s in sites]
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
        sites=sites,
        by_site=services.stats.by_site([s.id for s in sites], days),
        calibrations={sid: services.calibration.history(sid, 5) for sid in calibrated},
        message=request.query_params.get("message", "")[:300],
    )


def _calibration_action(request: Request, reset: bool) -> Response:
    services = services_of(request)
    site_id = str(request.state.body.get("site") or "")
    actor = session_of(request).user.name
    if reset:
        services.calibration.reset(site_id, actor)
        message = f"{site_id}: back to the default thresholds."
    else:
        outcome = services.calibration.run(site_id, actor)
        result = outcome.result
        if result.learned:
            message = (
                f"{site_id}: recalibrated from {result.decisions} decisions; agreement "
                f"{result.before:.0%} → {result.after:.0%}."
            )
        else:
            message = f"{site_id}: only {result.decisions} moderator decisions, too few to learn from."
    query = urlencode({"site": site_id, "message": message})
    return RedirectResponse(f"{PREFIX}/stats?{query}", status_code=303)


@guarded(ADMIN)
def calibrate(request: Request) -> Response:
    return _calibration_action(request, reset=False)


@guarded(ADMIN)
def reset_calibration(request: Request) -> Response:
    return _calibration_action(request, reset=True)


def routes() -> list[BaseRoute]:
    return [
        Route("/stats", stats_page),
        Route("/stats/calibrate", calibrate, methods=["POST"]),
        Route("/stats/calibrate/reset", reset_calibration, methods=["POST"]),
    ]
