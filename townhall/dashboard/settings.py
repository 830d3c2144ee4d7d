"""A site's settings: origins, moderation mode and thresholds, word lists, time limits, SSO secret.

Every field is checked on its own before anything is saved, so each problem shows next to its
field and a bad value leaves every setting as it was.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from townhall import i18n
from townhall.dashboard.access import ADMIN, PREFIX, SETTINGS, guarded, services_of, session_of
from townhall.dashboard.queue import KNOWN_SIGNALS
from townhall.dashboard.render import lang_of, page
from townhall.dashboard.say import refusal, translate
from townhall.dashboard.scope import visible_sites
from townhall.errors import Conflict, Forbidden, Invalid, NotFound
from townhall.i18n import N_
from townhall.models import Site
from townhall.services.holds import DEFAULT_THRESHOLDS
from townhall.services.sites import apply_settings
from townhall.services.urls import normalise_origin

NUMBERS = {
    "auto_close_days": N_("Close comments this many days after a story is published (0: never)."),
    "edit_window_minutes": N_("Minutes readers may edit or delete their own comment."),
    "trusted_after_approved": N_("Approved comments after which a reader counts as trusted."),
}
LISTS = {
    "banned_words": N_("Banned words: comments using them are rejected. One word or phrase per line."),
    "suspect_words": N_("Suspect words: comments using them are held for a moderator. One per line."),
    "links_allowlist": N_("Domains readers may link to without the link counting as spam. One per line."),
    "query_params": N_(
        "Query parameters that tell one story from another (like p for ?p=123); all others"
        " are dropped from story addresses. One per line."
    ),
}


def _site(request: Request, site_id: str | None) -> Site:
    services = services_of(request)
    sites = visible_sites(request)
    if not sites:
        raise NotFound("there are no sites yet: add one with `townhall site add`", code="no_sites")
    if site_id is None:
        return sites[0]
    return services.sites.get(site_id)


def _lines(value: Any) -> list[str]:
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def form_values(site: Site) -> dict[str, Any]:
    """The form's fields filled in from the stored settings."""
    settings = site.settings
    values: dict[str, Any] = {
        "origins": "\n".join(site.origins),
        "moderation_mode": settings.moderation_mode.value,
        "erasure_mode": settings.erasure_mode,
        "language": settings.language,
        "unknown_language": settings.unknown_language,
        "nudge": settings.nudge,
        **{name: str(getattr(settings, name)) for name in NUMBERS},
        **{name: "\n".join(getattr(settings, name)) for name in LISTS},
    }
    for signal in KNOWN_SIGNALS:
        pair = settings.thresholds.get(signal, {})
        for key in ("hold", "reject"):
            values[f"{key}_{signal}"] = f"{pair[key]:g}" if key in pair else ""
    return values


def parse_form(
    body: dict[str, Any], site: Site, lang: str = i18n.DEFAULT
) -> tuple[list[str], dict[str, Any], dict[str, str]]:
    """(origins, settings changes, errors by field name, said in ``lang``) from the submitted form."""
    errors: dict[str, str] = {}
    origins = _lines(body.get("origins"))
    if not origins:
        errors["origins"] = translate(lang, N_("Add at least one origin, like https://news.example."))
    for origin in origins:
        try:
            normalise_origin(origin)
        except Invalid as exc:
            errors["origins"] = refusal(lang, exc)
            break
    changes: dict[str, Any] = {
        "moderation_mode": str(body.get("moderation_mode", "")),
        "erasure_mode": str(body.get("erasure_mode") or site.settings.erasure_mode),
        "language": str(body.get("language") or site.settings.language),
        "unknown_language": str(body.get("unknown_language") or site.settings.unknown_language),
        "nudge": body.get("nudge") == "on",
    }
    for name in NUMBERS:
        raw = str(body.get(name, "")).strip()
        try:
            changes[name] = int(raw)
        except ValueError:
            errors[name] = translate(lang, N_("Enter a whole number."))
    for name in LISTS:
        changes[name] = _lines(body.get(name))
    thresholds: dict[str, dict[str, float]] = {}
    for signal in KNOWN_SIGNALS:
        for key in ("hold", "reject"):
            raw = str(body.get(f"{key}_{signal}", "")).strip()
            if not raw:
                continue
            try:
                thresholds.setdefault(signal, {})[key] = float(raw)
            except ValueError:
                errors[f"thresholds.{signal}"] = translate(
                    lang, N_("Thresholds are numbers from 0 to 1, like 0.8.")
                )
    changes["thresholds"] = thresholds
    for name, value in changes.items():
        try:
            apply_settings(site.settings, {name: value})
        except Invalid as exc:
            key = next(iter(exc.fields), name)
            if key.startswith("thresholds."):
                key = ".".join(key.split(".")[:2])
            errors.setdefault(key, refusal(lang, exc))
    return origins, changes, errors


@guarded(SETTINGS)
def settings_page(request: Request) -> Response:
    site = _site(request, request.query_params.get("site") or None)
    return _render(request, site, form_values(site), {})


def _render(
    request: Request,
    site: Site,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    secret: str = "",
) -> Response:
    return page(
        request,
        "settings.html",
        status_code=status,
        title=(N_("Settings · {site}"), {"site": site.name}),
        section="settings",
        site=site,
        sites=services_of(request).sites.list(),
        values=values,
        errors=errors,  # already in the staff member's language (Python's str.format, never Jinja's %)
        numbers=NUMBERS,
        lists=LISTS,
        signals=KNOWN_SIGNALS,
        defaults=DEFAULT_THRESHOLDS,
        secret=secret,
        can_rotate=session_of(request).user.role in ADMIN,
    )


@guarded(SETTINGS)
def save_settings(request: Request) -> Response:
    services = services_of(request)
    body = request.state.body
    site = _site(request, str(body.get("site") or "") or None)
    origins, changes, errors = parse_form(body, site, lang_of(request))
    if not errors:
        try:
            services.sites.set_origins(site.id, origins)
        except (Conflict, Forbidden) as exc:  # another site's origin, or a private address
            errors = {"origins": refusal(lang_of(request), exc)}
    if errors:
        values = {**form_values(site), **{k: str(v) for k, v in body.items() if isinstance(v, str)}}
        return _render(request, site, values, errors, status=422)
    services.sites.update_settings(site.id, changes)
    return RedirectResponse(f"{PREFIX}/settings?site={site.id}&done=settings", status_code=303)


@guarded(ADMIN)
def rotate_sso_secret(request: Request) -> Response:
    """A new SSO secret, shown on this one response and never again."""
    site = _site(request, str(request.state.body.get("site") or "") or None)
    secret = services_of(request).sites.rotate_sso_secret(site.id)
    site = services_of(request).sites.get(site.id)
    return _render(request, site, form_values(site), {}, secret=secret)


def routes() -> list[BaseRoute]:
    return [
        Route("/settings", settings_page),
        Route("/settings", save_settings, methods=["POST"]),
        Route("/settings/sso-secret", rotate_sso_secret, methods=["POST"]),
    ]
