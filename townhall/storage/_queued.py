"""What the mail outbox and webhook deliveries share: rows that wait for an attempt, leased to one worker."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Connection, Table, and_, delete, insert, update


def enqueue(connection: Connection, table: Table, now: datetime, **values: Any) -> int:
    """A new row, due now, not yet attempted."""
    result = connection.execute(
        insert(table).values(created_at=now, attempts=0, next_attempt_at=now, last_error="", **values)
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def claim(connection: Connection, table: Table, row_id: int, seen_at: datetime, lease: timedelta) -> bool:
    """Take a due row for ``lease`` so no other worker attempts it meanwhile; False if one already has.

    The update only matches while ``next_attempt_at`` is still what the caller read, so of two
    workers that read the same row, one wins.
    """
    result = connection.execute(
        update(table)
        .where(and_(table.c.id == row_id, table.c.next_attempt_at == seen_at))
        .values(next_attempt_at=seen_at + lease)
    )
    return result.rowcount == 1


def delete_done(connection: Connection, table: Table, done_at: Column[Any], before: datetime) -> int:
    """Delete the rows finished (``done_at``) or given up on (``failed_at``) before ``before``;
    rows still waiting for an attempt stay. Returns how many went."""
    finished = (done_at < before) | (table.c.failed_at < before)
    return int(connection.execute(delete(table).where(finished)).rowcount or 0)
