"""Webhooks per site and their deliveries (a persistent queue and the delivery log)."""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from townhall.storage import _queued
from townhall.storage.schema import webhook_deliveries, webhooks

# Read by every write that changes a comment (services/webhooks.py's before-commit hook): built once.
_ACTIVE_OF_SITE = (
    select(webhooks)
    .where(webhooks.c.site_id == bindparam("p_site"), webhooks.c.active.is_(True))
    .order_by(webhooks.c.id)
)


class WebhookRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    def add(self, site_id: str, url: str, secret: str, events: builtins.list[str], now: datetime) -> int:
        result = self.c.execute(
            insert(webhooks).values(
                site_id=site_id, url=url, secret=secret, events=events, active=True, created_at=now
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def get(self, webhook_id: int) -> dict[str, Any] | None:
        row = self.c.execute(select(webhooks).where(webhooks.c.id == webhook_id)).mappings().first()
        return dict(row) if row else None

    def list(self, site_id: str | None = None, active_only: bool = False) -> builtins.list[dict[str, Any]]:
        if site_id is not None and active_only:  # asked by every write that changes a comment
            rows = self.c.execute(_ACTIVE_OF_SITE, {"p_site": site_id})
            return [dict(row) for row in rows.mappings()]
        query = select(webhooks).order_by(webhooks.c.id)
        if site_id is not None:
            query = query.where(webhooks.c.site_id == site_id)
        if active_only:
            query = query.where(webhooks.c.active.is_(True))
        return [dict(row) for row in self.c.execute(query).mappings()]

    def remove(self, webhook_id: int) -> bool:
        return self.c.execute(delete(webhooks).where(webhooks.c.id == webhook_id)).rowcount == 1

    def set_active(self, webhook_id: int, active: bool) -> None:
        self.c.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(active=active))

    # -- deliveries ----------------------------------------------------------------------------

    def enqueue(self, webhook_id: int, event: str, payload: str, now: datetime) -> int:
        return _queued.enqueue(
            self.c, webhook_deliveries, now, webhook_id=webhook_id, event=event, payload=payload
        )

    def due(self, now: datetime, limit: int) -> builtins.list[dict[str, Any]]:
        query = (
            select(
                webhook_deliveries,
                webhooks.c.url,
                webhooks.c.secret,
                webhooks.c.site_id,
            )
            .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
            .where(webhook_deliveries.c.next_attempt_at <= now)
            .order_by(webhook_deliveries.c.next_attempt_at, webhook_deliveries.c.id)
            .limit(limit)
        )
        return [dict(row) for row in self.c.execute(query).mappings()]

    def claim(self, delivery_id: int, seen_at: datetime, lease: timedelta) -> bool:
        return _queued.claim(self.c, webhook_deliveries, delivery_id, seen_at, lease)

    def attempted(
        self,
        delivery_id: int,
        now: datetime,
        status: int | None,
        error: str,
        delivered: bool,
        retry_at: datetime | None,
    ) -> None:
        self.c.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id == delivery_id)
            .values(
                attempts=webhook_deliveries.c.attempts + 1,
                last_status=status,
                last_error=error[:2000],
                delivered_at=now if delivered else None,
                next_attempt_at=None if delivered else retry_at,
                failed_at=None if delivered or retry_at else now,
            )
        )

    def delete_done(self, before: datetime) -> int:
        """Delete deliveries delivered, or given up on, before ``before``; those still waiting stay."""
        return _queued.delete_done(self.c, webhook_deliveries, webhook_deliveries.c.delivered_at, before)

    def delivery(self, delivery_id: int) -> dict[str, Any] | None:
        query = select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
        row = self.c.execute(query).mappings().first()
        return dict(row) if row else None

    def deliveries(self, site_id: str, limit: int = 50) -> builtins.list[dict[str, Any]]:
        """The site's newest deliveries, for the delivery log."""
        query = (
            select(webhook_deliveries, webhooks.c.url)
            .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
            .where(webhooks.c.site_id == site_id)
            .order_by(webhook_deliveries.c.id.desc())
            .limit(limit)
        )
        return [dict(row) for row in self.c.execute(query).mappings()]
