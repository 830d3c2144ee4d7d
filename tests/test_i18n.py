"""Message catalogues: every string the code marks has a German and a French translation with the
same placeholders, and the widget's catalogue is served one language at a time."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from babel.messages.extract import extract_from_file

from townhall import i18n, widget

ROOT = Path(i18n.__file__).parent
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _widget_msgids() -> list[str | tuple[str, str]]:
    path = ROOT / "widget" / "static" / "embed.js"
    found = extract_from_file("javascript", str(path), keywords={"t": None, "tn": (1, 2)})
    return [msg if isinstance(msg, str) else tuple(msg) for _line, msg, _comments, _ctx in found]


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_every_widget_string_is_translated_with_its_placeholders(lang: str) -> None:
    ids = _widget_msgids()
    assert len(ids) > 60  # the extraction found the widget's strings
    messages = i18n.widget_messages(lang)["messages"]
    for msgid in ids:
        key = msgid if isinstance(msgid, str) else msgid[0]
        assert key in messages, f"{lang}: no translation for {msgid!r}"
        forms = [messages[key]] if isinstance(msgid, str) else list(messages[key].values())
        for text in forms:
            assert text and set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(key)), (lang, key, text)
    extra = set(messages) - {m if isinstance(m, str) else m[0] for m in ids}
    assert not extra, f"{lang}: translations of strings the widget no longer has: {extra}"


def test_plural_forms_follow_cldr() -> None:
    assert i18n.widget_messages("de")["messages"]["{n} comment"] == {
        "one": "{n} Kommentar",
        "other": "{n} Kommentare",
    }
    assert i18n.widget_messages("fr")["messages"]["{n} comment"]["one"] == "{n} commentaire"


def test_language_negotiation() -> None:
    assert i18n.negotiate("de-CH") == "de"
    assert i18n.negotiate("es-ES, fr;q=0.8, de;q=0.9") == "de"
    assert i18n.negotiate("fr;q=0, de;q=0.1") == "de"
    assert i18n.negotiate(None, "fr-BE") == "fr"
    assert i18n.negotiate("pt") == "en"
    assert i18n.negotiate("x" * 500 + ";q=oops, ,;") == "en"


def test_one_language_is_served_and_it_is_small() -> None:
    de = i18n.widget_messages("de")
    assert de["lang"] == "de" and "Kommentare" in orjson.dumps(de).decode()
    assert "Commentaires" not in orjson.dumps(de).decode()
    assert i18n.widget_messages("en") == {"lang": "en", "messages": {}}
    for lang in ("de", "fr"):  # fetched beside embed.js, once, cached an hour
        assert len(gzip.compress(orjson.dumps(i18n.widget_messages(lang)), 9)) < 2048
    assert b"embed/i18n/" in widget.served("embed.js")


def _message_msgids() -> list[str]:
    """What `make messages` extracts for the server's reader messages (townhall/locale/messages.cfg)."""
    keywords: dict[str, Any] = dict.fromkeys(("N_", "gettext", *ERROR_CLASSES))
    keywords["say"] = (2,)
    cfg = (ROOT / "locale" / "messages.cfg").read_text()
    paths = re.findall(r"^\[python: townhall/(.+)\]$", cfg, flags=re.M)
    assert len(paths) > 5
    ids = []
    for path in paths:
        for _line, msg, _comments, _ctx in extract_from_file("python", str(ROOT / path), keywords=keywords):
            if msg:
                ids.append(msg if isinstance(msg, str) else msg[0])
    return ids


ERROR_CLASSES = ("Invalid", "NotFound", "Unauthorized", "Forbidden", "Conflict", "RateLimited", "TooLarge")


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_every_reader_message_is_translated_with_its_placeholders(lang: str) -> None:
    ids = _message_msgids()
    assert "Comments are closed." in ids and len(ids) > 50
    translations = i18n.translations(lang)
    for msgid in ids:
        text = translations.gettext(msgid)
        wordless = not re.search(r"[a-z]", PLACEHOLDER.sub("", msgid), flags=re.I)  # "{field}: {problem}"
        assert text != msgid or wordless, f"{lang}: no translation for {msgid!r}"
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(msgid)), (lang, msgid, text)


# spelled alike in de or fr
SAME_WORD = ("Name", "Webhooks", "Dashboard", "Signal", "Site", "Pages", "Spam", "Links:", "Details", "score")
SAME_WORD += ("Notes", "Actions", "Moderation", "URL", "URL (https://…)", "Sites")
SAME_WORD += ("%(when)s: %(count)s", "signal", "article", "Webhooks · {site}")
PERCENT = re.compile(r"%\((\w+)\)s")  # a dashboard string's placeholders


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_every_marked_dashboard_string_is_translated(lang: str) -> None:
    from babel.messages.pofile import read_po

    pot = ROOT / "locale" / "dashboard.pot"
    with pot.open("rb") as fp:
        messages = [m for m in read_po(fp) if m.id]
    ids = [m.id for m in messages if isinstance(m.id, str)]
    assert "Sign in" in ids and "Settings saved." in ids
    translations = i18n.translations(lang, "dashboard")
    for msgid in ids:
        text = translations.gettext(msgid)
        assert text != msgid or msgid in SAME_WORD, msgid
        assert set(PERCENT.findall(text)) == set(PERCENT.findall(msgid)), (lang, msgid, text)
    for singular, plural in (m.id for m in messages if isinstance(m.id, tuple)):
        for n in (1, 2, 5, 1_000_000):  # French has a third form (millions) in Babel's rule
            text = translations.ngettext(singular, plural, n)
            assert text not in (singular, plural), (lang, singular, n)
            assert set(PERCENT.findall(text)) <= set(PERCENT.findall(plural)), (lang, plural, text)
