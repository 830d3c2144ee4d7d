"""The stats page: volume, what the signals hold, and whether moderators agree with them."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from townhall import i18n
from townhall.dashboard.access import ADMIN, ALL_STAFF, PREFIX, guarded, services_of, session_of
from townhall.dashboard.charts import bar_chart
from townhall.dashboard.formats import format_day, format_hour, format_number, format_share
from townhall.dashboard.forms import int_param
from townhall.dashboard.render import lang_of, page
from townhall.dashboard.say import translate
from townhall.dashboard.scope import visible_sites
from townhall.i18n import N_

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
    lang = lang_of(request)
    hourly = bar_chart([(format_hour(at, lang), n) for at, n in stats.per_hour], labels=8)
    daily = bar_chart([(format_day(at, lang), n) for at, n in stats.per_day], labels=7)
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
        message=_calibration_notice(request, [s.id for s in sites]),
    )


def _calibration_notice(request: Request, site_ids: list[str]) -> str:
    """What the last recalibration did, from the redirect's numbers (no text is taken from the URL)."""
    query = request.query_params
    site_id, outcome = query.get("site", ""), query.get("calibration", "")
    if site_id not in site_ids or outcome not in ("reset", "learned", "too_few"):
        return ""
    lang = lang_of(request)
    decisions = int_param(query.get("decisions")) or 0
    if outcome == "reset":
        return translate(lang, N_("{site}: back to the default thresholds."), {"site": site_id})
    left_out = _left_out(lang, int_param(query.get("unread")) or 0)
    if outcome == "too_few":
        text = i18n.translations(lang, "dashboard").ngettext(
            "%(site)s: only %(num)s moderator decision, too few to learn from.",
            "%(site)s: only %(num)s moderator decisions, too few to learn from.",
            decisions,
        )
        return str(text) % {"site": site_id, "num": format_number(decisions, lang)} + left_out
    before, after = _share(query.get("before")), _share(query.get("after"))
    text = i18n.translations(lang, "dashboard").ngettext(
        "%(site)s: recalibrated from %(num)s decision; agreement %(before)s → %(after)s.",
        "%(site)s: recalibrated from %(num)s decisions; agreement %(before)s → %(after)s.",
        decisions,
    )
    values = {"before": format_share(before, lang), "after": format_share(after, lang)}
    return str(text) % {"site": site_id, "num": format_number(decisions, lang), **values} + left_out


def _left_out(lang: str, unread: int) -> str:
    """Decisions on comments the models could not read are not learned from; say how many."""
    if unread <= 0:
        return ""
    text = i18n.translations(lang, "dashboard").ngettext(
        "%(num)s decision was left out: its comment is in a language the models do not read.",
        "%(num)s decisions were left out: their comments are in a language the models do not read.",
        unread,
    )
    return " " + str(text) % {"num": format_number(unread, lang)}


def _share(value: str | None) -> float | None:
    try:
        share = float(value or "")
    except ValueError:
        return None
    return share if 0 <= share <= 1 else None


def _calibration_action(request: Request, reset: bool) -> Response:
    services = services_of(request)
    site_id = str(request.state.body.get("site") or "")
    actor = session_of(request).user.name
    if reset:
        services.calibration.reset(site_id, actor)
        said: dict[str, object] = {"calibration": "reset"}
    else:
        result = services.calibration.run(site_id, actor).result
        said = {"calibration": "learned" if result.learned else "too_few", "decisions": result.decisions}
        if result.unread:
            said["unread"] = result.unread
        if result.learned:
            said.update(before=f"{result.before:.4f}", after=f"{result.after:.4f}")
    query = urlencode({"site": site_id, **said})
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
