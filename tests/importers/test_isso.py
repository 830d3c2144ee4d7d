"""Isso import on SQLite and PostgreSQL, from a database with Isso's own schema."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ORIGIN
from tests.importers.conftest import counts
from townhall.cli import main
from townhall.errors import Invalid
from townhall.importers import isso
from townhall.models import Site
from townhall.services import Services
from townhall.services.imports import ImportService
from townhall.types import CommentStatus

# Isso's schema as its own code creates it (threads, comments, preferences).
SCHEMA = """
CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE comments (
    tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
    created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR,
    text VARCHAR, author VARCHAR, email VARCHAR, website VARCHAR,
    likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL,
    notification INTEGER DEFAULT 0);
CREATE TABLE preferences (key VARCHAR PRIMARY KEY, value VARCHAR);
"""
T0 = datetime(2022, 3, 1, 12, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def isso_db(tmp_path: Path) -> Path:
    path = tmp_path / "comments.db"
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        db.executemany(
            "INSERT INTO threads VALUES (?, ?, ?)",
            [
                (1, "/2022/03/market-hall/", "The market hall gets a new roof"),
                (2, "/2022/04/cycle-lanes/", None),
            ],
        )
        rows = [
            (
                1,
                1,
                None,
                T0,
                1,
                "The old roof leaked onto the *cheese* stall for years.",
                "Ines",
                "ines@example.org",
            ),
            (1, 2, 1, T0 + 60, 1, "It did, I remember the buckets.", "Tomas", None),
            (1, 3, None, T0 + 120, 4, "", None, None),  # deleted in Isso, kept for its reply
            (1, 4, 3, T0 + 180, 1, "Still, who pays for the roof?", "Ines", "ines@example.org"),
            (2, 5, None, T0 + 86400, 2, "Waiting for a moderator in Isso.", None, None),
        ]
        db.executemany(
            "INSERT INTO comments (tid, id, parent, created, mode, text, author, email, voters) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, x'00')",
            rows,
        )
    return path


def _import(services: Services, site: Site, path: Path):
    return ImportService(services.storage).run(site, "isso", isso.read(path, ORIGIN))


def test_isso_database_comes_in(services: Services, site: Site, isso_db: Path) -> None:
    summary = _import(services, site, isso_db)
    assert (summary.stories, summary.comments, summary.authors) == (2, 5, 3)
    market = services.stories.find(site, f"{ORIGIN}/2022/03/market-hall/")
    assert market and market.title == "The market hall gets a new roof" and market.comment_count == 3
    page = services.comments.thread(market)
    by_body = {c.body: c for c in page.comments}
    first = by_body["The old roof leaked onto the *cheese* stall for years."]
    assert "<em>cheese</em>" in first.html and first.created_at == datetime(2022, 3, 1, 12, 0, tzinfo=UTC)
    assert by_body["It did, I remember the buckets."].parent_id == first.id
    placeholder = by_body[""]
    assert placeholder.status is CommentStatus.DELETED
    assert by_body["Still, who pays for the roof?"].parent_id == placeholder.id
    again = _import(services, site, isso_db)
    assert again.comments == 0 and again.skipped["already imported"] == 5


def test_not_an_isso_database_is_refused(services: Services, site: Site, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (id INTEGER)")
    with pytest.raises(Invalid, match="not an Isso database"):
        _import(services, site, other)
    text = tmp_path / "text.db"
    text.write_text("hello, not a database at all " * 100)
    with pytest.raises(Invalid, match="not an SQLite database"):
        _import(services, site, text)
    assert set(counts(services)) == {"sites"}


def test_import_isso_command(tmp_path: Path, isso_db: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    runner = CliRunner()
    for args in (["migrate"], ["site", "add", "gazette", "--name", "Gazette", "--origin", ORIGIN]):
        assert runner.invoke(main, ["--database-url", url, *args]).exit_code == 0
    args = ["--database-url", url, "import", "isso", str(isso_db), "--site", "gazette", "--quiet"]
    result = runner.invoke(main, [*args, "--dry-run"])
    assert result.exit_code == 0 and "would import (dry run, nothing written)" in result.output
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "stories: 2 new" in result.output and "comments: 5" in result.output
