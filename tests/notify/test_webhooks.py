"""Signed webhooks delivered to a real HTTP receiver on loopback (SQLite and PostgreSQL)."""

from __future__ import annotations

import ipaddress
import json
import time
from datetime import timedelta

import pytest

from tests.conftest import ORIGIN, FakeClock
from tests.notify.conftest import Receiver, running_receiver
from townhall.app import schedule_jobs
from townhall.config import Settings
from townhall.errors import Invalid, NotFound
from townhall.scheduler import Scheduler
from townhall.services import Services, build_services
from townhall.services.identity import guest
from townhall.services.netsafety import Target
from townhall.services.webhooks import REPLAY_WINDOW, sign, verify
from townhall.storage import Storage
from townhall.types import ActorKind

URL = f"{ORIGIN}/politics/bridge-vote"


def post(services: Services, site, body: str = "A fair point.", name: str = "Ana"):
    reader = guest(name, "ana@example.org", f"reader-{name}-0123456789", "s")
    return services.comments.post(site, URL, body, reader)


def received(receiver: Receiver, count: int) -> list[tuple[str, dict]]:
    return [(r["headers"]["Townhall-Event"], json.loads(r["body"])) for r in receiver.wait_for(count)]


def test_events_are_signed_and_delivered_in_order(
    notify_services: Services, site, receiver: Receiver
) -> None:
    services = notify_services
    hook, secret = services.webhooks.add(site.id, receiver.url)
    comment = post(services, site).comment
    services.queue.reject(comment.id, "mod", "Off topic.")
    services.stories.close(comment.story_id, ActorKind.PUBLISHER, "editor")
    report = services.webhooks.deliver_pending()
    assert (report.delivered, report.failed) == (5, 0)
    events = received(receiver, 5)
    assert [name for name, _ in events] == [
        "story.created",
        "comment.created",
        "comment.published",
        "comment.rejected",
        "story.closed",
    ]
    _, created = events[1]
    assert created["site"] == "ledger" and created["event"] == "comment.created"
    assert created["data"]["comment"]["id"] == comment.id
    assert created["data"]["comment"]["status"] == "published"
    assert created["data"]["story"]["url"] == URL
    assert "ana@example.org" not in json.dumps(events)  # no personal data beyond the shown name
    for request in receiver.requests:
        headers = request["headers"]
        assert headers["Content-Type"] == "application/json"
        assert verify(secret, headers["Townhall-Timestamp"], request["body"], headers["Townhall-Signature"])
        assert not verify(
            "whsec_other", headers["Townhall-Timestamp"], request["body"], headers["Townhall-Signature"]
        )
        assert not verify(
            secret, headers["Townhall-Timestamp"], request["body"] + b" ", headers["Townhall-Signature"]
        )
    log = services.webhooks.deliveries(site.id)
    assert len(log) == 5 and all(row["delivered_at"] and row["last_status"] == 204 for row in log)
    assert hook.events == tuple(hook.events)


def test_a_replayed_or_stale_signature_is_refused() -> None:
    body = b'{"event":"ping"}'
    old = int(time.time() - REPLAY_WINDOW.total_seconds() - 5)
    assert not verify("s", str(old), body, sign("s", old, body))
    now = int(time.time())
    assert verify("s", str(now), body, sign("s", now, body))
    assert not verify("s", "not-a-number", body, sign("s", now, body))


