"""Comments the English models cannot read: a German newsroom's, through the comment service.

The models learned English only; on a German comment they abstain and the verdict says so in
words, Townhall's short German abuse list still holds, and the site chooses whether comments in
other languages are published (the default) or held.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import ORIGIN
from tests.moderation.test_warmup import CountingEmbedder
from townhall.errors import Invalid
from townhall.models import Site, SiteSettings
from townhall.moderation.language import Detector
from townhall.moderation.pipeline import Models, Pipeline
from townhall.moderation.signals.off_topic import OffTopicSignal
from townhall.moderation.signals.spam import SpamSignal
from townhall.moderation.signals.toxicity import ToxicitySignal
from townhall.moderation.verdict import ModerationRequest, SiteContext, StoryText
from townhall.services import Services
from townhall.services.identity import guest
from townhall.types import CommentStatus

STORY = f"{ORIGIN}/lokales/strassenbahn"
TITLE = "Stadtrat beschließt neue Straßenbahnlinie durch die Weststadt"
TEXT = (
    "Der Stadtrat hat am Dienstagabend mit knapper Mehrheit den Bau der Straßenbahnlinie 7 beschlossen. "
    "Die neue Linie soll ab 2029 den Hauptbahnhof mit der Weststadt verbinden. Für die Trasse müssen in "
    "der Lindenallee 64 Bäume gefällt werden; eine Bürgerinitiative kündigte eine Klage an."
)
CIVIL = "Schade um die Linden. Gibt es schon einen Plan, wo die Ersatzbäume gepflanzt werden?"
ABUSIVE = "Der Verkehrsdezernent ist ein Arschloch, der unser Geld verbrennt."


@pytest.fixture
def site(moderated: Services) -> Site:
    site = moderated.sites.add("zeitung", "Die Zeitung", [ORIGIN])
    site = moderated.sites.update_settings(site.id, {"language": "de"})
    moderated.stories.push(site, STORY, {"title": TITLE, "text": TEXT}, "test")
    return site


def _post(services: Services, site: Site, body: str, name: str = "Anna"):  # type: ignore[no-untyped-def]
    return services.comments.post(site, STORY, body, guest(name, None, f"reader-{name}", "s"))


def test_a_civil_german_comment_under_a_german_story_is_published_and_says_what_was_not_checked(
    moderated: Services, site: Site
) -> None:
    posted = _post(moderated, site, CIVIL)
    assert posted.comment.status is CommentStatus.PUBLISHED
    verdict = moderated.comments.get(posted.comment.id).verdict
    assert verdict is not None
    assert "toxicity not checked: written in German, which the model does not know" in verdict["reasons"]
    assert "off_topic not checked: written in German, which the model does not know" in verdict["reasons"]
    for name in ("toxicity", "off_topic"):
        signal = verdict["signals"][name]
        assert signal["score"] is None and signal["evidence"]["language"] == "de"
    # The spam rules (links, duplicates) still ran; only its English text model did not.
    assert verdict["signals"]["spam"]["score"] is not None
    assert verdict["signals"]["spam"]["evidence"]["model_score"] is None


def test_an_abusive_german_comment_with_a_listed_word_is_held(moderated: Services, site: Site) -> None:
    posted = _post(moderated, site, ABUSIVE, "Bernd")
    assert posted.comment.status is CommentStatus.HELD
    verdict = moderated.comments.get(posted.comment.id).verdict
    assert verdict is not None
    [match] = verdict["signals"]["words"]["evidence"]["matches"]
    assert match["list"] == "abuse" and match["language"] == "de" and match["text"] == "Arschloch"
    assert "words 0.50 ≥ hold threshold 0.50" in verdict["reasons"]


def test_a_name_on_a_german_site_meets_the_german_list(moderated: Services, site: Site) -> None:
    posted = moderated.comments.post(site, STORY, CIVIL, guest("Hurensohn", None, "reader-h", "s"))
    assert posted.comment.status is CommentStatus.HELD
    verdict = moderated.comments.get(posted.comment.id).verdict
    assert verdict is not None and verdict["signals"]["name"]["evidence"]["words"] == ["Hurensohn"]


def test_the_german_list_is_not_applied_to_english_comments(moderated: Services, site: Site) -> None:
    # "Spast" is on the German list; an English comment is read by the English models instead.
    posted = _post(
        moderated, site, "The Spast family from the Weststadt runs the bakery by the new tram stop."
    )
    verdict = moderated.comments.get(posted.comment.id).verdict
    assert verdict is not None and verdict["signals"]["words"]["evidence"]["matches"] == []
    assert verdict["signals"]["toxicity"]["score"] is not None


def test_a_site_can_hold_comments_in_languages_the_models_do_not_know(
    moderated: Services, site: Site
) -> None:
    moderated.sites.update_settings(site.id, {"unknown_language": "hold"})
    site = moderated.sites.get(site.id)
    posted = _post(moderated, site, CIVIL)
    assert posted.comment.status is CommentStatus.HELD
    assert "automatic checks cannot read" in posted.message
    verdict = moderated.comments.get(posted.comment.id).verdict
    assert verdict is not None
    assert any("written in German, which the models do not know" in r for r in verdict["reasons"])
    english = _post(
        moderated, site, "Good news for the Weststadt: the tram is cheaper to run than buses.", "Cem"
    )
    assert english.comment.status is CommentStatus.PUBLISHED


def test_unknown_language_takes_publish_or_hold_only(moderated: Services, site: Site) -> None:
    with pytest.raises(Invalid):
        moderated.sites.update_settings(site.id, {"unknown_language": "translate"})
    assert moderated.sites.get(site.id).settings.unknown_language == "publish"


@pytest.mark.parametrize(
    "text",
    [
        "Bravo Mr. Simpson!",
        "Go Ezra Go!",
        "Viva La France Libre .",
        "Flanagan = CPC",
        "What a terrible article.",
        "The Weststadt tram: 180 million euros for line 7.",
        # An English insult behind a German paragraph is read by the English models all the same.
        "You are a lying idiot and everyone here knows it. Der Stadtrat hat am Dienstagabend mit knapper "
        "Mehrheit den Bau der Straßenbahnlinie 7 beschlossen, die Bäume in der Lindenallee werden gefällt.",
    ],
)
def test_short_or_mixed_english_stays_english(text: str) -> None:
    # Reading English as another language would switch its checks off: English must be all but
    # ruled out before a comment counts as written in another language.
    assert _DETECTOR.detect(text).code == "en"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (CIVIL, "de"),
        ("Une amende de 1 500 euros, c'est dissuasif, mais qui va contrôler ?", "fr"),
        ("¿Alguien sabe a qué hora sale ahora el último ferry a las islas?", "es"),
    ],
)
def test_comments_in_other_languages_are_read_as_such(text: str, code: str) -> None:
    assert _DETECTOR.detect(text).code == code


_DETECTOR = Detector()


def test_a_comment_the_models_cannot_read_is_not_encoded(models: Models) -> None:
    """The encoder is most of a post's moderation time; a German newsroom's post skips it."""
    counting = CountingEmbedder(models.embedder)
    off_topic = OffTopicSignal(counting, background=[])  # type: ignore[arg-type]
    fresh = Models(counting, ToxicitySignal.load(vectors=off_topic.vectors), off_topic, SpamSignal())  # type: ignore[arg-type]
    site = SiteContext(id="zeitung", settings=SiteSettings(language="de"))
    story = StoryText(key="tram", title=TITLE, text=TEXT)
    now = datetime.now(UTC)
    german, english = Pipeline(fresh).assess_many(
        [
            ModerationRequest(site, story, CIVIL, now),
            ModerationRequest(site, story, "Sad about the lime trees, but the tram is worth it.", now),
        ]
    )
    assert german.signals["toxicity"]["score"] is None and english.signals["toxicity"]["score"] is not None
    assert CIVIL not in counting.texts
    assert "Sad about the lime trees, but the tram is worth it." in counting.texts
