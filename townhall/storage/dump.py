"""Whole-instance rows for backup and restore: every table, streamed in primary-key order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, MetaData, Table, func, insert, inspect, select

from townhall.storage.schema import metadata, rate_counters, sessions

# Sessions are short-lived logins: a restored instance starts with everyone signed out.
# Rate-limit counters live a minute or two.
SKIPPED_TABLES = frozenset({sessions.name, rate_counters.name})
# A story's stored article representation is a cache the moderation models rebuild on demand.
SKIPPED_COLUMNS = {"stories": frozenset({"representation", "representation_version"})}


def tables() -> list[Table]:
    """The tables a backup holds, parents before children (so a restore can insert in this order)."""
    return [table for table in metadata.sorted_tables if table.name not in SKIPPED_TABLES]


def columns(table: Table) -> list[str]:
    skipped = SKIPPED_COLUMNS.get(table.name, frozenset())
    return [column.name for column in table.columns if column.name not in skipped]


class DumpRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    def rows(self, table: Table, batch: int = 1000) -> Iterator[dict[str, Any]]:
        """Every row of a table in primary-key order, fetched ``batch`` rows at a time."""
        query = select(*(table.c[name] for name in columns(table))).order_by(*table.primary_key.columns)
        result = self.c.execution_options(stream_results=True, yield_per=batch).execute(query)
        for row in result.mappings():
            yield {str(key): value for key, value in row.items()}

    def insert(self, table: Table, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        if rows:
            self.c.execute(insert(table), rows)

    def live_tables(self) -> dict[str, Table]:
        """The tables as the database has them now (an older schema, during a restore)."""
        live = MetaData()
        live.reflect(bind=self.c)
        return {str(name): table for name, table in live.tables.items()}

    def counts(self) -> dict[str, int]:
        """Rows per table, for the tables a backup holds (an empty database has none)."""
        present = set(inspect(self.c).get_table_names())  # an older schema may lack newer tables
        return {
            str(table.name): int(self.c.execute(select(func.count()).select_from(table)).scalar() or 0)
            for table in tables()
            if table.name in present
        }

    def reset_sequences(self) -> None:
        """After inserting explicit ids on PostgreSQL, move each id sequence past the largest id."""
        if self.c.dialect.name != "postgresql":
            return  # SQLite's INTEGER PRIMARY KEY continues from max(id) by itself
        for table in tables():
            key = list(table.primary_key.columns)
            if len(key) != 1 or not key[0].autoincrement or key[0].type.python_type is not int:
                continue
            column = key[0]
            sequence = func.pg_get_serial_sequence(str(table.name), str(column.name))
            biggest = func.max(column)
            self.c.execute(select(func.setval(sequence, func.coalesce(biggest, 1), biggest.is_not(None))))
