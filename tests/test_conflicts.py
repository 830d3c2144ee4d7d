"""Settings that cannot work together stop the start with one message naming them (real CLI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from townhall.config import ConfigError, load


def test_two_workers_on_sqlite_is_a_start_up_error_naming_the_settings(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'townhall.sqlite3'}"
    subprocess.run([sys.executable, "-m", "townhall", "--database-url", database, "migrate"], check=True)
    started = subprocess.run(
        [sys.executable, "-m", "townhall", "--database-url", database, "serve", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    message = started.stderr.strip()
    assert message.startswith("Error: ") and len(message.splitlines()) == 1, started.stderr
    assert "'workers' (command line)" in message and "'database_url' (command line)" in message
    assert "PostgreSQL" in message
    assert "Townhall on http" not in started.stdout  # refused before announcing anything


def test_two_workers_on_postgresql_are_fine() -> None:
    assert load(overrides={"workers": 2, "database_url": "postgresql://db.internal/townhall"}).workers == 2


@pytest.mark.parametrize(
    ("values", "names"),
    [
        (
            {"TOWNHALL_WORKERS": "3"},
            ["'workers' (environment variable TOWNHALL_WORKERS)", "'database_url' (default)"],
        ),
        ({"TOWNHALL_PAGE_SIZE": "150"}, ["'page_size'", "'max_page_size' (default)"]),
        (
            {"TOWNHALL_MAX_COMMENT_CHARS": "20000"},
            ["'max_body_bytes' (default)", "'max_comment_chars'", "88192"],
        ),
        (
            {"TOWNHALL_SMTP_HOST": "mail.internal", "TOWNHALL_PUBLIC_URL": "https://c.example"},
            ["'smtp_host'", "'mail_from' (default)"],
        ),
        (
            {"TOWNHALL_SMTP_HOST": "mail.internal", "TOWNHALL_MAIL_FROM": "c@news.example"},
            ["'smtp_host'", "'public_url' (default)"],
        ),
        ({"TOWNHALL_SMTP_USER": "mailer"}, ["'smtp_user'", "'smtp_password' (default)"]),
    ],
)
def test_each_conflict_names_its_settings_and_where_they_came_from(
    values: dict[str, str], names: list[str]
) -> None:
    with pytest.raises(ConfigError) as refused:
        load(environ=values)
    for name in names:
        assert name in str(refused.value)


def test_every_conflict_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "townhall.toml"
    path.write_text("workers = 2\npage_size = 150\nmax_page_size = 120\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load(path)
    message = str(refused.value)
    assert f"'workers' (config file {path})" in message and "'page_size'" in message


def test_the_defaults_and_a_consistent_mail_setup_load() -> None:
    load()
    load(
        environ={
            "TOWNHALL_SMTP_HOST": "mail.internal",
            "TOWNHALL_SMTP_USER": "mailer",
            "TOWNHALL_SMTP_PASSWORD": "secret",
            "TOWNHALL_MAIL_FROM": "c@news.example",
            "TOWNHALL_PUBLIC_URL": "https://comments.news.example",
            "TOWNHALL_MAX_COMMENT_CHARS": "20000",
            "TOWNHALL_MAX_BODY_BYTES": "90000",
        }
    )