def test_failed_deliveries_are_retried_with_backoff_until_the_receiver_answers(
    notify_services: Services, site, receiver: Receiver, clock: FakeClock
) -> None:
    services = notify_services
    receiver.status = lambda n: 500 if n == 1 else 204
    hook, _secret = services.webhooks.add(site.id, receiver.url, ["comment.created"])
    post(services, site)
    assert services.webhooks.deliver_pending().failed == 1
    (row,) = services.webhooks.deliveries(site.id)
    assert row["last_status"] == 500 and row["delivered_at"] is None and row["next_attempt_at"] > clock.now
    assert services.webhooks.deliver_pending().delivered == 0  # not due yet
    clock.advance(minutes=1)
    assert services.webhooks.deliver_pending().delivered == 1
    first, second = receiver.wait_for(2)
    assert first["headers"]["Townhall-Delivery"] == second["headers"]["Townhall-Delivery"]  # same id: dedupe
    (row,) = services.webhooks.deliveries(site.id)
    assert row["attempts"] == 2 and row["last_status"] == 204
    assert hook.events == ("comment.created",)


def test_an_unreachable_receiver_keeps_its_deliveries(
    notify_services: Services, site, receiver: Receiver, clock: FakeClock
) -> None:
    services = notify_services
    url = receiver.url
    receiver.server.shutdown()
    receiver.server.server_close()  # nothing listens there now
    services.webhooks.add(site.id, url, ["comment.created"])
    post(services, site)
    assert services.webhooks.deliver_pending().failed == 1
    (row,) = services.webhooks.deliveries(site.id)
    assert row["last_status"] is None and "ConnectError" in row["last_error"] and row["next_attempt_at"]


def test_test_event_and_event_filters(notify_services: Services, site, receiver: Receiver) -> None:
    services = notify_services
    hook, _ = services.webhooks.add(site.id, receiver.url, ["story.closed"])
    post(services, site)
    services.webhooks.send_test(hook.id)
    services.webhooks.deliver_pending()
    assert [name for name, _ in received(receiver, 1)] == ["ping"]
    with pytest.raises(NotFound):
        services.webhooks.send_test(hook.id, site_id="other-site")


def test_loopback_and_private_urls_are_refused_unless_allowed(
    storage: Storage, config: Settings, clock: FakeClock
) -> None:
    services = build_services(config, storage, "test-secret", clock=clock)
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    for url in (
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.1/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",  # loopback written as IPv6 (mapped)
        "http://[2002:7f00:1::]/hook",  # and as 6to4: judged like article fetches
        "http://169.254.169.254/latest",
        "ftp://example.org/hook",
        "http://user:pw@example.org/hook",
    ):
        with pytest.raises(Invalid):
            services.webhooks.add(site.id, url)
    with pytest.raises(Invalid, match="unknown events"):
        services.webhooks.add(site.id, "http://127.0.0.1:9/hook", ["comment.liked"])
    assert services.webhooks.list(site.id) == []


def test_a_url_that_became_private_is_not_called(
    storage: Storage, config: Settings, clock: FakeClock, receiver: Receiver
) -> None:
    allowing = build_services(
        config.model_copy(update={"webhook_allow_private": True}), storage, "test-secret", clock=clock
    )
    site = allowing.sites.add("ledger", "The Ledger", [ORIGIN])
    allowing.webhooks.add(site.id, receiver.url, ["comment.created"])
    post(allowing, site)
    strict = build_services(config, storage, "test-secret", clock=clock)
    assert strict.webhooks.deliver_pending().failed == 1
    assert receiver.requests == []
    (row,) = strict.webhooks.deliveries(site.id)
    assert "private" in row["last_error"]


def test_a_story_past_its_closing_date_is_recorded_closed_once_with_its_webhook(
    notify_services: Services, site, receiver: Receiver, clock: FakeClock
) -> None:
    services = notify_services
    services.webhooks.add(site.id, receiver.url, ["story.closed"])
    story = post(services, site).comment.story_id
    services.stories.schedule_close(story, clock.now + timedelta(hours=1), ActorKind.PUBLISHER, "editor")
    assert services.stories.close_due() == 0
    clock.advance(hours=2)
    assert services.stories.close_due() == 1
    assert services.stories.close_due() == 0
    closed = services.stories.get(story)
    assert closed.closed and closed.close_reason == ""
    with services.storage.read() as tx:
        events = tx.stories.events(story)
    assert [e["actor"] for e in events if e["action"] == "closed"] == ["schedule"]
    services.webhooks.deliver_pending()
    ((name, body),) = received(receiver, 1)
    assert name == "story.closed" and body["data"]["story"]["closed"] is True


