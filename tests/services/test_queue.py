from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import ORIGIN, FakeClock
from townhall.errors import Conflict, Forbidden, Invalid
from townhall.moderation.verdict import ModerationRequest, Verdict
from townhall.services import Services
from townhall.services.identity import guest
from townhall.services.queue import Action, Order, Queue, QueueFilter
from townhall.types import ActorKind, CommentStatus, Decision

URL = f"{ORIGIN}/local/night-bus"
PASSAGE = "Buses will run every forty minutes between midnight and five in the morning."


PUBLISHED = Verdict(Decision.PUBLISH)


class Scripted:
    """A moderator that hands back whatever verdict the test sets next."""

    def __init__(self) -> None:
        self.next = Verdict(Decision.PUBLISH)

    def assess(self, request: ModerationRequest) -> Verdict:
        return self.next


def off_topic(score: float = 0.8, toxicity: float = 0.1) -> Verdict:
    signals = {
        "off_topic": {
            "score": score,
            "version": "t1",
            "evidence": {"nearest_passage": PASSAGE, "similarity": round(1 - score, 2)},
        },
        "toxicity": {"score": toxicity, "version": "t1", "evidence": {"spans": []}},
    }
    return Verdict(Decision.HOLD, ("far from the article",), "", signals, "post")


def toxic(score: float = 0.97) -> Verdict:  # above the default hold
    signals = {
        "toxicity": {
            "score": score,
            "version": "t1",
            "evidence": {"spans": [{"start": 0, "end": 5, "text": "Idiot", "weight": 0.9}]},
        }
    }
    return Verdict(Decision.HOLD, ("abusive",), "", signals, "post")


PRE = Verdict(Decision.HOLD, ("pre-moderation",), "", {}, "pre")


@pytest.fixture
def moderator(services: Services) -> Scripted:
    scripted = Scripted()
    services.comments.moderator = scripted
    return scripted


@pytest.fixture
def site(services: Services):
    return services.sites.add("ledger", "The Ledger", [ORIGIN])


def post(
    services: Services,
    site,
    moderator: Scripted,
    verdict: Verdict = PUBLISHED,
    body: str = "Idiot plan.",
    name: str = "Ana",
    **kw: Any,
):
    moderator.next = verdict
    return services.comments.post(site, URL, body, guest(name, None, f"reader-{name}", "s"), **kw).comment


def ids(page) -> list[int]:
    return [item.comment.id for item in page.items]


def test_held_comment_waits_in_the_held_queue_with_the_signal_that_held_it(services, site, moderator) -> None:
    held = post(services, site, moderator, off_topic())
    page = services.queue.list(Queue.HELD)
    assert ids(page) == [held.id]
    assert page.items[0].causes == ("off_topic",)
    assert page.items[0].story.url == URL
    assert ids(services.queue.list(Queue.PENDING)) == []
    assert services.queue.counts("ledger")["held"] == 1


def test_approve_publishes_in_one_audited_transaction_and_stales_the_thread(
    services, site, moderator
) -> None:
    held = post(services, site, moderator, off_topic())
    before = services.stories.get(held.story_id)
    approved = services.queue.approve(held.id, "mo", "on topic after all")
    assert approved.status is CommentStatus.PUBLISHED
    story = services.stories.get(held.story_id)
    assert story.comment_count == before.comment_count + 1
    assert story.version > before.version  # readers' cached pages go stale
    thread = services.comments.thread(story)
    assert [c.id for c in thread.comments] == [held.id]
    with services.storage.read() as tx:
        event = tx.comments.events(held.id)[-1]
    assert (event.from_status, event.to_status) == (CommentStatus.HELD, CommentStatus.PUBLISHED)
    assert (event.actor_kind, event.actor, event.reason) == (ActorKind.MODERATOR, "mo", "on topic after all")
    assert ids(services.queue.list(Queue.HELD)) == []
    assert ids(services.queue.list(Queue.RECENT)) == [held.id]
    with pytest.raises(Conflict):
        services.queue.approve(held.id, "mo")


def test_reject_keeps_the_reason_for_the_reader_and_the_audit_trail(services, site, moderator) -> None:
    published = post(services, site, moderator)
    rejected = services.queue.reject(published.id, "mo", "Personal attacks are not allowed.")
    assert rejected.status is CommentStatus.REJECTED
    assert (
        rejected.verdict is not None
        and rejected.verdict["reader_message"] == "Personal attacks are not allowed."
    )
    story = services.stories.get(published.story_id)
    assert story.comment_count == 0
    assert services.comments.thread(story).comments == []
    with services.storage.read() as tx:
        assert tx.comments.events(published.id)[-1].reason == "Personal attacks are not allowed."
    assert ids(services.queue.list(Queue.REJECTED)) == [published.id]
    with pytest.raises(Conflict):
        services.queue.reject(published.id, "mo")
    with pytest.raises(Invalid):
        services.queue.reject(post(services, site, moderator).id, "mo", "x" * 501)


