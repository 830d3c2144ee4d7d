"""What a moderator reads about a comment the models could not check: the reasons and the shipped
abuse list's marks, in the staff member's language (the language named in theirs too)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.conftest import ORIGIN
from tests.dashboard.conftest import Dashboard
from townhall.dashboard import labels
from townhall.dashboard.evidence import marks_for
from townhall.dashboard.settings import form_values, parse_form
from townhall.models import Site, SiteSettings
from townhall.services.queue import SignalReading
from townhall.types import Role

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


# What the models stored for a German comment: toxicity abstained (with the language's code), spam
# read it without its text model (its sentence names the language in English), and an off-topic
# reading from an import with a code CLDR does not know, markup and all.
ABSTAINED = {
    "toxicity": {
        "score": None,
        "version": "toxicity-lr-2",
        "evidence": {"language": "de", "not_checked": "written in German, which the model does not know"},
    },
    "spam": {
        "score": 0.05,
        "version": "spam-2",
        "evidence": {
            "not_checked": "written in German, which the text model does not know",
            "model_score": None,
        },
    },
    "off_topic": {
        "score": None,
        "version": "off-topic-minilm-3",
        "evidence": {
            "language": "<b>qq</b>",
            "not_checked": "written in <b>qq</b>, which the model does not know",
        },
    },
}


@pytest.mark.parametrize(
    ("lang", "language", "not_checked", "partly"),
    [
        ("en", "German", "written in German, which the model does not know", "the text model does not"),
        ("de", "Deutsch", "auf Deutsch geschrieben, das das Modell nicht kennt", "das Textmodell nicht"),
        ("fr", "allemand", "écrit en allemand, que le modèle ne connaît pas", "le modèle de texte ne"),
    ],
)
def test_the_details_panel_says_why_a_signal_did_not_read_the_comment_in_the_moderators_language(
    dashboard: Dashboard, lang: str, language: str, not_checked: str, partly: str
) -> None:
    comment_id = dashboard.comment.id
    with dashboard.services.storage.write() as tx:
        tx.comments.update(comment_id, verdict={"decision": "publish", "reasons": [], "signals": ABSTAINED})
    page = dashboard.client.get(
        f"/admin/comments/{comment_id}?lang={lang}", headers=dashboard.cookie(Role.MODERATOR)
    )
    assert page.status_code == 200
    html = page.text
    signals = html[html.index('class="d-signals"') : html.index('class="d-context"')]
    details = re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", signals)
    values = [value for _key, value in details]
    assert language in values, details  # the name in the moderator's language, not "de"
    assert "de" not in values
    assert not_checked in values, details
    assert any(partly in value for value in values), details  # spam's sentence: English name only
    # A code CLDR does not know is shown as stored, escaped like any text from the database.
    assert "&lt;b&gt;qq&lt;/b&gt;" in signals and "<b>qq</b>" not in signals


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "22 decisions were left out: their comments are in a language the models do not read."),
        ("de", "22 Entscheidungen wurden ausgelassen"),
        ("fr", "22 décisions ont été laissées de côté"),
    ],
)
def test_a_recalibration_says_how_many_decisions_it_left_out_for_their_language(
    dashboard: Dashboard, lang: str, expected: str
) -> None:
    page = dashboard.client.get(
        f"/admin/stats?site=ledger&calibration=too_few&decisions=0&unread=22&lang={lang}",
        headers=dashboard.cookie(Role.ADMIN),
    )
    assert page.status_code == 200
    assert expected in page.text
