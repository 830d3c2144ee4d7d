"""A refusal in the staff member's language.

Services stay language-free: they raise errors carrying an English msgid and its parameters
(``TownhallError.template`` and ``.params``, with ``{name}`` placeholders). The dashboard says
them here, through its own catalogue (``dashboard.po``), with Python's ``str.format`` after
translating — never Jinja's ``_()``, whose %-formatting broke on a "%" in a message.
"""

from __future__ import annotations

from collections.abc import Mapping

from townhall import i18n
from townhall.errors import TownhallError


def translate(lang: str, template: str, params: Mapping[str, object] | None = None) -> str:
    """``template`` (a msgid) in ``lang``, its ``{name}`` placeholders filled in after translating."""
    text = str(i18n.translations(lang, "dashboard").gettext(template))
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):  # a translation with other placeholders: say it in English
        return template.format(**params)


def sentence(text: str) -> str:
    """Services write notes in lower case without a full stop; a page shows them as a sentence."""
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."


def refusal(lang: str, exc: TownhallError) -> str:
    """What a page says when a service refused: the error's message as a sentence in ``lang``."""
    return sentence(translate(lang, exc.template, exc.params))


def field_notes(lang: str, exc: TownhallError) -> dict[str, str]:
    """The error's notes per field, in ``lang`` (a note without a translation stays as written)."""
    return {name: translate(lang, note) for name, note in exc.fields.items()}
