"""The pre-submit check with the real models: asks in plain words, never stores anything."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import ORIGIN
from townhall.demo.content import load as load_demo
from townhall.services import Services
from townhall.services.identity import guest
from townhall.storage.schema import authors, comments

BUS = f"{ORIGIN}/news/night-bus-pilot"
SLUGS = ("night-bus-pilot", "flood-barrier-delay", "mayor-expenses-inquiry")
OFF_TOPIC = (
    "The mayor should explain the expenses claims from her trip to the twin town conference "
    "before anyone trusts her with another budget, instead of hiding behind her deputy."
)
HOSTILE = "These idiots at the council couldn't run a bath, every one of them is a liar."
ON_TOPIC = "A night bus from the hospital every forty minutes is a real help for shift workers."


def _rows(services: Services) -> tuple[int, int]:
    with services.storage.engine.connect() as c:
        counted = [c.execute(select(func.count()).select_from(t)).scalar_one() for t in (comments, authors)]
    return counted[0], counted[1]


def test_the_check_asks_in_plain_words_and_stores_nothing(moderated: Services) -> None:
    site = moderated.sites.add("ledger", "The Ledger", [ORIGIN])
    for article in load_demo()[0]:
        if article.slug in SLUGS:
            fields = {"title": article.title, "text": article.text.strip()}
            moderated.stories.push(site, f"{ORIGIN}/news/{article.slug}", fields, "test")
    assert not moderated.nudge.check(site, BUS, OFF_TOPIC).ask  # the site has not turned it on

    site = moderated.sites.update_settings(site.id, {"nudge": True})
    before = _rows(moderated)
    off = moderated.nudge.check(site, BUS, OFF_TOPIC)
    assert off.ask and off.concerns == ("off_topic",)
    assert off.question.startswith("This doesn't seem to be about this story")
    assert "night bus" in off.evidence[0] and not any(ch.isdigit() for ch in off.evidence[0])  # no scores
    hostile = moderated.nudge.check(site, BUS, HOSTILE)
    assert "toxicity" in hostile.concerns and "“idiots”" in " ".join(hostile.evidence)
    assert not moderated.nudge.check(site, BUS, ON_TOPIC).ask
    assert not moderated.nudge.check(site, f"{ORIGIN}/news/never-seen", OFF_TOPIC).ask
    assert _rows(moderated) == before  # no comment, no author
    # Nor does the spam signal remember it: the same text posted now is no near-duplicate.
    posted = moderated.comments.post(site, BUS, OFF_TOPIC, guest("Colin", None, "colin", "s"))
    spam = moderated.comments.get(posted.comment.id).verdict["signals"]["spam"]  # type: ignore[index]
    assert spam["evidence"]["duplicate_of"] is None
