"""The mail outbox: messages queued in the transaction that causes them, claimed and sent by a worker."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, update

from townhall.storage import _queued
from townhall.storage.schema import mail_outbox


class OutboxRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    def enqueue(
        self,
        kind: str,
        to_addr: str,
        subject: str,
        body_text: str,
        headers: dict[str, str],
        now: datetime,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Queue a message; None when one with the same ``dedupe_key`` was queued before."""
        if dedupe_key is not None:
            seen = select(mail_outbox.c.id).where(mail_outbox.c.dedupe_key == dedupe_key)
            if self.c.execute(seen).first() is not None:
                return None
        return _queued.enqueue(
            self.c,
            mail_outbox,
            now,
            kind=kind,
            dedupe_key=dedupe_key,
            to_addr=to_addr,
            subject=subject,
            body_text=body_text,
            headers=headers,
        )

    def due(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        query = (
            select(mail_outbox)
            .where(mail_outbox.c.next_attempt_at <= now)
            .order_by(mail_outbox.c.next_attempt_at, mail_outbox.c.id)
            .limit(limit)
        )
        return [dict(row) for row in self.c.execute(query).mappings()]

    def claim(self, message_id: int, seen_at: datetime, lease: timedelta) -> bool:
        """Take a due message for ``lease`` so no other worker sends it meanwhile."""
        return _queued.claim(self.c, mail_outbox, message_id, seen_at, lease)

    def sent(self, message_id: int, now: datetime) -> None:
        self.c.execute(
            update(mail_outbox)
            .where(mail_outbox.c.id == message_id)
            .values(sent_at=now, next_attempt_at=None, attempts=mail_outbox.c.attempts + 1, last_error="")
        )

    def failed(self, message_id: int, error: str, retry_at: datetime | None, now: datetime) -> None:
        """A failed attempt: try again at ``retry_at``, or give up when it is None."""
        self.c.execute(
            update(mail_outbox)
            .where(mail_outbox.c.id == message_id)
            .values(
                attempts=mail_outbox.c.attempts + 1,
                next_attempt_at=retry_at,
                failed_at=None if retry_at else now,
                last_error=error[:2000],
            )
        )

    def delete_done(self, before: datetime) -> int:
        """Delete messages sent, or given up on, before ``before``; those still waiting stay."""
        return _queued.delete_done(self.c, mail_outbox, mail_outbox.c.sent_at, before)

    def get(self, message_id: int) -> dict[str, Any] | None:
        row = self.c.execute(select(mail_outbox).where(mail_outbox.c.id == message_id)).mappings().first()
        return dict(row) if row else None

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        query = select(mail_outbox).order_by(mail_outbox.c.id.desc()).limit(limit)
        return [dict(row) for row in self.c.execute(query).mappings()]

    def counts(self) -> dict[str, int]:
        """Messages waiting, sent and given up."""
        row = self.c.execute(
            select(
                func.count(mail_outbox.c.sent_at),
                func.count(mail_outbox.c.failed_at),
                func.count(mail_outbox.c.next_attempt_at),
            )
        ).first()
        assert row is not None
        return {"sent": int(row[0]), "failed": int(row[1]), "waiting": int(row[2])}
