"""Learning from a site's moderators, with a simulated moderator on comments we wrote and labelled.

The Ledger's moderators welcome local tangents (other town matters under a story) and reject
hostility. The models, by default, hold the tangents as off-topic. After the moderators have
worked the held queue for a while, `calibrate` should agree with them more on comments it has
never seen; a reset returns to the defaults.
"""

from __future__ import annotations

import pytest

from tests.conftest import ORIGIN
from townhall.demo.content import load as load_demo
from townhall.models import Site
from townhall.moderation.policy import thresholds_for
from townhall.services import Services
from townhall.services.identity import guest
from townhall.types import CommentStatus

SLUGS = ("night-bus-pilot", "flood-barrier-delay", "mayor-expenses-inquiry")

# Posted under the night bus story. True: the moderators would reject it.
TANGENTS = [
    "The flood barrier on Quay Street is a year late and nobody at the agency seems to care.",
    "Sandbags again this winter for the shops by the river, while the barrier sits half built.",
    "The mayor's trip to the twin town conference needs a proper inquiry with every receipt published.",
    "Our flood insurance premium rose by a third after the last storm surge came up the quay.",
    "Why did the clay under the river bed surprise engineers who surveyed it three years ago?",
    "The expenses inquiry should ask who signed off the hotel bills for the deputy mayor.",
    "The harbour library reopening was lovely, the children's room is full every Saturday.",
    "Shops on Quay Street need help with insurance until the barrier finally opens.",
    "Publish the mayor's diary for the conference week and let voters judge for themselves.",
    "The agency blamed the clay, then the contractor, and now the weather for the barrier delay.",
    "Nobody has explained why the conference needed six councillors instead of one.",
    "The riverside flats flooded twice last year and the barrier was meant to stop exactly that.",
    "The library cafe by the harbour deserves a mention, best scones in Larkford.",
    "A councillor told me the expenses rules were rewritten after the last scandal, clearly not enough.",
    "The quay wall repairs were promised before the barrier and have not started either.",
    "Will the inquiry into the mayor's claims report before the budget vote in March?",
    "Flood wardens on the estates did a brilliant job during the last storm, thank them.",
    "The twin town visit cost more than the whole youth club budget for a year.",
    "The Environment Agency should publish the barrier's revised cost and timetable.",
    "Council tax went up again while the mayor's office spent freely on travel.",
    "The new harbour footbridge is still closed after the autumn storms.",
    "Quay Street traders are organising a meeting about the barrier delay next week.",
    "Councillors voting on their own expenses rules is the real problem here.",
    "The river gauge readings online are a useful tool when the tide is high.",
]
HOSTILE = [
    "These idiots at the council couldn't run a bath, every one of them is a liar and a thief.",
    "Anyone who rides a night bus is a drunk or a loser, pathetic waste of our money.",
    "Shut up you morons, the council are corrupt scum and so are the fools defending them.",
    "What a stupid pilot from a useless bunch of clowns, they should all be sacked today.",
    "The driver's union are greedy parasites and anyone who backs them is an idiot.",
    "You are all brainless sheep if you believe a word this rotten council says.",
    "Disgusting lazy councillors, I hope they all lose their seats and their pensions.",
    "Only a complete moron would wait forty minutes for a filthy bus at 2am.",
    "The transport committee are a pack of lying weasels and cowards.",
    "Idiotic scheme dreamed up by halfwits who have never worked a night shift.",
    "Typical of this incompetent rabble, stupid plan, stupid people, stupid town.",
    "Get lost you whining fools, nobody cares about your pathetic bus.",
]
ON_TOPIC = [
    "Forty minutes between buses is a long wait in January, twenty would be better on weekends.",
    "I finish at the hospital at half past one, so a night bus from there is very welcome.",
    "Two buses keep the pilot cheap, but will the timetable meet the last trains at the station?",
    "The parking surplus paying for the night bus seems fair if the pilot is reviewed in June.",
    "Will the night bus stop at the northern estates or only on the main road?",
    "A six month pilot is sensible, let's see the ridership figures before extending it.",
    "Night workers at the hospital have asked for this for years, good to see it happen.",
    "The bus should run every night, not just on weekdays, if it is meant for shift workers.",
]


