"""Backup and restore of a whole instance as versioned, gzipped JSON Lines.

The file (documented in docs/backup-format.md) is one header line, one line per row, and one
trailer line with the row counts, so a truncated file is refused rather than half restored::

    {"format": "townhall-backup", "version": 1, "schema": "0002", ...}
    {"table": "sites", "row": {"id": "ledger", ...}}
    ...
    {"end": true, "counts": {"sites": 1, "comments": 1200, ...}}
"""

from __future__ import annotations

import base64
import gzip
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import LargeBinary, Table

from townhall import __version__
from townhall.errors import Conflict, Invalid
from townhall.services.clock import Clock, utcnow
from townhall.storage import Storage, dump, migrate
from townhall.storage.schema import UTCDateTime, users

FORMAT = "townhall-backup"
VERSION = 1
BATCH = 1000
# Stands in for a password hash left out of a backup: it never verifies, so the account needs
# `townhall user reset-password` after a restore.
NO_PASSWORD = "!"  # noqa: S105 - not a password: a marker that matches none

Progress = Callable[[int], None]


@dataclass
class BackupSummary:
    schema: str
    counts: dict[str, int] = field(default_factory=dict)


def _encode(row: dict[str, Any]) -> dict[str, Any]:
    for name, value in row.items():
        if isinstance(value, bytes):
            row[name] = base64.b64encode(value).decode("ascii")
        elif isinstance(value, datetime):
            row[name] = value.isoformat()
    return row


def _utc(text: str) -> datetime:
    # In UTC whatever the offset written, so a column read back without its zone still means UTC.
    return datetime.fromisoformat(text).astimezone(UTC)


def _decoders(table: Table) -> dict[str, Callable[[Any], Any]]:
    decoders: dict[str, Callable[[Any], Any]] = {}
    for column in table.columns:
        if isinstance(column.type, UTCDateTime):
            decoders[column.name] = _utc
        elif isinstance(column.type, LargeBinary):
            decoders[column.name] = base64.b64decode
    return decoders


