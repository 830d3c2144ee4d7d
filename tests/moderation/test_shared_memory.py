"""Spam memory is shared: two server processes (two storages, two pipelines on one database)
catch a copy and a flood exactly as one process would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import ORIGIN, FakeClock
from townhall.config import Settings
from townhall.models import Site
from townhall.moderation.pipeline import Models, Pipeline
from townhall.services import Services, build_services
from townhall.services.identity import guest
from townhall.storage import Storage
from townhall.types import CommentStatus

BUS = f"{ORIGIN}/news/night-bus"
FLOOD = f"{ORIGIN}/news/flood-barrier"
STORIES = {
    BUS: ("Council approves a night bus pilot", "A night bus will run every forty minutes from January."),
    FLOOD: (
        "Flood barrier delayed again",
        "The barrier on Quay Street will open a year late, the agency says.",
    ),
}
COPY = "Everyone who needs the night bus should read the pilot report before the council votes on it."


@pytest.fixture
def two_processes(
    storage: Storage, config: Settings, clock: FakeClock, models: Models
) -> Iterator[tuple[Services, Services, Site]]:
    other = Storage(storage.url)  # a second process: its own connections, caches and pipeline
    first = build_services(config, storage, "secret", moderator=Pipeline(models), clock=clock)
    second = build_services(config, other, "secret", moderator=Pipeline(models), clock=clock)
    site = first.sites.add("ledger", "The Ledger", [ORIGIN])
    for url, (title, text) in STORIES.items():
        first.stories.push(site, url, {"title": title, "text": text}, "test")
    yield first, second, site
    other.close()


def test_a_copy_posted_through_another_process_is_caught(
    two_processes: tuple[Services, Services, Site],
) -> None:
    first, second, site = two_processes
    original = first.comments.post(site, BUS, COPY, guest("Ann", None, "ann", "s"))
    assert original.comment.status is CommentStatus.PUBLISHED
    copy = second.comments.post(site, FLOOD, COPY, guest("Bob", None, "bob", "s"))
    spam = second.comments.get(copy.comment.id).verdict["signals"]["spam"]  # type: ignore[index]
    assert spam["evidence"]["duplicate_of"]["comment_id"] == str(original.comment.id)
    assert spam["evidence"]["duplicate_of"]["similarity"] == 1.0
    assert copy.comment.status is CommentStatus.HELD
    assert any(reason.startswith("spam") for reason in copy.comment.verdict["reasons"])  # type: ignore[index]
    # Its author edits it into something of their own: no longer a copy, and its own keys replace the old.
    edited = second.comments.edit(
        copy.comment.id, copy.edit_token, "The barrier delay is a scandal for Quay Street shops."
    )
    assert edited.comment.verdict["signals"]["spam"]["evidence"]["duplicate_of"] is None  # type: ignore[index]


def test_flooding_is_counted_across_processes(
    two_processes: tuple[Services, Services, Site], clock: FakeClock
) -> None:
    first, second, site = two_processes
    # Eight published comments would make Cy a trusted reader, who skips a borderline spam hold.
    first.sites.update_settings(site.id, {"trusted_after_approved": 50})
    site = first.sites.get(site.id)
    reader = guest("Cy", None, "cy", "s")
    topics = [
        "timetable",
        "fares",
        "drivers",
        "hospital",
        "estates",
        "station",
        "winter",
        "weekends",
        "costs",
    ]
    statuses = []
    for number, topic in enumerate(topics):
        services = first if number % 2 == 0 else second
        posted = services.comments.post(
            site, BUS, f"The night bus pilot should think again about its {topic} before January.", reader
        )
        statuses.append(posted.comment.status)
        clock.advance(seconds=30)
    assert statuses[:8] == [CommentStatus.PUBLISHED] * 8
    last_verdict = second.comments.get(posted.comment.id).verdict
    assert last_verdict is not None
    last = last_verdict["signals"]["spam"]
    assert last["evidence"]["author_recent"] == 9  # eight before it, through both processes
    assert statuses[8] is CommentStatus.HELD
    assert any(reason.startswith("spam") for reason in last_verdict["reasons"])
