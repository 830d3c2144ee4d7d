"""FastAPI's validation problems (a field of the wrong type, too long, missing) in the reader's words.

Pydantic describes each problem with a ``type`` and its context (``min_length``, ``le``, …); each
known type has a note here, in the ``messages`` catalogue, with named placeholders. A type not
listed says that the value is not valid, never pydantic's English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from townhall import i18n
from townhall.i18n import N_, NP_

NOT_VALID = N_("this value is not valid")

# pydantic error type -> note (with the context's values as placeholders)
NOTES: dict[str, str] = {
    "missing": N_("this field is required"),
    "string_type": N_("must be text"),
    "string_unicode": N_("must be text"),
    "int_type": N_("must be a whole number"),
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "float_type": N_("must be a number"),
    "float_parsing": N_("must be a number"),
    "bool_type": N_("must be true or false"),
    "bool_parsing": N_("must be true or false"),
    "list_type": N_("must be a list"),
    "dict_type": N_("must be an object"),
    "model_type": N_("must be an object"),
    "model_attributes_type": N_("must be an object"),
    "literal_error": N_("must be one of {expected}"),
    "enum": N_("must be one of {expected}"),
    "greater_than": N_("must be more than {gt}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than": N_("must be less than {lt}"),
    "less_than_equal": N_("must be at most {le}"),
    "string_pattern_mismatch": N_("is not in the expected form"),
    "extra_forbidden": N_("is not a field this request takes"),
    "datetime_type": N_("must be a date and time like 2026-12-01T18:00:00Z"),
    "datetime_parsing": N_("must be a date and time like 2026-12-01T18:00:00Z"),
    "datetime_from_date_parsing": N_("must be a date and time like 2026-12-01T18:00:00Z"),
    "timezone_aware": N_("must say its time zone, like 2026-12-01T18:00:00Z"),
    "url_type": N_("must be a URL"),
    "url_parsing": N_("must be a URL"),
}

# Types whose note counts something: (singular, plural), chosen by the context value ``count_key``.
COUNTED: dict[str, tuple[tuple[str, str], str]] = {
    "string_too_short": (
        NP_("must be at least {n} character long", "must be at least {n} characters long"),
        "min_length",
    ),
    "string_too_long": (
        NP_("must be at most {n} character long", "must be at most {n} characters long"),
        "max_length",
    ),
    "too_short": (NP_("must have at least {n} item", "must have at least {n} items"), "min_length"),
    "too_long": (NP_("must have at most {n} item", "must have at most {n} items"), "max_length"),
}

# The public API's fields as a reader knows them, for the message (the fields keep their API names).
FIELD_NAMES = {
    "body": N_("your comment"),
    "author_name": N_("your name"),
    "author_email": N_("your e-mail address"),
    "parent_id": N_("the comment you reply to"),
    "note": N_("your note"),
    "reason": N_("the reason"),
    "value": N_("the vote"),
    "url": N_("the page's address"),
    "site": N_("the site"),
}

# What the schemas' own validators say (schemas.py), so the reader reads it in their language.
OWN = (N_("must not contain NUL characters"), N_("must be 1 or -1"))


def field_name(loc: Iterable[object]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def note(lang: str, problem: Mapping[str, Any]) -> str:
    """One problem as a short note in ``lang`` ("must be a whole number")."""
    kind = str(problem.get("type", ""))
    context = {key: str(value) for key, value in (problem.get("ctx") or {}).items()}
    if "expected" in context:  # pydantic writes "'spam', 'abuse' or 'other'": keep the values only
        context["expected"] = ", ".join(re.findall(r"'([^']*)'", context["expected"])) or context["expected"]
    if kind in COUNTED:
        (singular, plural), key = COUNTED[kind]
        try:
            n = int(context.get(key, ""))
        except ValueError:
            return i18n.gettext(lang, NOT_VALID)
        return i18n.ngettext(lang, singular, plural, n)
    if kind == "value_error" and str(problem.get("ctx", {}).get("error", "")) in OWN:
        return i18n.gettext(lang, str(problem["ctx"]["error"]))
    template = NOTES.get(kind, NOT_VALID)
    try:
        return i18n.gettext(lang, template, **context) if "{" in template else i18n.gettext(lang, template)
    except (KeyError, IndexError, ValueError):
        return i18n.gettext(lang, NOT_VALID)


def fields_and_message(
    lang: str, problems: list[Mapping[str, Any]], readers: bool = True
) -> tuple[dict[str, str], str]:
    """Each bad field's note, and the message that names the first of them (as a reader knows it
    on the public routes; by its API name for integrators)."""
    fields: dict[str, str] = {}
    for problem in problems:
        fields.setdefault(field_name(tuple(problem.get("loc", ()))), note(lang, problem))
    name, first = next(iter(fields.items()))
    label = i18n.gettext(lang, FIELD_NAMES[name]) if readers and name in FIELD_NAMES else name
    return fields, i18n.gettext(lang, N_("{field}: {problem}"), field=label, problem=first)
