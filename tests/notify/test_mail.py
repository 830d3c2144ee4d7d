"""Reply notifications and the outbox, against a real SMTP server on loopback (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import threading

import pytest
from argon2 import PasswordHasher

from tests.conftest import ORIGIN, FakeClock
from tests.notify.conftest import PUBLIC_URL, Inbox
from townhall.errors import Invalid, NotFound
from townhall.services import Services, build_services
from townhall.services.identity import guest
from townhall.services.mail import MAX_ATTEMPTS
from townhall.storage import Storage
from townhall.types import Role

URL = f"{ORIGIN}/politics/bridge-vote"
ALICE = "alice@example.org"


def post(services: Services, site, body: str, name: str, parent_id: int | None = None):
    return services.comments.post(
        site, URL, body, guest(name, None, f"reader-{name}-0123456789", "s"), parent_id=parent_id
    )


def link(message, path: str) -> str:
    found = re.search(rf"{re.escape(PUBLIC_URL)}{path}/(\S+)", message.get_content())
    assert found, message.get_content()
    return found.group(1)


def outbox_kinds(services: Services) -> list[str]:
    return [row["kind"] for row in reversed(services.outbox.recent())]


def test_double_opt_in_then_reply_notice_with_one_click_unsubscribe(
    notify_services: Services, site, inbox: Inbox
) -> None:
    services = notify_services
    alice = post(services, site, "The bridge vote was rushed.", "Alice").comment
    subscribed = services.notices.subscribe(site, alice, ALICE)
    assert not subscribed.confirmed
    # Before confirming: a reply queues nothing for Alice.
    post(services, site, "Not rushed, it was debated for a year.", "Bob", parent_id=alice.id)
    assert services.outbox.send_pending().sent == 1
    (confirm_mail,) = inbox.wait_for(1)
    assert confirm_mail["To"] == ALICE
    assert confirm_mail["Subject"] == "Confirm reply notifications from The Ledger"
    assert outbox_kinds(services) == ["confirm"]

    services.notices.confirm(link(confirm_mail, "/mail/confirm"))
    reply = post(services, site, "A year is not long for a bridge.", "Carol", parent_id=alice.id).comment
    post(services, site, "Answering myself.", "Alice", parent_id=alice.id)  # no notice to oneself
    assert services.outbox.send_pending().sent == 1
    notice = inbox.wait_for(2)[1]
    assert notice["To"] == ALICE
    assert notice["Subject"] == "New reply to your comment on The Ledger"
    assert "Carol replied" in notice.get_content() and "A year is not long" in notice.get_content()
    token = link(notice, "/mail/unsubscribe")
    assert notice["List-Unsubscribe"] == f"<{PUBLIC_URL}/mail/unsubscribe/{token}>"
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert notice["Message-ID"].endswith("@news.example>")
    assert reply.id

    services.notices.unsubscribe(token)
    post(services, site, "One more reply.", "Dave", parent_id=alice.id)
    assert services.outbox.send_pending().sent == 0
    assert len(inbox.messages) == 2
    # Asking again needs a new confirmation.
    again = post(services, site, "New comment.", "Alice").comment
    assert not services.notices.subscribe(site, again, ALICE).confirmed


def test_a_reader_who_confirmed_once_is_not_asked_again(
    notify_services: Services, site, inbox: Inbox
) -> None:
    services = notify_services
    first = post(services, site, "First.", "Alice").comment
    services.notices.subscribe(site, first, ALICE)
    services.outbox.send_pending()
    services.notices.confirm(link(inbox.wait_for(1)[0], "/mail/confirm"))
    second = post(services, site, "Second.", "Alice").comment
    assert services.notices.subscribe(site, second, ALICE).confirmed
    # Someone else giving Alice's address must confirm it themselves.
    mallory = post(services, site, "Third.", "Mallory").comment
    assert not services.notices.subscribe(site, mallory, ALICE).confirmed


def test_a_held_reply_notifies_only_when_a_moderator_publishes_it(
    notify_services: Services, site, inbox: Inbox
) -> None:
    services = notify_services
    alice = post(services, site, "Top comment.", "Alice").comment
    services.notices.subscribe(site, alice, ALICE)
    services.outbox.send_pending()
    services.notices.confirm(link(inbox.wait_for(1)[0], "/mail/confirm"))
    site = services.sites.update_settings(site.id, {"moderation_mode": "pre"})
    held = post(services, site, "A held reply.", "Bob", parent_id=alice.id).comment
    assert held.status.value == "held"
    assert services.outbox.send_pending().sent == 0
    services.queue.approve(held.id, "mod")
    services.queue.reject(held.id, "mod")
    services.queue.approve(held.id, "mod")  # published twice: still one notice
    assert services.outbox.send_pending().sent == 1
    assert len(inbox.wait_for(2)) == 2


def test_bad_links_and_addresses_are_refused(notify_services: Services, site) -> None:
    services = notify_services
    comment = post(services, site, "Top.", "Alice").comment
    with pytest.raises(Invalid):
        services.notices.subscribe(site, comment, "not an address")
    with pytest.raises(NotFound):
        services.notices.confirm("1.0000")
    with pytest.raises(NotFound):
        services.notices.unsubscribe("garbage")
    sub = services.notices.subscribe(site, comment, ALICE)
    with pytest.raises(NotFound):  # a confirmation token does not unsubscribe, and the reverse
        services.notices.unsubscribe(services.notices.token("confirm", sub.subscription_id))


def test_smtp_down_then_up_loses_nothing(
    storage: Storage, mail_config, clock: FakeClock, inbox: Inbox
) -> None:
    inbox.stop()  # the SMTP server is down
    services = build_services(mail_config, storage, "test-secret", clock=clock)
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    alice = post(services, site, "Top.", "Alice").comment
    services.notices.subscribe(site, alice, ALICE)
    report = services.outbox.send_pending()
    assert (report.sent, report.failed, report.given_up) == (0, 1, 0)
    (row,) = services.outbox.recent()
    assert row["attempts"] == 1 and row["next_attempt_at"] > clock.now and "Connection" in row["last_error"]
    inbox.start()
    assert services.outbox.send_pending().sent == 0  # not due yet: backoff
    clock.advance(minutes=2)
    assert services.outbox.send_pending().sent == 1
    assert len(inbox.wait_for(1)) == 1
    assert services.outbox.counts() == {"sent": 1, "failed": 0, "waiting": 0}


def test_gives_up_after_the_last_attempt(
    storage: Storage, mail_config, clock: FakeClock, inbox: Inbox
) -> None:
    inbox.stop()
    services = build_services(mail_config, storage, "test-secret", clock=clock)
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    services.notices.subscribe(site, post(services, site, "Top.", "Alice").comment, ALICE)
    for _ in range(MAX_ATTEMPTS):
        services.outbox.send_pending()
        clock.advance(hours=7)
    assert services.outbox.counts() == {"sent": 0, "failed": 1, "waiting": 0}
    assert services.outbox.recent()[0]["attempts"] == MAX_ATTEMPTS


def test_without_smtp_nothing_is_offered(services: Services) -> None:
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    comment = post(services, site, "Top.", "Alice").comment
    assert not services.outbox.enabled
    with pytest.raises(Invalid, match="does not send e-mail"):
        services.notices.subscribe(site, comment, ALICE)


def test_moderators_digest_lists_held_comments_once_per_period(
    notify_services: Services, site, inbox: Inbox, clock: FakeClock
) -> None:
    services = notify_services
    services.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    moderator = services.accounts.add("mod", Role.MODERATOR, "moderate-well-123")
    services.digests.choose(moderator.id, moderator.role, "Mod@News.Example", 6)
    assert services.digests.get(moderator.id).email == "Mod@news.example"  # type: ignore[union-attr]
    clock.advance(hours=7)
    assert services.digests.send_due() == 0  # nothing held: no mail, but the period restarts
    site = services.sites.update_settings(site.id, {"moderation_mode": "pre"})
    held = post(services, site, "Please look at this.", "Bob").comment
    assert services.digests.send_due() == 0  # the period has not passed again yet
    clock.advance(hours=6)
    assert services.digests.send_due() == 1
    assert services.digests.send_due() == 0
    services.outbox.send_pending()
    (digest,) = inbox.wait_for(1)
    assert digest["To"] == "Mod@news.example"
    assert digest["Subject"] == "Townhall: 1 comment held for review"
    assert "Bob: Please look at this." in digest.get_content()
    assert f"{PUBLIC_URL}/admin/comments/{held.id}" in digest.get_content()
    with pytest.raises(Invalid):
        services.digests.choose(moderator.id, moderator.role, "mod@news.example", 5)


def test_a_moderators_digest_speaks_the_sites_language(
    notify_services: Services, site, inbox: Inbox, clock: FakeClock
) -> None:
    services = notify_services
    site = services.sites.update_settings(site.id, {"moderation_mode": "pre", "language": "de"})
    for body, name in (("Bitte prüfen.", "Bob"), ("Noch einer.", "Eve")):
        post(services, site, body, name)
    services.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    moderator = services.accounts.add("mod", Role.MODERATOR, "moderate-well-123")
    services.digests.choose(moderator.id, moderator.role, "mod@news.example", 1)
    clock.advance(hours=2)
    assert services.digests.send_due() == 1
    services.outbox.send_pending()
    (digest,) = inbox.wait_for(1)
    assert digest["Subject"] == "Townhall: 2 Kommentare zur Prüfung zurückgehalten"
    text = digest.get_content()
    assert "2 Kommentare warten auf Prüfung." in text and "Übersicht jede Stunde für mod" in text, text


def test_a_moderator_limited_to_other_sites_gets_no_digest_for_this_one(
    notify_services: Services, site, inbox: Inbox, clock: FakeClock
) -> None:
    services = notify_services
    services.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    services.sites.add("herald", "The Herald", ["https://herald.example"])
    moderator = services.accounts.add("mod", Role.MODERATOR, "moderate-well-123", sites=["herald"])
    services.digests.choose(moderator.id, moderator.role, "mod@herald.example", 1)
    site = services.sites.update_settings(site.id, {"moderation_mode": "pre"})
    post(services, site, "Held on the Ledger.", "Bob")
    clock.advance(hours=2)
    assert services.digests.send_due() == 0


def test_two_senders_draining_one_outbox_send_each_message_once(
    storage: Storage, mail_config, clock: FakeClock, inbox: Inbox
) -> None:
    first = build_services(mail_config, storage, "test-secret", clock=clock)
    second = build_services(mail_config, storage, "test-secret", clock=clock)
    site = first.sites.add("ledger", "The Ledger", [ORIGIN])
    for n in range(20):
        comment = post(first, site, f"Comment {n}.", f"Reader{n}").comment
        first.notices.subscribe(site, comment, f"reader{n}@example.org")
    reports = []
    workers = [
        threading.Thread(target=lambda s=s: reports.append(s.outbox.send_pending())) for s in (first, second)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(r.sent for r in reports) == 20
    received = sorted(m["To"] for m in inbox.wait_for(20))
    assert received == sorted(f"reader{n}@example.org" for n in range(20))


class RefusingInbox(Inbox):
    """Refuses one recipient, as a server does for an address that does not exist."""

    async def handle_RCPT(self, _server, _session, envelope, address: str, _options) -> str:  # noqa: N802
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_refused_recipient_is_given_up_at_once_and_the_batch_goes_on(
    storage: Storage, mail_config, clock: FakeClock, inbox: Inbox
) -> None:
    inbox.stop()
    refusing = RefusingInbox(inbox.port)
    refusing.start()
    try:
        services = build_services(mail_config, storage, "test-secret", clock=clock)
        site = services.sites.add("ledger", "The Ledger", [ORIGIN])
        for name in ("ana", "nobody", "bob"):
            comment = post(services, site, f"From {name}.", name.title()).comment
            services.notices.subscribe(site, comment, f"{name}@example.org")
        report = services.outbox.send_pending()
        assert (report.sent, report.failed, report.given_up) == (2, 1, 1)
        assert sorted(m["To"] for m in refusing.wait_for(2)) == ["ana@example.org", "bob@example.org"]
        refused = [row for row in services.outbox.recent() if row["to_addr"] == "nobody@example.org"][0]
        assert refused["failed_at"] is not None and "no such user" in refused["last_error"]
    finally:
        refusing.stop()
