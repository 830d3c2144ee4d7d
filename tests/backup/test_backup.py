"""Backup and restore: SQLite → export → PostgreSQL → export is the same file; bad files restore nothing."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import ORIGIN, FakeClock, _truncate
from townhall.config import load
from townhall.errors import Conflict, Invalid, Unauthorized
from townhall.services import Services, build_services
from townhall.services.backup import BackupService
from townhall.services.identity import Identity, guest
from townhall.storage import Storage
from townhall.types import ActorKind, AuthorKind

URL = f"{ORIGIN}/city/tram-line"


def _services(storage: Storage, clock: FakeClock) -> Services:
    config = load(overrides={"fetch_articles": False, "moderation_enabled": False})
    return build_services(config, storage, "test-secret", clock=clock)


def _fill(services: Services, clock: FakeClock) -> None:
    """A small instance with something in every table a backup holds."""
    site = services.sites.add("ledger", "The Ledger", [ORIGIN])
    services.sites.update_settings("ledger", {"banned_words": ["scam"], "auto_close_days": 30})
    services.sites.rotate_sso_secret("ledger")
    services.sites.create_key("ledger", "cms")
    story = services.stories.push(
        site, URL, {"title": "A new tram line", "text": "The council voted."}, "cms"
    )
    ana = guest("Ana", "ana@example.org", "reader-ana-0000001", "test-secret")
    top = services.comments.post(site, URL, "Finally, a tram.", ana).comment
    clock.advance(minutes=5)
    reply = services.comments.post(
        site, URL, "It will be **late**.", guest("Bo", None, "reader-bo-00001", "s"), top.id
    )
    sso = Identity(AuthorKind.SSO, "user-42", "Cai", "cai@example.org")
    third = services.comments.post(site, URL, "Who pays for it?", sso).comment
    services.feedback.vote(top.id, "voter-hash-1", 1)
    services.feedback.report(reply.comment.id, "reporter-hash-1", "abuse", "rude")
    services.queue.reject(third.id, "mod", "off topic")
    services.accounts.add("editor", "admin", "correct horse battery staple")
    services.accounts.login("editor", "correct horse battery staple")
    services.stories.close(story.id, ActorKind.PUBLISHER, "cms", "archive")


def _lines(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as file:
        return [json.loads(line) for line in file]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def postgres_storage(postgres_url: str) -> Iterator[Storage]:
    storage = Storage(postgres_url)
    _truncate(storage)
    yield storage
    storage.close()


def test_sqlite_to_postgres_round_trip_gives_the_same_backup(
    sqlite_storage: Storage, postgres_storage: Storage, clock: FakeClock, tmp_path: Path
) -> None:
    _fill(_services(sqlite_storage, clock), clock)
    first, second = tmp_path / "first.jsonl.gz", tmp_path / "second.jsonl.gz"
    exported = BackupService(sqlite_storage, clock).export(first, with_password_hashes=True)
    assert exported.counts["comments"] == 3 and exported.counts["comment_events"] == 4
    assert exported.counts["votes"] == 1 and exported.counts["reports"] == 1 and exported.counts["users"] == 1

    restored = BackupService(postgres_storage, clock).restore(first)
    assert restored.counts == exported.counts
    BackupService(postgres_storage, clock).export(second, with_password_hashes=True)
    assert _lines(first) == _lines(second)

    # The restored instance works: ids continue after the largest restored id (sequences reset).
    services = _services(postgres_storage, clock)
    site = services.sites.get("ledger")
    services.stories.reopen(1, ActorKind.PUBLISHER, "cms")
    posted = services.comments.post(
        site, URL, "After the restore.", guest("Di", None, "reader-di-000001", "s")
    )
    assert posted.comment.id == 4
    assert services.accounts.authenticate("editor", "correct horse battery staple").name == "editor"


def test_backup_leaves_out_password_hashes_and_sessions_unless_asked(
    sqlite_storage: Storage, clock: FakeClock, tmp_path: Path
) -> None:
    _fill(_services(sqlite_storage, clock), clock)
    path = tmp_path / "b.jsonl.gz"
    BackupService(sqlite_storage, clock).export(path)
    lines = _lines(path)
    header, trailer = lines[0], lines[-1]
    assert (
        header["format"] == "townhall-backup"
        and header["version"] == 1
        and header["password_hashes"] is False
    )
    assert "sessions" not in header["tables"] and trailer["end"] is True
    users = [line["row"] for line in lines[1:-1] if line["table"] == "users"]
    assert users and all(user["password_hash"] is None and user["totp_secret"] is None for user in users)
    emails = [line["row"]["email"] for line in lines[1:-1] if line["table"] == "authors"]
    assert "ana@example.org" in emails  # a backup is the whole instance: keep the file safe

    target = Storage(f"sqlite:///{tmp_path / 'restored.sqlite3'}")  # never migrated: restore creates it
    BackupService(target, clock).restore(path)
    services = _services(target, clock)
    with pytest.raises(Unauthorized, match="password"):
        services.accounts.authenticate("editor", "correct horse battery staple")
    services.accounts.reset_password("editor", "a brand new passphrase")
    assert services.accounts.authenticate("editor", "a brand new passphrase").name == "editor"
    target.close()


def _filled_backup(tmp_path: Path, clock: FakeClock) -> Path:
    """A backup of a small filled SQLite instance."""
    source = Storage(f"sqlite:///{tmp_path / 'source.sqlite3'}")
    source.migrate()
    _fill(_services(source, clock), clock)
    path = tmp_path / "filled.jsonl.gz"
    BackupService(source, clock).export(path)
    source.close()
    return path


def test_restore_refuses_a_database_that_is_not_empty(
    storage: Storage, clock: FakeClock, tmp_path: Path
) -> None:
    path = _filled_backup(tmp_path, clock)
    _services(storage, clock).sites.add("other", "Other", [ORIGIN])
    with pytest.raises(Conflict, match=r"not empty \(1 sites\)"):
        BackupService(storage, clock).restore(path)


def _write(path: Path, lines: list[dict]) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as file:
        for line in lines:
            file.write(json.dumps(line) + "\n")


def test_a_damaged_backup_restores_nothing(storage: Storage, clock: FakeClock, tmp_path: Path) -> None:
    good = _filled_backup(tmp_path, clock)
    lines = _lines(good)

    truncated = tmp_path / "truncated.jsonl.gz"
    _write(truncated, lines[:-3])
    with pytest.raises(Invalid, match="truncated"):
        BackupService(storage, clock).restore(truncated)

    bad_row = tmp_path / "bad-row.jsonl.gz"
    _write(bad_row, [*lines[:5], {"table": "comments", "row": {"id": 1, "colour": "red"}}, *lines[5:]])
    with pytest.raises(Invalid, match="line 6"):
        BackupService(storage, clock).restore(bad_row)

    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(good.read_bytes()[:-40])
    with pytest.raises(Invalid, match="gzip"):
        BackupService(storage, clock).restore(cut)

    not_backup = tmp_path / "other.jsonl.gz"
    _write(not_backup, [{"hello": "world"}])
    with pytest.raises(Invalid, match="not a Townhall backup"):
        BackupService(storage, clock).restore(not_backup)

    with storage.read() as tx:
        assert not any(tx.dump.counts().values())
    with storage.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM sites")).scalar() == 0


def test_export_and_restore_commands(tmp_path: Path, clock: FakeClock) -> None:
    from click.testing import CliRunner  # noqa: PLC0415

    from townhall.cli import main  # noqa: PLC0415

    source_url = f"sqlite:///{tmp_path / 'source.sqlite3'}"
    source = Storage(source_url)
    source.migrate()
    _fill(_services(source, clock), clock)
    source.close()
    path = tmp_path / "backup.jsonl.gz"
    runner = CliRunner()
    result = runner.invoke(main, ["--database-url", source_url, "export", "--output", str(path), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "comments: 3" in result.output and path.exists()

    target_url = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    result = runner.invoke(main, ["--database-url", target_url, "restore", str(path), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "comments: 3" in result.output and "reset-password" in result.output
    again = runner.invoke(main, ["--database-url", target_url, "restore", str(path), "--quiet"])
    assert again.exit_code == 1 and "restore needs an empty database" in again.output


def test_a_backup_from_an_older_schema_is_restored_then_migrated(tmp_path: Path, clock: FakeClock) -> None:
    """A backup written at revision 0002 (before comments kept their author's name) comes back,
    and the later migrations run over it as they would have over the live database."""
    from sqlalchemy import inspect  # noqa: PLC0415

    from townhall.storage import migrate  # noqa: PLC0415

    old = Storage(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    old.migrate("0002")
    with old.engine.connect() as connection:
        columns = {
            name: {c["name"] for c in inspect(connection).get_columns(name)}
            for name in inspect(connection).get_table_names()
        }
    old.close()
    lines = _lines(_filled_backup(tmp_path, clock))
    header, rows, trailer = lines[0], lines[1:-1], lines[-1]
    kept = [
        {"table": line["table"], "row": {k: v for k, v in line["row"].items() if k in columns[line["table"]]}}
        for line in rows
        if line["table"] in columns
    ]
    counts = {
        name: sum(1 for line in kept if line["table"] == name)
        for name in trailer["counts"]
        if name in columns
    }
    older = tmp_path / "older.jsonl.gz"
    _write(
        older, [{**header, "schema": "0002", "tables": list(counts)}, *kept, {"end": True, "counts": counts}]
    )

    target = Storage(f"sqlite:///{tmp_path / 'target.sqlite3'}")
    summary = BackupService(target, clock).restore(older)
    assert summary.schema == "0002" and summary.counts["comments"] == 3
    assert target.revision() == migrate.head_revision()
    with target.read() as tx:
        backfilled = (
            tx.connection.exec_driver_sql("SELECT author_name FROM comments ORDER BY id").scalars().all()
        )
    assert backfilled == ["Ana", "Bo", "Cai"]  # filled in by migration 0004 after the restore
    thread = _services(target, clock).comments.thread(_services(target, clock).stories.get(1))
    assert {c.author.name for c in thread.comments} == {"Ana", "Bo"}  # Cai's was rejected
    target.close()
