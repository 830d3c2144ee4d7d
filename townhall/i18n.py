"""Message catalogues: English in the code, German and French in ``locale/<lang>/LC_MESSAGES/*.po``.

The .po files are read with Babel once per process (no compile step, so an editable or a wheel
install works the same) and turned into gettext translations in memory. Two domains:
``widget`` (the strings in embed.js, served to the browser as JSON, one language at a time) and
``messages`` (what the server itself says to readers: errors, moderation notes, e-mails) and
``dashboard`` (the moderators' pages, so far their frame: navigation, sign-in, notices).
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.core import negotiate_locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DEFAULT = "en"
LANGUAGES = ("en", "de", "fr")  # English is the source language: its catalogue is the code itself
DOMAINS = ("widget", "messages", "dashboard")


def _po(lang: str, domain: str) -> Catalog | None:
    path = resources.files(__package__).joinpath("locale", lang, "LC_MESSAGES", f"{domain}.po")
    if not path.is_file():
        return None
    with path.open("rb") as fp:
        return read_po(fp, locale=lang, domain=domain)


@cache
def catalog(lang: str, domain: str) -> Catalog | None:
    """The parsed .po file, or None for English (and for a language without one)."""
    return None if lang == DEFAULT else _po(lang, domain)


@cache
def translations(lang: str, domain: str = "messages") -> NullTranslations:
    """gettext/ngettext for one language; English (or an unknown language) returns the msgids."""
    cat = catalog(lang, domain)
    if cat is None:
        return NullTranslations()
    buf = io.BytesIO()
    write_mo(buf, cat, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=domain)


def negotiate(*wanted: str | None) -> str:
    """The best language we have for the given choices, first one first.

    Each choice is a language tag (``de``, ``de-CH``) or an Accept-Language header value
    (``fr-CH, fr;q=0.9, en;q=0.8``); anything unknown or malformed falls through to English.
    """
    for value in wanted:
        for tag in _tags(value or ""):
            found = negotiate_locale([tag, tag.split("_")[0]], LANGUAGES, sep="_")
            if found:
                return found
    return DEFAULT


def _tags(header: str) -> list[str]:
    """Accept-Language → tags, highest quality first (q=0 means "not this one")."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        tag = tag.strip().replace("-", "_").lower()
        if tag and q > 0 and len(tag) <= 35 and tag != "*":
            ranked.append((-q, i, tag))
    return [tag for _, _, tag in sorted(ranked)]


def plural_tags(lang: str) -> list[str]:
    """CLDR plural categories in gettext order (msgstr[0], [1], …), as Babel writes Plural-Forms."""
    try:
        rule = Locale.parse(lang).plural_form
    except (UnknownLocaleError, ValueError):
        return ["one", "other"]
    order = ("zero", "one", "two", "few", "many", "other")
    return [tag for tag in order if tag in rule.tags or tag == "other"]


@cache
def widget_messages(lang: str) -> dict[str, Any]:
    """The widget's catalogue for one language, as embed.js reads it.

    ``{"lang": "de", "messages": {msgid: text, plural msgid: {"one": …, "other": …}}}``; the
    browser picks a plural form with ``Intl.PluralRules``, so forms are keyed by CLDR category.
    """
    cat = catalog(lang, "widget")
    out: dict[str, Any] = {}
    if cat is not None:
        tags = plural_tags(lang)
        for msg in cat:
            if not msg.id or msg.fuzzy or not msg.string:
                continue
            if msg.pluralizable:
                forms = list(msg.string)
                if all(forms):
                    out[msg.id[0]] = {tag: forms[min(i, len(forms) - 1)] for i, tag in enumerate(tags)}
            else:
                out[str(msg.id)] = msg.string
    return {"lang": lang if cat is not None else DEFAULT, "messages": out}


def N_(message: str) -> str:
    """Marks a msgid said later (a constant, a field's note) for `make messages`; returns it as is."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - named like N_, its plural twin
    """Marks a plural pair said later with a count (``ngettext``) for `make messages`."""
    return singular, plural


def gettext(lang: str, message: str, **values: Any) -> str:
    """``message`` in ``lang``, with ``{name}`` placeholders filled in after translating."""
    text = translations(lang).gettext(message)
    return text.format(**values) if values else text


def ngettext(lang: str, singular: str, plural: str, n: int, **values: Any) -> str:
    text = translations(lang).ngettext(singular, plural, n)
    return text.format(n=n, **values)
