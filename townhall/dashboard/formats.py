"""Dates and numbers in the staff member's language, with Babel (CLDR's patterns, not ours).

Times are shown in UTC, and say so: sites have no time zone setting, and one page can list
several sites.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from babel import Locale
from babel.dates import format_datetime, format_skeleton
from babel.numbers import format_decimal, parse_pattern

from townhall import i18n


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang if lang in i18n.LANGUAGES else i18n.DEFAULT)


@cache
def _when_pattern(lang: str) -> str:
    """The language's medium date and short time (no seconds), joined its own way, then UTC."""
    locale = _locale(lang)
    date = locale.date_formats["medium"].pattern
    time = locale.time_formats["short"].pattern
    joined = str(locale.datetime_formats["medium"]).replace("{1}", date).replace("{0}", time)
    return f"{joined} 'UTC'"


def format_when(value: datetime | str | None, lang: str) -> str:
    """A moment as the language writes it, in UTC: "Dec 4, 2026, 4:40 PM UTC", "04.12.2026, 16:40 UTC".
    Some records keep their time as ISO text; anything that is not a time is shown as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return text
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value, _when_pattern(lang), tzinfo=UTC, locale=_locale(lang))


def format_day(value: datetime, lang: str) -> str:
    """A day without its year, for a chart's axis: "Dec 4", "4. Dez.", "4 déc."."""
    return format_skeleton("MMMd", value, tzinfo=UTC, locale=_locale(lang))


def format_hour(value: datetime, lang: str) -> str:
    """An hour of the day, for a chart's axis: "16:00"."""
    return format_skeleton("Hm", value, tzinfo=UTC, locale=_locale(lang))


def format_number(value: float | None, lang: str) -> str:
    """A count with the language's grouping: 12,345 · 12.345 · 12 345."""
    return "–" if value is None else format_decimal(value, locale=_locale(lang))


def format_share(value: float | None, lang: str, digits: int = 0) -> str:
    """A share (0.125) as the language writes a percentage, with ``digits`` decimals: 12.5% · 12,5 %."""
    if value is None:
        return "–"
    pattern = parse_pattern(_locale(lang).percent_formats[None].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern.apply(value, _locale(lang))


def format_score(value: object, lang: str) -> str:
    """A model score (0 to 1) with two decimals: 0.83 · 0,83."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "–"
    pattern = parse_pattern("0.00")
    return pattern.apply(float(value), _locale(lang))