def _labelled(learn: bool) -> list[tuple[str, bool]]:
    """Two thirds of each kind to learn from, the other third to measure on."""

    def part(texts: list[str]) -> list[str]:
        return [t for i, t in enumerate(texts) if (i % 3 != 2) == learn]

    return (
        [(t, False) for t in part(TANGENTS)]
        + [(t, True) for t in part(HOSTILE)]
        + [(t, False) for t in part(ON_TOPIC)]
    )


def _site(services: Services, site_id: str, origin: str = ORIGIN) -> Site:
    site = services.sites.add(site_id, site_id.title(), [origin])
    for article in load_demo()[0]:
        if article.slug in SLUGS:
            fields = {"title": article.title, "text": article.text.strip()}
            services.stories.push(site, f"{origin}/news/{article.slug}", fields, "test")
    return site


def _post_all(services: Services, site: Site, labelled: list[tuple[str, bool]]) -> list[tuple[int, bool]]:
    posted = []
    story = f"{site.origins[0]}/news/night-bus-pilot"
    for number, (text, bad) in enumerate(labelled):
        reader = guest(f"Reader {number}", None, f"{site.id}-{number}", "s")
        posted.append((services.comments.post(site, story, text, reader).comment.id, bad))
    return posted


def _agreement(services: Services, posted: list[tuple[int, bool]]) -> float:
    """Share of comments whose arrival (held or published) matches the label (bad or fine)."""
    held = [services.comments.get(i).status is not CommentStatus.PUBLISHED for i, _bad in posted]
    return sum(h == bad for h, (_i, bad) in zip(held, posted, strict=True)) / len(posted)


def test_moderators_decisions_recalibrate_the_site(moderated: Services) -> None:
    ledger = _site(moderated, "ledger")
    learned_from = _post_all(moderated, ledger, _labelled(learn=True))
    for comment_id, bad in learned_from:  # the simulated moderator works the held queue
        if moderated.comments.get(comment_id).status is CommentStatus.HELD:
            if bad:
                moderated.queue.reject(comment_id, "sim")
            else:
                moderated.queue.approve(comment_id, "sim")

    outcome = moderated.calibration.run("ledger", "test")
    assert outcome.recorded and outcome.result.decisions >= 20
    assert outcome.result.after is not None and outcome.result.before is not None
    assert outcome.result.after > outcome.result.before  # on the decisions it learned from
    assert outcome.after["off_topic"]["hold"] > outcome.before["off_topic"]["hold"]
    record = moderated.calibration.history("ledger")[0]
    assert record["kind"] == "calibrate" and record["decisions"] == outcome.result.decisions
    assert record["agreement_after"] == pytest.approx(outcome.result.after)

    # On comments neither site has seen: the calibrated Ledger against a twin site on defaults.
    unseen = _labelled(learn=False)
    calibrated = _agreement(moderated, _post_all(moderated, moderated.sites.get("ledger"), unseen))
    twin = _site(moderated, "twin", "https://twin.example")
    default = _agreement(moderated, _post_all(moderated, twin, unseen))
    assert calibrated > default

    moderated.calibration.reset("ledger", "test")
    site = moderated.sites.get("ledger")
    assert thresholds_for(site.settings)["off_topic"] == thresholds_for(twin.settings)["off_topic"]
    assert moderated.calibration.history("ledger")[0]["kind"] == "reset"
    assert moderated.calibration.head("ledger") is None
    print(f"agreement on unseen comments: defaults {default:.2f}, calibrated {calibrated:.2f}")


def test_too_few_decisions_change_nothing(moderated: Services) -> None:
    site = _site(moderated, "ledger")
    _post_all(moderated, site, _labelled(learn=True)[:3])
    outcome = moderated.calibration.run("ledger", "test")
    assert not outcome.recorded and outcome.result.after is None
    assert moderated.calibration.history("ledger") == []
    assert moderated.sites.get("ledger").settings.thresholds == {}
