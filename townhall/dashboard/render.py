"""Templates: Jinja2 with autoescaping on, the layout's shared context, and small display filters.

Text in templates goes through gettext (``{{ _("…") }}``, the ``dashboard`` catalogue) in the
staff member's browser language (Accept-Language, or ``?lang=``); a page renders with ``lang``
in its context, and a string without a translation stays English.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_file
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from starlette.requests import Request
from starlette.responses import HTMLResponse

from townhall import i18n
from townhall.dashboard import labels, say
from townhall.dashboard.context import ADMIN, PREFIX, QUEUE, SETTINGS, services_of
from townhall.dashboard.evidence import level, readable
from townhall.dashboard.formats import format_number, format_score, format_share, format_when
from townhall.i18n import N_
from townhall.services.accounts import Session

# What a redirect's ?done= code says; fixed text, so nothing from the URL is reflected onto the page.
FLASH = {
    "approved": N_("Comment approved."),
    "rejected": N_("Comment rejected."),
    "featured": N_("Comment featured."),
    "unfeatured": N_("Comment no longer featured."),
    "bulk": N_("Selected comments updated."),
    "banned": N_("Author banned."),
    "unbanned": N_("Ban lifted."),
    "notes": N_("Notes saved."),
    "closed": N_("Comments on the story are closed."),
    "reopened": N_("Comments on the story are open again."),
    "scheduled": N_("Closing date saved."),
    "settings": N_("Settings saved."),
    "erased": N_("Reader erased. The erasure is recorded below."),
    "user_added": N_("User added."),
    "user_changed": N_("User updated."),
    "password": N_("Password changed. Every other session was signed out."),
    "logged_out_all": N_("Signed out everywhere else."),
    "signed_out": N_("You are signed out."),
    "totp_on": N_("One-time codes are on: sign-ins now ask for a code from your app."),
    "totp_off": N_("One-time codes are off."),
    "webhook_removed": N_("Webhook removed."),
    "webhook_test": N_("Test event queued: it shows in the delivery log below once sent."),
    "digest_on": N_("Digest saved."),
    "digest_off": N_("Digest stopped."),
}

# A comment's status as a word in running text (the value itself stays in class names and URLs).
STATUS_WORDS = {
    "held": N_("held"),
    "pending": N_("pending"),
    "published": N_("published"),
    "rejected": N_("rejected"),
    "deleted": N_("deleted"),
}

# A staff role as a word (the value itself is what forms send).
ROLE_WORDS = {"admin": N_("admin"), "moderator": N_("moderator"), "editor": N_("editor")}

# "n units ago", one plural pair per unit so each language can inflect it (German: "vor 3 Tagen").
AGO = (
    (86400 * 365, lambda t, n: t.ngettext("%(num)s year ago", "%(num)s years ago", n)),
    (86400 * 30, lambda t, n: t.ngettext("%(num)s month ago", "%(num)s months ago", n)),
    (86400, lambda t, n: t.ngettext("%(num)s day ago", "%(num)s days ago", n)),
    (3600, lambda t, n: t.ngettext("%(num)s hour ago", "%(num)s hours ago", n)),
    (60, lambda t, n: t.ngettext("%(num)s minute ago", "%(num)s minutes ago", n)),
)


def lang_of(request: Request) -> str:
    """The staff member's language: ?lang=, else the browser's Accept-Language, else English."""
    return i18n.negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


@pass_context
def _ago(context: Context, value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return ""
    t = _translations(context)
    seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
    for size, ago in AGO:
        if seconds >= size:
            n = seconds // size
            return str(ago(t, n)) % {"num": n}
    return str(t.gettext("just now"))


@pass_context
def _when(context: Context, value: datetime | None) -> str:
    return format_when(value, _lang(context))


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


@pass_context
def _percent(context: Context, value: float | None, digits: int = 0) -> str:
    return format_share(value, _lang(context), digits)


@pass_context
def _score(context: Context, value: Any) -> str:
    return format_score(value, _lang(context))


@pass_context
def _number(context: Context, value: float | None) -> str:
    return format_number(value, _lang(context))


def _lang(context: Context) -> str:
    return str(context.get("lang") or i18n.DEFAULT)


@pass_context
def _status(context: Context, value: str) -> str:
    return str(_translations(context).gettext(STATUS_WORDS[value])) if value in STATUS_WORDS else value


@pass_context
def _role(context: Context, value: str) -> str:
    return str(_translations(context).gettext(ROLE_WORDS[value])) if value in ROLE_WORDS else value


@pass_context
def _level(context: Context, score: float | None) -> str:
    return str(_translations(context).gettext(level(score)))


@pass_context
def _signal(context: Context, name: str) -> str:
    return labels.signal_word(_lang(context), name)


def _word_filter(table: dict[str, str]) -> Any:
    """A filter saying a stored value from ``table`` in the page's language (unknown: as stored)."""

    @pass_context
    def said(context: Context, value: Any) -> str:
        return labels.word(_lang(context), table, value)

    return said


