"""Readers' reply notifications (confirmed by e-mail) and moderators' digests of held comments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update

from townhall.storage.schema import digest_subscriptions, reply_subscriptions


class SubscriptionRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    # -- reply notifications ---------------------------------------------------------------------

    def add_reply(
        self, site_id: str, comment_id: int, author_id: int, email: str, now: datetime, confirmed: bool
    ) -> int:
        result = self.c.execute(
            insert(reply_subscriptions).values(
                site_id=site_id,
                comment_id=comment_id,
                author_id=author_id,
                email=email,
                confirmed_at=now if confirmed else None,
                created_at=now,
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def reply(self, subscription_id: int) -> dict[str, Any] | None:
        query = select(reply_subscriptions).where(reply_subscriptions.c.id == subscription_id)
        row = self.c.execute(query).mappings().first()
        return dict(row) if row else None

    def reply_for_comment(self, comment_id: int) -> dict[str, Any] | None:
        query = select(reply_subscriptions).where(reply_subscriptions.c.comment_id == comment_id)
        row = self.c.execute(query).mappings().first()
        return dict(row) if row else None

    def confirmed_by(self, site_id: str, email: str, author_id: int) -> bool:
        """Has this author already confirmed this address on this site (and not unsubscribed since)?"""
        query = select(reply_subscriptions.c.id).where(
            reply_subscriptions.c.site_id == site_id,
            reply_subscriptions.c.email == email,
            reply_subscriptions.c.author_id == author_id,
            reply_subscriptions.c.confirmed_at.is_not(None),
            reply_subscriptions.c.unsubscribed_at.is_(None),
        )
        return self.c.execute(query.limit(1)).first() is not None

    def confirm_reply(self, subscription_id: int, now: datetime) -> bool:
        result = self.c.execute(
            update(reply_subscriptions)
            .where(
                and_(
                    reply_subscriptions.c.id == subscription_id,
                    reply_subscriptions.c.confirmed_at.is_(None),
                    reply_subscriptions.c.unsubscribed_at.is_(None),
                )
            )
            .values(confirmed_at=now)
        )
        return result.rowcount == 1

    def unsubscribe_address(self, site_id: str, email: str, now: datetime) -> int:
        """Stop every reply notification to this address on this site."""
        result = self.c.execute(
            update(reply_subscriptions)
            .where(
                reply_subscriptions.c.site_id == site_id,
                reply_subscriptions.c.email == email,
                reply_subscriptions.c.unsubscribed_at.is_(None),
            )
            .values(unsubscribed_at=now)
        )
        return int(result.rowcount)

    # -- moderators' digests ---------------------------------------------------------------------

    def set_digest(self, user_id: int, email: str, period_hours: int, now: datetime) -> None:
        self.c.execute(delete(digest_subscriptions).where(digest_subscriptions.c.user_id == user_id))
        self.c.execute(
            insert(digest_subscriptions).values(
                user_id=user_id, email=email, period_hours=period_hours, last_sent_at=now, created_at=now
            )
        )

    def drop_digest(self, user_id: int) -> bool:
        result = self.c.execute(delete(digest_subscriptions).where(digest_subscriptions.c.user_id == user_id))
        return result.rowcount == 1

    def digest(self, user_id: int) -> dict[str, Any] | None:
        query = select(digest_subscriptions).where(digest_subscriptions.c.user_id == user_id)
        row = self.c.execute(query).mappings().first()
        return dict(row) if row else None

    def digests(self) -> list[dict[str, Any]]:
        query = select(digest_subscriptions).order_by(digest_subscriptions.c.user_id)
        return [dict(row) for row in self.c.execute(query).mappings()]

    def digest_sent(self, user_id: int, now: datetime) -> None:
        self.c.execute(
            update(digest_subscriptions)
            .where(digest_subscriptions.c.user_id == user_id)
            .values(last_sent_at=now)
        )
