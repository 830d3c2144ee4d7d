"""The whole moderation flow with the real models, through the comment service, on both databases."""

from __future__ import annotations

import pytest

from tests.conftest import ORIGIN
from townhall.demo.content import load as load_demo
from townhall.models import Site
from townhall.services import Services
from townhall.services.identity import guest
from townhall.types import ActorKind, CommentStatus, Decision, ModerationMode

BUS = f"{ORIGIN}/news/night-bus-pilot"
OTHER_STORY = (
    "The mayor should explain the expenses claims from her trip to the twin town conference "
    "before anyone trusts her with another budget, instead of hiding behind her deputy."
)
HOSTILE = (
    "These idiots at the council couldn't run a bath. Everyone knows they pocket the money and lie about it."
)


@pytest.fixture
def site(moderated: Services) -> Site:
    """The demo's stories (our own sample text), pushed with their text as a publisher would."""
    site = moderated.sites.add("ledger", "The Ledger", [ORIGIN])
    articles, _comments = load_demo()
    for article in articles:
        fields = {"title": article.title, "text": article.text, "published_at": article.published}
        moderated.stories.push(site, f"{ORIGIN}/news/{article.slug}", fields, "test")
    return site


def _post(services: Services, site: Site, body: str, name: str = "Ana", **kwargs: object):  # type: ignore[no-untyped-def]
    return services.comments.post(site, BUS, body, guest(name, None, f"reader-{name}", "s"), **kwargs)  # type: ignore[arg-type]


def test_comment_about_another_story_is_held_with_the_nearest_passage(
    moderated: Services, site: Site
) -> None:
    _post(moderated, site, "Forty minutes between buses is a long wait in January.", "Gareth")
    posted = _post(moderated, site, OTHER_STORY, "Colin")
    assert posted.comment.status is CommentStatus.HELD
    assert "not be about this story" in posted.message
    verdict = moderated.comments.get(posted.comment.id).verdict
    assert verdict is not None
    off_topic = verdict["signals"]["off_topic"]
    assert off_topic["score"] >= 0.5
    article = next(a for a in load_demo()[0] if a.slug == "night-bus-pilot")
    passage = " ".join(off_topic["evidence"]["nearest_passage"].split())
    assert passage and passage[:60] in " ".join(article.text.split())
    assert any(reason.startswith("off_topic") for reason in verdict["reasons"])


def test_short_on_topic_reaction_is_published(moderated: Services, site: Site) -> None:
    for text in ("About time.", "Who pays for this?"):
        assert _post(moderated, site, text).comment.status is CommentStatus.PUBLISHED


def test_hostile_comment_is_scored_with_the_words_that_drove_it(moderated: Services, site: Site) -> None:
    posted = _post(moderated, site, HOSTILE, "Pete")
    verdict = moderated.comments.get(posted.comment.id).verdict
    assert verdict is not None
    toxicity = verdict["signals"]["toxicity"]
    assert toxicity["score"] >= 0.5
    spans = {span["text"].lower() for span in toxicity["evidence"]["spans"]}
    assert "idiots" in spans
    assert posted.comment.status is CommentStatus.HELD


def test_attack_on_a_person_is_held_and_strong_words_about_the_plan_are_published(
    moderated: Services, site: Site
) -> None:
    # neither has a swear word; one attacks a person, the other an idea (the night bus pilot)
    attack = "She is a disgrace and should be ashamed to show her face at council."
    criticism = "What an absurd decision. Forty minutes between night buses is shameful in January."
    held = _post(moderated, site, attack, "Pete")
    assert held.comment.status is CommentStatus.HELD
    verdict = moderated.comments.get(held.comment.id).verdict
    assert verdict is not None and any(r.startswith("toxicity") for r in verdict["reasons"])
    assert _post(moderated, site, criticism, "Ana").comment.status is CommentStatus.PUBLISHED


def test_banned_word_rejects_and_suspect_word_holds_with_the_match(moderated: Services, site: Site) -> None:
    moderated.sites.update_settings(site.id, {"banned_words": ["grifter"], "suspect_words": ["scam"]})
    site = moderated.sites.get(site.id)
    rejected = _post(moderated, site, "The bus operator is run by a G.R.I.F.T.E.R, everyone knows.", "Ed")
    assert rejected.comment.status is CommentStatus.REJECTED
    words = moderated.comments.get(rejected.comment.id).verdict["signals"]["words"]  # type: ignore[index]
    assert words["evidence"]["matches"][0]["word"] == "grifter"
    held = _post(moderated, site, "Is the night bus pilot a sc4m to spend the parking surplus?", "Flo")
    assert held.comment.status is CommentStatus.HELD


def test_honeypot_and_shortened_links_are_spam(moderated: Services, site: Site) -> None:
    bot = _post(moderated, site, "Great article about the night bus.", "Bot", honeypot="http://spam.example")
    verdict = moderated.comments.get(bot.comment.id).verdict
    assert verdict is not None and verdict["signals"]["spam"]["evidence"]["honeypot"] is True
    assert bot.comment.status is CommentStatus.REJECTED


def test_pre_moderation_holds_an_innocent_comment(moderated: Services, site: Site) -> None:
    moderated.sites.update_settings(site.id, {"moderation_mode": ModerationMode.PRE.value})
    posted = _post(
        moderated,
        moderated.sites.get(site.id),
        "A night bus from the hospital every forty minutes is fine by me.",
    )
    assert posted.comment.status is CommentStatus.HELD
    assert "pre-moderation" in moderated.comments.get(posted.comment.id).verdict["reasons"]  # type: ignore[index]


def test_audit_trail_and_an_edit_is_reassessed(moderated: Services, site: Site) -> None:
    posted = _post(moderated, site, "Forty minutes between buses is too long in winter.", "Gareth")
    assert posted.comment.status is CommentStatus.PUBLISHED
    edited = moderated.comments.edit(posted.comment.id, posted.edit_token, HOSTILE)
    assert edited.comment.status is CommentStatus.HELD
    with moderated.storage.read() as tx:
        events = tx.comments.events(posted.comment.id)
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, CommentStatus.PUBLISHED),
        (CommentStatus.PUBLISHED, CommentStatus.HELD),
    ]
    assert events[1].actor_kind is ActorKind.SIGNAL and "toxicity" in events[1].reason
    assert edited.comment.verdict is not None and edited.comment.verdict["decision"] == Decision.HOLD.value


def test_story_representation_is_computed_once_and_stored(moderated: Services, site: Site) -> None:
    _post(moderated, site, "Forty minutes between buses is a long wait.")
    story = moderated.stories.find(site, BUS)
    assert story is not None
    with moderated.storage.read() as tx:
        data, version = tx.stories.representation(story.id)
    assert data and version and len(version) == 32
