"""Rate-limit counters kept in the database when there is no Redis (see services/counters.py)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from townhall.storage.schema import rate_counters


class LimitRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    def hit(self, key: str, window: int, limit: int, previous_weight: float, expires: int) -> bool:
        """Count one attempt; undo it and answer False when it would pass the limit.

        The upsert locks the counter's row until the transaction ends, so concurrent attempts on
        one key (in any process) are counted one after another."""
        dialect = sqlite if self.c.dialect.name == "sqlite" else postgresql
        upsert = dialect.insert(rate_counters).values(key=key, slot=window, hits=1, expires=expires)
        upsert = upsert.on_conflict_do_update(
            index_elements=[rate_counters.c.key, rate_counters.c.slot],
            set_={"hits": rate_counters.c.hits + 1},
        ).returning(rate_counters.c.hits)
        current = int(self.c.execute(upsert).scalar_one())
        previous = self.c.execute(
            select(rate_counters.c.hits).where(rate_counters.c.key == key, rate_counters.c.slot == window - 1)
        ).scalar()
        if (previous or 0) * previous_weight + current <= limit:
            return True
        self.c.execute(
            update(rate_counters)
            .where(rate_counters.c.key == key, rate_counters.c.slot == window)
            .values(hits=rate_counters.c.hits - 1)
        )
        return False

    def counts(self, key: str, window: int) -> tuple[int, int]:
        """(previous window's hits, this window's hits) of a key."""
        rows = self.c.execute(
            select(rate_counters.c.slot, rate_counters.c.hits).where(
                rate_counters.c.key == key, rate_counters.c.slot.in_([window - 1, window])
            )
        )
        hits = {row.slot: row.hits for row in rows}
        return hits.get(window - 1, 0), hits.get(window, 0)

    def clear(self, key: str) -> None:
        self.c.execute(delete(rate_counters).where(rate_counters.c.key == key))

    def expire(self, now: int) -> None:
        self.c.execute(delete(rate_counters).where(rate_counters.c.expires < now))