def test_pre_moderated_comments_wait_in_pending_unless_a_signal_held_them(services, site, moderator) -> None:
    pending = post(services, site, moderator, PRE)
    flagged = off_topic()
    held = post(
        services, site, moderator, Verdict(flagged.decision, flagged.reasons, "", flagged.signals, "pre")
    )
    assert ids(services.queue.list(Queue.PENDING)) == [pending.id]
    assert ids(services.queue.list(Queue.HELD)) == [held.id]
    assert services.queue.list(Queue.PENDING).items[0].causes == ()
    assert services.queue.counts() == {"held": 1, "pending": 1, "reported": 0, "newest": held.id}


def test_filters_and_most_severe_first(services, site, moderator) -> None:
    mild = post(services, site, moderator, off_topic(0.6), name="Ana")
    worst = post(services, site, moderator, toxic(0.95), name="Ben")
    middle = post(services, site, moderator, off_topic(0.8), name="Cai")
    assert ids(services.queue.list(Queue.HELD)) == [middle.id, worst.id, mild.id]
    severe = services.queue.list(Queue.HELD, QueueFilter(order=Order.SEVERE))
    assert ids(severe) == [worst.id, middle.id, mild.id]
    assert ids(services.queue.list(Queue.HELD, QueueFilter(signal="toxicity"))) == [worst.id]
    assert ids(services.queue.list(Queue.HELD, QueueFilter(author_id=mild.author.id))) == [mild.id]
    assert ids(services.queue.list(Queue.HELD, QueueFilter(site_id="elsewhere"))) == []
    assert ids(services.queue.list(Queue.HELD, QueueFilter(story_id=mild.story_id))) == [
        middle.id,
        worst.id,
        mild.id,
    ]
    two = services.queue.list(Queue.HELD, page=2, per_page=2)
    assert (ids(two), two.total, two.pages) == ([mild.id], 3, 2)


def test_site_thresholds_decide_which_signal_held_a_comment(services, site, moderator) -> None:
    held = post(services, site, moderator, off_topic(0.99, toxicity=0.96))  # both above the default holds
    assert services.queue.list(Queue.HELD).items[0].causes == ("off_topic", "toxicity")
    services.sites.update_settings(site.id, {"thresholds": {"toxicity": {"hold": 0.98}}})
    item = services.queue.list(Queue.HELD).items[0]
    assert item.comment.id == held.id and item.causes == ("off_topic",)


def test_reported_queue_shows_reasons_and_approving_dismisses_the_reports(services, site, moderator) -> None:
    comment = post(services, site, moderator)
    services.feedback.report(comment.id, "reader-1", "abuse", "rude to the councillor")
    services.feedback.report(comment.id, "reader-2", "spam")
    page = services.queue.list(Queue.REPORTED)
    assert ids(page) == [comment.id]
    assert [r["reason"] for r in page.items[0].reports] == ["abuse", "spam"]
    assert services.queue.counts()["reported"] == 1
    services.queue.approve(comment.id, "mo")
    assert ids(services.queue.list(Queue.REPORTED)) == []
    assert services.comments.get(comment.id).status is CommentStatus.PUBLISHED
    with services.storage.read() as tx:
        assert tx.comments.events(comment.id)[-1].reason == "reports dismissed"
        assert all(r["resolved_at"] is not None for r in tx.feedback.reports_for(comment.id))


def test_ban_rejects_pending_comments_and_refuses_the_next_one(
    services, site, moderator, clock: FakeClock
) -> None:
    first = post(services, site, moderator, off_topic(), name="Troll")
    second = post(services, site, moderator, toxic(), name="Troll")
    kept = post(services, site, moderator, name="Troll")
    rejected = services.queue.ban(
        first.author.id, "mo", clock() + timedelta(days=7), "abuse", reject_pending=True, comment_id=second.id
    )
    assert rejected == 2
    assert services.comments.get(first.id).status is CommentStatus.REJECTED
    assert services.comments.get(kept.id).status is CommentStatus.PUBLISHED
    with pytest.raises(Forbidden, match="no longer comment"):
        post(services, site, moderator, name="Troll")
    with services.storage.read() as tx:
        details = [e.details.get("action") for e in tx.comments.events(second.id)]
    assert "ban_author" in details
    profile = services.queue.author(first.author.id)
    assert profile.banned and not profile.banned_forever and profile.author["ban_reason"] == "abuse"
    clock.advance(days=7, seconds=1)
    assert post(services, site, moderator, name="Troll").status is CommentStatus.PUBLISHED


def test_ban_for_good_and_lifting_it(services, site, moderator, clock: FakeClock) -> None:
    comment = post(services, site, moderator, name="Troll")
    assert services.queue.ban(comment.author.id, "mo", None, "spam") == 0
    clock.advance(days=3650)
    assert services.queue.author(comment.author.id).banned_forever
    with pytest.raises(Forbidden):
        post(services, site, moderator, name="Troll")
    services.queue.unban(comment.author.id, "mo")
    assert post(services, site, moderator, name="Troll").status is CommentStatus.PUBLISHED
    with pytest.raises(Invalid):
        services.queue.ban(comment.author.id, "mo", clock() - timedelta(days=1))