def test_a_receiver_that_does_not_answer_is_tried_once_per_round(
    notify_services: Services, site, receiver: Receiver, clock: FakeClock
) -> None:
    services = notify_services
    url = receiver.url
    receiver.server.shutdown()
    receiver.server.server_close()
    with running_receiver() as other:
        services.webhooks.add(site.id, url, ["comment.created"])
        services.webhooks.add(site.id, other.url, ["comment.created"])
        for n in range(3):
            post(services, site, f"Comment {n}.", f"Reader{n}")
        report = services.webhooks.deliver_pending()
        assert (report.delivered, report.failed) == (3, 1)  # the dead one was tried once; the other got all
        assert len(other.wait_for(3)) == 3
        waiting = [row for row in services.webhooks.deliveries(site.id) if row["url"] == url]
        assert sorted(row["attempts"] for row in waiting) == [0, 0, 1]


def test_deliveries_connect_to_the_address_just_checked_with_the_original_host(
    notify_services: Services, site, receiver: Receiver
) -> None:
    services = notify_services
    port = receiver.server.server_address[1]
    # localhost may resolve to ::1 first; the receiver listens on 127.0.0.1 only, so that also
    # shows the next checked address is tried when one refuses.
    services.webhooks.add(site.id, f"http://localhost:{port}/hooks/townhall?x=1", ["comment.created"])
    post(services, site)
    assert services.webhooks.deliver_pending().delivered == 1
    (request,) = receiver.wait_for(1)
    assert request["headers"]["Host"] == f"localhost:{port}" and request["path"] == "/hooks/townhall?x=1"


def test_a_pinned_url_keeps_path_and_query_and_brackets_ipv6() -> None:
    target = Target("https://hooks.example/in?a=1", "hooks.example", 443, ())
    assert target.pinned(ipaddress.ip_address("203.0.113.7")) == "https://203.0.113.7:443/in?a=1"
    assert target.pinned(ipaddress.ip_address("2001:db8::1")) == "https://[2001:db8::1]:443/in?a=1"


def test_old_delivered_and_given_up_deliveries_leave_the_log(
    notify_services: Services, storage: Storage, site, receiver: Receiver, clock: FakeClock
) -> None:
    services = notify_services
    services.webhooks.add(site.id, receiver.url, ["comment.created"])
    for name in ("Ana", "Bo", "Cy"):
        post(services, site, name=name)
    assert services.webhooks.deliver_pending().delivered == 3
    _delivered, given_up, waiting = sorted(row["id"] for row in services.webhooks.deliveries(site.id))
    start = clock()
    with storage.write() as tx:  # the last two as a failing receiver would leave them
        tx.webhooks.attempted(given_up, start, 500, "HTTP 500", False, None)
        tx.webhooks.attempted(waiting, start, 500, "HTTP 500", False, start + timedelta(days=90))
    clock.advance(days=29)
    assert services.webhooks.sweep() == 0  # the default keeps them 30 days
    clock.advance(days=2)
    assert services.webhooks.sweep() == 2
    assert [row["id"] for row in services.webhooks.deliveries(site.id)] == [waiting]
    keep = build_services(
        services.config.model_copy(update={"webhook_log_keep_days": 0}), storage, "test-secret", clock=clock
    )
    with storage.write() as tx:
        tx.webhooks.attempted(waiting, start, 204, "", True, None)
    assert keep.webhooks.sweep() == 0  # 0 keeps them for good
    assert services.webhooks.sweep() == 1 and services.webhooks.deliveries(site.id) == []
    scheduler = Scheduler()
    schedule_jobs(scheduler, services)
    assert "webhook-sweep" in scheduler.jobs  # the server runs it hourly
