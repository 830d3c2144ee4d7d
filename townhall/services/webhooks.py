"""Signed webhooks per site: events queued with the change that causes them, delivered with retries.

A delivery is a POST of a JSON body with these headers::

    Townhall-Event: comment.published
    Townhall-Delivery: 42                      (the same id on every retry: deduplicate on it)
    Townhall-Timestamp: 1764860000             (Unix seconds when this attempt was signed)
    Townhall-Signature: sha256=<hex>           HMAC-SHA256(secret, f"{timestamp}.{body}")

Receivers check the signature and refuse timestamps more than REPLAY_WINDOW away from their
clock (docs/webhooks.md). Any 2xx answer counts as delivered; anything else, or no answer, is
tried again later with a growing delay.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson

from townhall.config import Settings
from townhall.errors import Invalid, NotFound
from townhall.models import Comment, Story
from townhall.services.clock import Clock, utcnow
from townhall.services.netsafety import ANYWHERE, Refused, Target, target
from townhall.storage import Repos, Storage
from townhall.types import CommentStatus

log = logging.getLogger(__name__)

EVENTS = (
    "comment.created",
    "comment.published",
    "comment.held",
    "comment.rejected",
    "story.created",
    "story.closed",
)
TEST_EVENT = "ping"
REPLAY_WINDOW = timedelta(minutes=5)  # what receivers should accept; documented, not enforced here
MAX_ATTEMPTS = 10  # 30 s, 1, 2, 4 … minutes, capped at 6 hours: about a day in all
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
LEASE = timedelta(minutes=2)
BATCH = 50
MAX_HOOKS_PER_SITE = 20
STATUS_EVENTS = {
    CommentStatus.PUBLISHED.value: "comment.published",
    CommentStatus.HELD.value: "comment.held",
    CommentStatus.REJECTED.value: "comment.rejected",
}


def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the Townhall-Signature header."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: float | None = None) -> bool:
    """What a receiver does (written here for the tests and as a reference for docs/webhooks.md)."""
    if not timestamp.isdigit():
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > REPLAY_WINDOW.total_seconds():
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


@dataclass(frozen=True, slots=True)
class Webhook:
    id: int
    site_id: str
    url: str
    events: tuple[str, ...]
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    delivered: int
    failed: int
    given_up: int


def delivery_state(row: dict[str, Any]) -> str:
    """delivered, waiting (for its next attempt) or failed (given up)."""
    if row["delivered_at"] is not None:
        return "delivered"
    return "failed" if row["failed_at"] is not None else "waiting"


def _webhook(row: dict[str, Any]) -> Webhook:
    return Webhook(
        row["id"], row["site_id"], row["url"], tuple(row["events"]), row["active"], row["created_at"]
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def comment_data(comment: Comment) -> dict[str, Any]:
    """What a receiver learns about a comment: never the author's e-mail, IP or token."""
    return {
        "id": comment.id,
        "story_id": comment.story_id,
        "parent_id": comment.parent_id,
        "status": comment.status.value,
        "author": {"id": comment.author.id, "name": comment.author.name, "kind": comment.author.kind.value},
        "body": comment.body,
        "html": comment.html,
        "created_at": _iso(comment.created_at),
        "edited_at": _iso(comment.edited_at),
    }


def story_data(story: Story) -> dict[str, Any]:
    return {
        "id": story.id,
        "url": story.url,
        "title": story.title,
        "closed": story.closed,
        "created_at": _iso(story.created_at),
    }