def test_feature_pins_a_comment_on_top_and_publishes_a_held_one(services, site, moderator) -> None:
    older = post(services, site, moderator, name="Ana")
    newer = post(services, site, moderator, name="Ben")
    held = post(services, site, moderator, off_topic(), name="Cai")
    services.queue.feature(older.id, "ed")
    story = services.stories.get(older.story_id)
    assert [c.id for c in services.comments.thread(story).comments][:2] == [older.id, newer.id]
    featured = services.queue.feature(held.id, "ed")
    assert featured.status is CommentStatus.PUBLISHED and featured.featured
    assert services.stories.get(held.story_id).comment_count == 3
    with pytest.raises(Conflict):
        services.queue.feature(held.id, "ed")
    assert not services.queue.feature(held.id, "ed", featured=False).featured


def test_bulk_actions_are_one_transaction_and_skip_what_is_done(services, site, moderator) -> None:
    held = [post(services, site, moderator, off_topic(), name=n) for n in ("Ana", "Ben", "Cai")]
    services.queue.reject(held[0].id, "mo")
    assert services.queue.bulk([c.id for c in held], Action.APPROVE, "mo") == 3  # the rejected one too
    assert services.stories.get(held[0].story_id).comment_count == 3
    assert services.queue.bulk([c.id for c in held], Action.REJECT, "mo", "spam wave") == 3
    assert services.queue.bulk([c.id for c in held], Action.REJECT, "mo") == 0
    with pytest.raises(Invalid):
        services.queue.bulk([], Action.APPROVE, "mo")
    with pytest.raises(Invalid):
        services.queue.bulk([held[0].id], Action.FEATURE, "mo")


def test_detail_shows_context_signals_history_and_reports(services, site, moderator) -> None:
    parent = post(services, site, moderator, body="The night bus is long overdue.", name="Ana")
    reply = post(
        services,
        site,
        moderator,
        off_topic(),
        body="Anyway, who won the match?",
        name="Ben",
        parent_id=parent.id,
    )
    detail = services.queue.detail(reply.id)
    assert detail.parent is not None and detail.parent.id == parent.id
    assert [c.id for c in detail.conversation] == [parent.id, reply.id]
    assert detail.story.url == URL and detail.site.id == "ledger"
    assert [s.name for s in detail.signals] == ["off_topic", "toxicity"]
    assert detail.signals[0].flagged and detail.signals[0].evidence["nearest_passage"] == PASSAGE
    assert detail.history["held"] == 1 and detail.history["total"] == 1
    assert "email" not in detail.author
    assert [e.to_status for e in detail.events] == [CommentStatus.HELD]


def test_author_notes(services, site, moderator) -> None:
    comment = post(services, site, moderator)
    services.queue.set_notes(comment.author.id, "Warned once about insults.")
    assert services.queue.author(comment.author.id).author["notes"] == "Warned once about insults."
    with pytest.raises(Invalid):
        services.queue.set_notes(comment.author.id, "x" * 5001)


def test_story_overview_helpers(services, site, moderator) -> None:
    held = post(services, site, moderator, off_topic())
    post(services, site, moderator)
    assert services.queue.counts_by_story([held.story_id])[held.story_id]["held"] == 1
    assert [s.id for s in services.queue.stories("ledger")] == [held.story_id]
    assert services.queue.stories("ledger", closed=True) == []
    services.stories.close(held.story_id, ActorKind.MODERATOR, "ed")
    assert [s.id for s in services.queue.stories("ledger", closed=True)] == [held.story_id]
    assert [s.id for s in services.queue.stories("ledger", query="night-bus")] == [held.story_id]
    assert [c.id for c in services.queue.story_thread(held.story_id)][0] == held.id


def test_stats_count_volume_holds_and_moderator_agreement(
    services, site, moderator, clock: FakeClock
) -> None:
    held = [post(services, site, moderator, off_topic(), name=n) for n in ("Ana", "Ben", "Cai", "Dee")]
    post(services, site, moderator, toxic(), name="Eve")
    for name in ("Fay", "Gus", "Hal"):
        post(services, site, moderator, name=name)
    services.queue.approve(held[0].id, "mo")
    services.queue.reject(held[1].id, "mo")
    services.queue.reject(held[2].id, "mo")
    clock.advance(minutes=5)
    stats = services.stats.overview("ledger", days=7)
    assert stats.total == 8 and stats.held == 5 and stats.rejected == 0
    by_name = {s.name: s for s in stats.signals}
    assert (by_name["off_topic"].held, by_name["off_topic"].reviewed, by_name["off_topic"].agreed) == (
        4,
        3,
        2,
    )
    assert by_name["off_topic"].precision == pytest.approx(2 / 3)
    assert by_name["toxicity"].precision is None
    assert sum(count for _, count in stats.per_day) == 8
    assert sum(count for _, count in stats.per_hour) == 8
    assert stats.per_hour[-1] == (clock().replace(minute=0, second=0, microsecond=0), 8)
    assert stats.busiest[0]["comments"] == 8 and stats.busiest[0]["url"] == URL
    assert stats.moderator_actions == {"published": 1, "rejected": 2}
    assert stats.share(stats.held) == pytest.approx(5 / 8)