@pass_context
def _readable(context: Context, value: Any) -> str:
    return readable(value, _lang(context))


@pass_context
def _kinds(context: Context, values: Any) -> str:
    """The toxicity signal's kinds of words, each in the page's language."""
    items = values if isinstance(values, list | tuple) else [values]
    return ", ".join(labels.word(_lang(context), labels.TOXICITY_KINDS, v) for v in items)


@pass_context
def _reason(context: Context, text: str) -> str:
    return labels.reason(_lang(context), text)


@pass_context
def _message(context: Context, text: str) -> str:
    """A stored service message (a delivery's last error): in the catalogue's words when it is a msgid."""
    return str(_translations(context).gettext(text)) if text else ""


def _translations(context: Context) -> Any:
    return i18n.translations(_lang(context), "dashboard")


@pass_context
def _gettext(context: Context, message: str) -> str:
    return str(_translations(context).gettext(message))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return str(_translations(context).ngettext(singular, plural, n))


environment = Environment(
    loader=PackageLoader("townhall.dashboard", "templates"),
    autoescape=True,  # every template, whatever its name: user text is escaped unless we mark it safe
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
environment.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
environment.filters.update(
    ago=_ago,
    when=_when,
    iso=_iso,
    percent=_percent,
    score=_score,
    number=_number,
    signal=_signal,
    level=_level,
    status=_status,
    role=_role,
    readable=_readable,
    actor_kind=_word_filter(labels.ACTOR_KINDS),
    author_kind=_word_filter(labels.AUTHOR_KINDS),
    event=_word_filter(labels.EVENTS),
    delivery=_word_filter(labels.DELIVERY_STATES),
    word_list=_word_filter(labels.WORD_LISTS),
    erasure_mode=_word_filter(labels.ERASURE_MODES),
    kinds=_kinds,
    reason=_reason,
    message=_message,
)


@cache
def script_messages(lang: str) -> dict[str, str]:
    """dashboard.js's strings (marked ``t('…')``) in ``lang``, for the page to hand to the script."""
    if lang == i18n.DEFAULT:
        return {}
    path = Path(__file__).parent / "static" / "dashboard.js"
    found = extract_from_file("javascript", str(path), keywords={"t": None})
    translations = i18n.translations(lang, "dashboard")
    ids = {msg for _line, msg, _comments, _context in found if isinstance(msg, str)}
    return {msgid: str(translations.gettext(msgid)) for msgid in sorted(ids)}


def _nav(session: Session | None) -> list[tuple[str, str, str]]:
    if session is None:
        return []
    role = session.user.role
    items = []
    if role in QUEUE:
        items.append(("queue", f"{PREFIX}/queue/held", N_("Queues")))
    items += [("stories", f"{PREFIX}/stories", N_("Stories")), ("stats", f"{PREFIX}/stats", N_("Stats"))]
    if role in SETTINGS:
        items.append(("settings", f"{PREFIX}/settings", N_("Settings")))
    if role in ADMIN and not session.user.sites:
        items.append(("users", f"{PREFIX}/users", N_("Users")))
        items.append(("readers", f"{PREFIX}/readers", N_("Readers' data")))
        items.append(("webhooks", f"{PREFIX}/webhooks", N_("Webhooks")))
    items.append(("account", f"{PREFIX}/account", N_("Account")))
    return items


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a dashboard page with the layout's context (user, CSRF token, navigation, flash)."""
    session: Session | None = getattr(request.state, "session", None)
    services = services_of(request)
    # A limited account's counts are its own site's (the guard gave every request a site).
    scoped = request.query_params.get("site") if session is not None and session.user.sites else None
    waiting = services.queue.counts(scoped) if session is not None and session.user.role in QUEUE else None
    done = request.query_params.get("done", "")
    lang = lang_of(request)
    translations = i18n.translations(lang, "dashboard")
    # A fixed title is a msgid; (msgid, params) names something (a site, an author) in it. A story's
    # title has no translation and stays as it is.
    title = context.get("title")
    if isinstance(title, tuple):
        context["title"] = say.translate(lang, title[0], title[1])
    elif title:
        context["title"] = str(translations.gettext(title))
    base = {
        "lang": lang,
        "request": request,
        "user": session.user if session else None,
        "csrf": session.csrf_token if session else "",
        "nav": _nav(session),
        "section": "",
        "waiting": waiting,
        "flash": translations.gettext(FLASH[done]) if done in FLASH else "",
        "prefix": PREFIX,
        "now": services.queue.clock(),
        "title": "",
        "script_messages": script_messages(lang),
    }
    html = environment.get_template(template).render({**base, **context})
    return HTMLResponse(html, status_code=status_code, headers=NO_STORE)


NO_STORE = {"Cache-Control": "no-store"}