class BackupService:
    def __init__(self, storage: Storage, clock: Clock = utcnow):
        self.storage = storage
        self.clock = clock

    # -- export --------------------------------------------------------------------------------

    def export(
        self, path: Path, with_password_hashes: bool = False, progress: Progress | None = None
    ) -> BackupSummary:
        """Write every table to ``path`` (gzip JSON Lines), streamed from one consistent snapshot."""
        schema = self.storage.revision() or ""
        summary = BackupSummary(schema)
        tables = dump.tables()
        header = {
            "format": FORMAT,
            "version": VERSION,
            "schema": schema,
            "townhall": __version__,
            "created_at": self.clock().isoformat(),
            "password_hashes": with_password_hashes,
            "tables": [str(table.name) for table in tables],
        }
        partial = path.with_name(path.name + ".partial")
        with gzip.open(partial, "wb", compresslevel=6) as out, self.storage.snapshot() as tx:
            out.write(orjson.dumps(header) + b"\n")
            for table in tables:
                count = 0
                for row in tx.dump.rows(table):
                    if table is users and not with_password_hashes:
                        # Sign-in secrets stay out: a new password (and one-time-code app) after a restore.
                        row["password_hash"] = None
                        if "totp_secret" in row:
                            row["totp_secret"] = None
                    out.write(orjson.dumps({"table": str(table.name), "row": _encode(row)}) + b"\n")
                    count += 1
                    if progress and count % BATCH == 0:
                        progress(BATCH)
                if progress:
                    progress(count % BATCH)
                summary.counts[str(table.name)] = count
            out.write(orjson.dumps({"end": True, "counts": summary.counts}) + b"\n")
        partial.replace(path)  # a crash mid-export never leaves a file that looks complete
        return summary

    # -- restore -------------------------------------------------------------------------------

    def restore(self, path: Path, progress: Progress | None = None) -> BackupSummary:
        """Load a backup into an empty database, all in one transaction (nothing on any error)."""
        with _open(path) as lines:
            header = _header(next(lines, None))
            schema = header["schema"]
            self._prepare(schema)
            summary = BackupSummary(schema)
            with self.storage.write() as tx:
                self._refuse_non_empty(tx.dump.counts())
                self._load(tx, lines, header, summary, progress)
                tx.dump.reset_sequences()
        if schema != migrate.head_revision():
            self.storage.migrate()  # bring an older backup up to this version's schema
        return summary

    def _prepare(self, schema: str) -> None:
        if schema not in migrate.known_revisions():
            raise Invalid(
                f"this backup has schema {schema!r}, which this version of Townhall does not know "
                "(made by a newer Townhall?)"
            )
        current = self.storage.revision()
        if current is None:
            self.storage.migrate(schema)
        elif current != schema:
            raise Conflict(
                f"the database schema is at {current} but the backup is at {schema}: "
                "restore into a new, empty database (Townhall creates the schema)",
                code="schema_mismatch",
            )

    @staticmethod
    def _refuse_non_empty(counts: dict[str, int]) -> None:
        filled = {name: count for name, count in counts.items() if count}
        if filled:
            listed = ", ".join(f"{count} {name}" for name, count in sorted(filled.items()))
            raise Conflict(
                f"the database is not empty ({listed}): restore needs an empty database",
                code="database_not_empty",
            )

    def _load(
        self,
        tx: Any,
        lines: Iterator[tuple[int, bytes]],
        header: dict[str, Any],
        summary: BackupSummary,
        progress: Progress | None,
    ) -> None:
        by_name = {str(table.name): table for table in dump.tables()}
        decoders = {name: _decoders(table) for name, table in by_name.items()}
        if header["schema"] != migrate.head_revision():
            # Rows of an older schema go into the tables as that schema made them; the migrations
            # that run afterwards bring them up to date, as they would have the live database.
            live = tx.dump.live_tables()
            by_name = {name: live[name] for name in by_name if name in live}
        batch: list[dict[str, Any]] = []
        current: Table | None = None
        done: set[str] = set()
        trailer = None
        for number, raw in lines:
            record = _record(number, raw)
            if trailer is not None:
                raise Invalid(f"line {number}: data after the end of the backup")
            if record.get("end") is True:
                trailer = record
                continue
            name, row = record.get("table"), record.get("row")
            table = by_name.get(name) if isinstance(name, str) else None
            if table is None or not isinstance(row, dict):
                raise Invalid(f"line {number}: not a row of a known table")
            if table is not current:
                if current is not None:
                    tx.dump.insert(current, batch)
                    if progress:
                        progress(len(batch))
                    batch = []
                    done.add(current.name)
                if table.name in done:
                    raise Invalid(f"line {number}: rows of {table.name} are not together")
                current = table
            unknown = set(row) - set(table.c.keys())
            if unknown:
                raise Invalid(f"line {number}: {table.name} has no column {sorted(unknown)[0]!r}")
            for column, decode in decoders[table.name].items():
                if row.get(column) is not None:
                    row[column] = decode(row[column])
            if table.name == users.name and row.get("password_hash") is None:
                row["password_hash"] = NO_PASSWORD
            batch.append(row)
            summary.counts[str(table.name)] = summary.counts.get(str(table.name), 0) + 1
            if len(batch) >= BATCH:
                tx.dump.insert(table, batch)
                batch = []
                if progress:
                    progress(BATCH)
        if current is not None:
            tx.dump.insert(current, batch)
            if progress:
                progress(len(batch))
        if trailer is None:
            raise Invalid("the backup ends early (no end line): the file is truncated")
        expected = {k: v for k, v in dict(trailer.get("counts") or {}).items() if v}
        if expected != {k: v for k, v in summary.counts.items() if v}:
            raise Invalid("the backup's row counts do not match its end line: the file is damaged")
        for name in header.get("tables", []):
            summary.counts.setdefault(name, 0)


class _open:
    """Numbered lines of a gzip file, with gzip and I/O errors turned into a readable message."""

    def __init__(self, path: Path):
        self.path = path
        self.file: gzip.GzipFile | None = None

    def __enter__(self) -> Iterator[tuple[int, bytes]]:
        try:
            self.file = gzip.open(self.path, "rb")
        except OSError as exc:
            raise Invalid(f"cannot read {self.path}: {exc}") from exc
        return self._lines()

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        assert self.file is not None
        try:
            yield from enumerate(self.file, start=1)
        except (OSError, EOFError, zlib.error) as exc:
            raise Invalid(f"{self.path} is not a complete gzip file: {exc}") from exc

    def __exit__(self, *_exc: object) -> None:
        if self.file is not None:
            self.file.close()


def _record(number: int, raw: bytes) -> dict[str, Any]:
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"line {number}: not JSON ({exc})") from exc
    if not isinstance(record, dict):
        raise Invalid(f"line {number}: not a JSON object")
    return record


def _header(line: tuple[int, bytes] | None) -> dict[str, Any]:
    if line is None:
        raise Invalid("the backup file is empty")
    header = _record(*line)
    if header.get("format") != FORMAT:
        raise Invalid("not a Townhall backup (the first line has no format: townhall-backup)")
    if header.get("version") != VERSION:
        raise Invalid(
            f"backup format version {header.get('version')!r} is not supported (this reads {VERSION})"
        )
    if not isinstance(header.get("schema"), str):
        raise Invalid("the backup's header has no schema revision")
    return header
