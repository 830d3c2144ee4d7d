"""What a moderator reads about a comment the models could not check: the reasons and the shipped
abuse list's marks, in the staff member's language (the language named in theirs too)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import ORIGIN
from townhall.dashboard import labels
from townhall.dashboard.evidence import marks_for
from townhall.dashboard.settings import form_values, parse_form
from townhall.models import Site, SiteSettings
from townhall.services.queue import SignalReading

NOT_CHECKED = "toxicity not checked: written in German, which the model does not know"
PARTLY = "spam partly checked: written in German, which the text model does not know"
HELD = "held: written in Spanish, which the models do not know (the site's setting)"


@pytest.mark.parametrize(
    ("lang", "reason", "expected"),
    [
        ("en", NOT_CHECKED, NOT_CHECKED),
        ("de", NOT_CHECKED, "nicht geprüft: auf Deutsch geschrieben"),
        ("fr", NOT_CHECKED, "non vérifié : écrit en allemand"),
        ("fr", PARTLY, "vérifié en partie : écrit en allemand"),
        ("de", HELD, "zurückgehalten: auf Spanisch geschrieben"),
    ],
)
def test_not_checked_reasons_name_the_language_in_the_moderators_language(
    lang: str, reason: str, expected: str
) -> None:
    assert expected in labels.reason(lang, reason)


def test_a_match_on_the_shipped_abuse_list_is_marked_as_ours_not_the_sites() -> None:
    text = "Der Verkehrsdezernent ist ein Arschloch."
    start = text.index("Arschloch")
    match = {
        "word": "Arschloch",
        "list": "abuse",
        "language": "de",
        "start": start,
        "end": start + 9,
        "text": "Arschloch",
    }
    reading = SignalReading("words", 0.5, {"matches": [match]}, "words-1", True)
    [mark] = marks_for(text, [reading], "fr")
    assert mark.kind == "words-suspect"
    assert mark.label == "sur la liste d'injures en allemand de Townhall : Arschloch"


def test_the_settings_form_carries_the_choice_for_other_languages() -> None:
    site = Site("ledger", "The Ledger", (ORIGIN,), SiteSettings(), None, datetime.now(UTC))
    assert form_values(site)["unknown_language"] == "publish"
    _origins, changes, _errors = parse_form({"origins": ORIGIN, "unknown_language": "hold"}, site)
    assert changes["unknown_language"] == "hold"