class WebhookService:
    def __init__(self, storage: Storage, config: Settings, clock: Clock = utcnow):
        self.storage = storage
        self.config = config
        self.clock = clock
        self.wake: Callable[[], None] | None = None  # set by the server: run the deliverer soon
        self.transport: httpx.BaseTransport | None = None

    # -- managing ------------------------------------------------------------------------------

    def add(self, site_id: str, url: str, events: list[str] | None = None) -> tuple[Webhook, str]:
        """A new webhook and its signing secret (shown once)."""
        chosen = list(dict.fromkeys(events)) if events else list(EVENTS)
        unknown = [e for e in chosen if e not in EVENTS]
        if unknown:
            raise Invalid(
                "unknown events: {unknown} (known: {known})",
                params={"unknown": ", ".join(unknown), "known": ", ".join(EVENTS)},
                fields={"events": "unknown"},
            )
        if len(url) > 2048:
            raise Invalid("the URL is longer than 2048 characters", fields={"url": "too long"})
        url = self._checked(url).url
        secret = "whsec_" + secrets.token_urlsafe(24)
        with self.storage.write() as tx:
            if tx.sites.get(site_id) is None:
                raise NotFound("no site '{site}'", code="unknown_site", params={"site": site_id})
            if len(tx.webhooks.list(site_id)) >= MAX_HOOKS_PER_SITE:
                raise Invalid(
                    "a site has at most {count} webhooks",
                    params={"count": MAX_HOOKS_PER_SITE},
                    fields={"url": "too many"},
                )
            webhook_id = tx.webhooks.add(site_id, url, secret, chosen, self.clock())
            row = tx.webhooks.get(webhook_id)
        assert row is not None
        return _webhook(row), secret

    def get(self, webhook_id: int, site_id: str | None = None) -> Webhook:
        with self.storage.read() as tx:
            row = tx.webhooks.get(webhook_id)
        if row is None or (site_id is not None and row["site_id"] != site_id):
            raise NotFound("no webhook {id}", code="unknown_webhook", params={"id": webhook_id})
        return _webhook(row)

    def list(self, site_id: str) -> list[Webhook]:
        with self.storage.read() as tx:
            return [_webhook(row) for row in tx.webhooks.list(site_id)]

    def remove(self, webhook_id: int, site_id: str | None = None) -> None:
        self.get(webhook_id, site_id)
        with self.storage.write() as tx:
            tx.webhooks.remove(webhook_id)

    def send_test(self, webhook_id: int, site_id: str | None = None) -> int:
        """Queue a ``ping`` event to one webhook; returns the delivery id (see the delivery log)."""
        webhook = self.get(webhook_id, site_id)
        with self.storage.write() as tx:
            return self._enqueue(tx, webhook.id, webhook.site_id, TEST_EVENT, {"message": "test event"})

    def deliveries(self, site_id: str, limit: int = 50) -> builtins.list[dict[str, Any]]:  # not self.list
        with self.storage.read() as tx:
            return tx.webhooks.deliveries(site_id, limit)

    def delivery(self, delivery_id: int) -> dict[str, Any]:
        with self.storage.read() as tx:
            row = tx.webhooks.delivery(delivery_id)
        if row is None:
            raise NotFound("no delivery {id}", code="unknown_delivery", params={"id": delivery_id})
        return row

    # -- queueing (inside the transaction of the change) -----------------------------------------

    def on_changes(self, tx: Repos) -> None:
        """Before a write commits: queue a delivery per event for each webhook that wants it."""
        events: list[tuple[str, str, dict[str, Any]]] = []  # (site, event, data)
        for change in tx.comment_changes:
            names = ["comment.created"] if change.from_status is None else []
            if change.to_status != change.from_status and change.to_status in STATUS_EVENTS:
                names.append(STATUS_EVENTS[change.to_status])
            if not names:
                continue
            comment = tx.comments.get(change.comment_id)
            story = tx.stories.get(comment.story_id) if comment else None
            if comment is None or story is None:
                continue
            data = {"comment": comment_data(comment), "story": story_data(story)}
            events += [(story.site_id, name, data) for name in names]
        for story_change in tx.story_changes:
            if story_change.action not in ("created", "closed"):
                continue
            story = tx.stories.get(story_change.story_id)
            if story is not None:
                events.append((story.site_id, f"story.{story_change.action}", {"story": story_data(story)}))
        hooks: dict[str, list[dict[str, Any]]] = {}
        for site_id, name, data in events:
            if site_id not in hooks:
                hooks[site_id] = tx.webhooks.list(site_id, active_only=True)
            for hook in hooks[site_id]:
                if name in hook["events"]:
                    self._enqueue(tx, hook["id"], site_id, name, data)

    def _enqueue(self, tx: Repos, webhook_id: int, site_id: str, event: str, data: dict[str, Any]) -> int:
        now = self.clock()
        body = {"event": event, "site": site_id, "created_at": _iso(now), "data": data}
        delivery_id = tx.webhooks.enqueue(webhook_id, event, orjson.dumps(body).decode(), now)
        if self.wake is not None:
            tx.after_commit.append(self.wake)
        return delivery_id

    # -- delivering ------------------------------------------------------------------------------

    def sweep(self) -> int:
        """Delete deliveries delivered or given up on more than ``webhook_log_keep_days`` ago (hourly,
        on the scheduler); returns how many. One still waiting for its next attempt is never swept."""
        if not self.config.webhook_log_keep_days:
            return 0
        before = self.clock() - timedelta(days=self.config.webhook_log_keep_days)
        with self.storage.write() as tx:
            return tx.webhooks.delete_done(before)

    def deliver_pending(self, limit: int = BATCH) -> DeliveryReport:
        delivered = failed = given_up = 0
        with self.storage.read() as tx:
            due = tx.webhooks.due(self.clock(), limit)
        if not due:
            return DeliveryReport(0, 0, 0)
        with httpx.Client(
            timeout=self.config.webhook_timeout, follow_redirects=False, transport=self.transport
        ) as client:
            down: set[int] = set()  # receivers that did not answer this round: their rest waits
            for row in due:
                if row["webhook_id"] in down:
                    continue
                with self.storage.write() as tx:
                    if not tx.webhooks.claim(row["id"], row["next_attempt_at"], LEASE):
                        continue
                ok, status, error = self._post(client, row)
                if status is None and not ok:
                    down.add(row["webhook_id"])
                attempts = row["attempts"] + 1
                retry_at = None
                if not ok and attempts < MAX_ATTEMPTS:
                    retry_at = self.clock() + retry_delay(attempts)
                with self.storage.write() as tx:
                    tx.webhooks.attempted(row["id"], self.clock(), status, error, ok, retry_at)
                delivered += ok
                failed += not ok
                given_up += not ok and retry_at is None
        return DeliveryReport(delivered, failed, given_up)

    def _checked(self, url: str) -> Target:
        """A webhook URL the server may post to: public addresses only, unless the operator allows
        private ones (``webhook_allow_private``)."""
        try:
            return target(url, ANYWHERE if self.config.webhook_allow_private else ())
        except Refused as exc:
            raise Invalid(exc.message, fields={"url": exc.note}) from exc

    def _post(self, client: httpx.Client, row: dict[str, Any]) -> tuple[bool, int | None, str]:
        # Checked again at each attempt, and the connection goes to an address just checked: the
        # name may resolve elsewhere now than when the webhook was added (DNS rebinding).
        try:
            checked = self._checked(row["url"])
        except Invalid as exc:
            return False, None, exc.message
        body = row["payload"].encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Townhall-Webhook/1",
            "Townhall-Event": row["event"],
            "Townhall-Delivery": str(row["id"]),
            "Townhall-Timestamp": str(timestamp),
            "Townhall-Signature": sign(row["secret"], timestamp, body),
        }
        try:
            response = checked.send(client, "POST", headers, body)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        else:
            if 200 <= response.status_code < 300:
                return True, response.status_code, ""
            return False, response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"
        log.warning("webhook delivery %s to %s failed: %s", row["id"], row["url"], error)
        return False, None, error
