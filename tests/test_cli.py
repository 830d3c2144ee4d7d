"""The `townhall` command through click's CliRunner: set-up commands, one-line errors, help everywhere."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import click
import pyotp
import pytest
from click.testing import CliRunner, Result

from townhall.cli import main
from townhall.config import load, setting_names
from townhall.services import Services, build_services
from townhall.storage import Storage

ORIGIN = "https://news.example"


@pytest.fixture(autouse=True)
def _no_townhall_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the real environment; a developer's TOWNHALL_* variables must not leak in."""
    for name in [n for n in os.environ if n.startswith("TOWNHALL_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.sqlite3'}"


def _run(database_url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["--database-url", database_url, *args], env=env, catch_exceptions=True)


def _ok(database_url: str, *args: str) -> str:
    result = _run(database_url, *args)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def _fails_with_one_line(result: Result, *expected: str) -> str:
    """A domain error: exit 1, one line starting "Error:", no traceback."""
    assert result.exit_code == 1, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    for part in expected:
        assert part in lines[0]
    return lines[0]


@pytest.fixture
def migrated(database_url: str) -> str:
    assert _ok(database_url, "migrate") == "database is up to date\n"
    return database_url


@pytest.fixture
def with_site(migrated: str) -> str:
    _ok(migrated, "site", "add", "ledger", "--name", "The Ledger", "--origin", ORIGIN)
    return migrated


@pytest.fixture
def services(with_site: str) -> Iterator[Services]:
    storage = Storage(with_site)
    yield build_services(load(overrides={"database_url": with_site, "fetch_articles": False}), storage, "s")
    storage.close()


def test_migrate_is_safe_to_run_again(migrated: str) -> None:
    assert _ok(migrated, "migrate") == "database is up to date\n"


def test_commands_refuse_an_unmigrated_database(database_url: str) -> None:
    _fails_with_one_line(_run(database_url, "site", "list"), "townhall migrate")


def test_site_add_list_show(with_site: str) -> None:
    _ok(
        with_site,
        "site",
        "add",
        "gazette",
        "--name",
        "The Gazette",
        "--origin",
        "https://gazette.example/",
        "--origin",
        "http://localhost:4000",
    )
    listed = sorted(_ok(with_site, "site", "list").splitlines())
    assert listed == [
        "gazette\tThe Gazette\thttps://gazette.example http://localhost:4000\tpost-moderation",
        f"ledger\tThe Ledger\t{ORIGIN}\tpost-moderation",
    ]
    shown = json.loads(_ok(with_site, "site", "show", "ledger"))
    assert shown["id"] == "ledger" and shown["origins"] == [ORIGIN]
    assert shown["settings"]["edit_window_minutes"] == 15 and "sso_secret" not in shown


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["site", "add", "ledger", "--name", "Again", "--origin", ORIGIN], ["already exists"]),
        (["site", "add", "Bad Id", "--name", "X", "--origin", ORIGIN], ["site id"]),
        (["site", "add", "new", "--name", " ", "--origin", ORIGIN], ["name"]),
        (["site", "add", "new", "--name", "X", "--origin", "news.example"], ["origin"]),
        (["site", "show", "nowhere"], ["no site 'nowhere'"]),
        (["site", "set", "nowhere", "edit_window_minutes", "5"], ["no site"]),
        (["site", "set", "ledger", "edit_window_minutes", "ten"], ["edit_window_minutes"]),
        (["site", "set", "ledger", "edit_window_minutes", "5000"], ["edit_window_minutes"]),
        (["site", "set", "ledger", "colour", "red"], ["colour"]),
        (["site", "set", "ledger", "moderation_mode", "sometimes"], ["moderation_mode"]),
        (["site", "set", "ledger", "thresholds", '{"toxicity": {"hold": 3}}'], ["thresholds.toxicity.hold"]),
        (["site", "origins", "ledger", "ftp://news.example"], ["origin"]),
        (["site", "origins", "nowhere", ORIGIN], ["no site"]),
        (["site", "sso-secret", "nowhere"], ["no site"]),
        (["key", "create", "nowhere"], ["no site"]),
        (["key", "list", "nowhere"], ["no site"]),
        (["key", "revoke", "ledger", "42"], ["no active key 42"]),
        (["story", "close", "42"], ["no story 42"]),
        (["story", "reopen", "42"], ["no story 42"]),
        (["story", "list", "--site", "nowhere"], ["no site"]),
    ],
)
def test_domain_errors_exit_1_with_one_line(with_site: str, args: list[str], expected: list[str]) -> None:
    _fails_with_one_line(_run(with_site, *args), *expected)


@pytest.mark.parametrize(
    "args", [["story", "close", "99999999999999999999"], ["key", "revoke", "ledger", "0"]]
)
def test_ids_out_of_range_are_usage_errors(with_site: str, args: list[str]) -> None:
    result = _run(with_site, *args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "Invalid value" in result.output


def test_site_set_changes_one_setting(with_site: str) -> None:
    assert (
        _ok(with_site, "site", "set", "ledger", "edit_window_minutes", "30")
        == "ledger: edit_window_minutes = 30\n"
    )
    assert (
        _ok(with_site, "site", "set", "ledger", "moderation_mode", "pre")
        == 'ledger: moderation_mode = "pre"\n'
    )
    _ok(with_site, "site", "set", "ledger", "banned_words", '["scam", "fraud"]')
    settings = json.loads(_ok(with_site, "site", "show", "ledger"))["settings"]
    assert settings["edit_window_minutes"] == 30 and settings["moderation_mode"] == "pre"
    assert settings["banned_words"] == ["scam", "fraud"]


def test_a_failed_set_changes_nothing(with_site: str) -> None:
    before = _ok(with_site, "site", "show", "ledger")
    _run(with_site, "site", "set", "ledger", "thresholds", '{"toxicity": {"hold": 0.9, "reject": 0.1}}')
    assert _ok(with_site, "site", "show", "ledger") == before


def test_site_origins_replaces_the_list(with_site: str) -> None:
    output = _ok(with_site, "site", "origins", "ledger", ORIGIN, "https://www.news.example/")
    assert output == f"ledger: {ORIGIN}, https://www.news.example\n"
    assert json.loads(_ok(with_site, "site", "show", "ledger"))["origins"] == [
        ORIGIN,
        "https://www.news.example",
    ]


def test_sso_secret_is_new_each_time(with_site: str, services: Services) -> None:
    first = _ok(with_site, "site", "sso-secret", "ledger").strip()
    second = _ok(with_site, "site", "sso-secret", "ledger").strip()
    assert len(first) >= 32 and first != second
    assert services.sites.get("ledger").sso_secret == second


def test_key_create_list_revoke(with_site: str, services: Services) -> None:
    key = _ok(with_site, "key", "create", "ledger", "--label", "cms").strip()
    assert key.startswith("th_") and services.sites.site_for_key(key).id == "ledger"
    (line,) = _ok(with_site, "key", "list", "ledger").splitlines()
    key_id, prefix, state, label = line.split("\t")
    assert prefix == key[:10] + "…" and state == "active" and label == "cms"
    assert key not in line
    assert _ok(with_site, "key", "revoke", "ledger", key_id) == f"revoked key {key_id}\n"
    assert _ok(with_site, "key", "list", "ledger").split("\t")[2] == "revoked"
    _fails_with_one_line(_run(with_site, "key", "revoke", "ledger", key_id), "no active key")


def test_story_list_close_reopen(with_site: str, services: Services) -> None:
    site = services.sites.get("ledger")
    story = services.stories.push(site, f"{ORIGIN}/politics/bridge", {"title": "Bridge vote"}, "test")
    (line,) = _ok(with_site, "story", "list").splitlines()
    assert line == f"{story.id}\topen\t0\t{ORIGIN}/politics/bridge\tBridge vote"
    assert _ok(with_site, "story", "list", "--site", "ledger") == line + "\n"
    assert (
        _ok(with_site, "story", "close", str(story.id), "--reason", "legal")
        == f"story {story.id}: comments are closed\n"
    )
    assert "\tclosed\t" in _ok(with_site, "story", "list")
    assert services.stories.get(story.id).closed is True
    assert _ok(with_site, "story", "reopen", str(story.id)) == f"story {story.id}: comments are open\n"
    assert services.stories.get(story.id).closed is False


def test_config_show_masks_the_secret(migrated: str) -> None:
    result = _run(
        migrated, "config", "show", env={"TOWNHALL_SECRET_KEY": "very-secret-value", "TOWNHALL_PORT": "9100"}
    )
    assert result.exit_code == 0
    assert "very-secret-value" not in result.output and "secret_key = '********'" in result.output
    assert "port = 9100" in result.output


def test_config_show_masks_passwords_inside_urls() -> None:
    env = {
        "TOWNHALL_DATABASE_URL": "postgresql://townhall:db-pass-123@db.internal:5432/townhall",
        "TOWNHALL_REDIS_URL": "redis://:redis-pass-456@cache.internal:6379/0",
    }
    result = CliRunner().invoke(main, ["config", "show"], env=env)
    assert result.exit_code == 0, result.output
    assert "db-pass-123" not in result.output and "redis-pass-456" not in result.output
    assert "database_url = 'postgresql://townhall:********@db.internal:5432/townhall'" in result.output
    assert "redis_url = 'redis://:********@cache.internal:6379/0'" in result.output


def test_config_describe_lists_every_setting(migrated: str) -> None:
    output = _ok(migrated, "config", "describe")
    for name in setting_names():
        assert f"\n{name} (default" in "\n" + output


def test_config_errors_are_one_line(tmp_path: Path, database_url: str) -> None:
    _fails_with_one_line(_run("mysql://nope", "site", "list"), "'database_url'", "command line")
    _fails_with_one_line(_run(database_url, "site", "list", env={"TOWNHALL_PORT": "x"}), "TOWNHALL_PORT")
    missing = tmp_path / "missing.toml"
    result = CliRunner().invoke(main, ["--config", str(missing), "site", "list"])
    _fails_with_one_line(result, "does not exist")
    bad = tmp_path / "bad.toml"
    bad.write_text('colour = "red"\n', encoding="utf-8")
    _fails_with_one_line(
        CliRunner().invoke(main, ["--config", str(bad), "site", "list"]), "'colour'", str(bad)
    )


def test_config_file_sets_the_database(tmp_path: Path, migrated: str) -> None:
    path = tmp_path / "townhall.toml"
    path.write_text(f'database_url = "{migrated}"\n', encoding="utf-8")
    result = CliRunner().invoke(
        main, ["--config", str(path), "site", "add", "x", "--name", "X", "--origin", ORIGIN]
    )
    assert result.exit_code == 0 and _ok(migrated, "site", "list").startswith("x\t")


def test_serve_refuses_bad_settings_and_unmigrated_databases_before_starting(database_url: str) -> None:
    _fails_with_one_line(_run(database_url, "serve", "--port", "0"), "'port'", "command line")
    _fails_with_one_line(_run(database_url, "serve", "--workers", "65"), "'workers'")
    _fails_with_one_line(_run(database_url, "serve"), "townhall migrate")


def test_serve_on_postgresql_needs_a_secret_key(postgres_url: str) -> None:
    env = {"TOWNHALL_MODERATION_ENABLED": "false", "TOWNHALL_FETCH_ARTICLES": "false"}
    _fails_with_one_line(_run(postgres_url, "serve", env=env), "secret_key")
    _fails_with_one_line(_run(postgres_url, "site", "list", env=env), "secret_key")  # every command


def test_a_database_that_cannot_be_opened_is_a_one_line_error(tmp_path: Path) -> None:
    _fails_with_one_line(_run(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.sqlite3'}", "migrate"), "database")


def _commands(
    command: click.Command, path: tuple[str, ...] = ("townhall",)
) -> Iterator[tuple[str, click.Command]]:
    yield " ".join(path), command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


ALL_COMMANDS = list(_commands(main))


@pytest.mark.parametrize(("name", "command"), ALL_COMMANDS, ids=[name for name, _ in ALL_COMMANDS])
def test_every_command_has_help_text(name: str, command: click.Command) -> None:
    assert command.help and command.help.strip()[0].isupper(), name
    args = name.split()[1:]
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    assert command.get_short_help_str() in result.output or command.help.split("\n")[0][:20] in result.output


def test_commands_for_the_core_setup_exist() -> None:
    names = {name for name, _ in ALL_COMMANDS}
    expected = {
        "migrate",
        "serve",
        "site add",
        "site list",
        "site show",
        "site set",
        "site origins",
        "site sso-secret",
        "key create",
        "key list",
        "key revoke",
        "story list",
        "story close",
        "story reopen",
    }
    assert {f"townhall {e}" for e in expected} <= names


def test_every_option_has_help_text() -> None:
    missing = [
        f"{name} --{param.name}"
        for name, command in ALL_COMMANDS
        for param in command.params
        if isinstance(param, click.Option) and not param.help
    ]
    assert missing == []


def test_user_add_reads_the_password_from_a_file_or_an_environment_variable(
    migrated: str, tmp_path: Path
) -> None:
    secret_file = tmp_path / "password"
    secret_file.write_text("from a file, first line\nignored\n")
    assert _ok(migrated, "user", "add", "filed", "--role", "editor", "--password-file", str(secret_file))
    added = _run(
        migrated,
        "user",
        "add",
        "enved",
        "--role",
        "moderator",
        "--password-env",
        "PROVISIONED_PASSWORD",
        env={"PROVISIONED_PASSWORD": "from the environment"},
    )
    assert added.exit_code == 0, added.output
    services = build_services(load(overrides={"database_url": migrated}), Storage(migrated), "s")
    assert services.accounts.authenticate("filed", "from a file, first line").name == "filed"
    assert services.accounts.authenticate("enved", "from the environment").name == "enved"
    empty = _run(migrated, "user", "add", "nobody", "--role", "editor", "--password-env", "UNSET_VARIABLE")
    _fails_with_one_line(empty, "no password", "UNSET_VARIABLE")


def test_user_totp_enrols_with_a_code_from_the_app(migrated: str) -> None:

    _run(
        migrated, "user", "add", "ada", "--role", "admin", "--password-env", "P", env={"P": "a long password"}
    )
    secret = pyotp.random_base32()
    wrong = _run(migrated, "user", "totp", "ada", "--secret", secret, "--code", "000000")
    assert wrong.exit_code == 1 and "does not match" in wrong.output
    right = _run(migrated, "user", "totp", "ada", "--secret", secret, "--code", pyotp.TOTP(secret).now())
    assert right.exit_code == 0 and "one-time codes on for ada" in right.output
    assert f"key: {secret}" in right.output and "otpauth://totp/" in right.output
    services = build_services(load(overrides={"database_url": migrated}), Storage(migrated), "s")
    assert services.accounts.get("ada").totp
    assert _ok(migrated, "user", "totp-off", "ada") == "one-time codes off for ada\n"
    assert not services.accounts.get("ada").totp


def test_commands_scoped_to_a_site_take_site_as_an_option_and_the_old_argument_still_works(
    migrated: str,
) -> None:
    _ok(migrated, "site", "add", "ledger", "--name", "The Ledger", "--origin", ORIGIN)
    new_form = _ok(migrated, "key", "create", "--site", "ledger", "--label", "cms").strip()
    old_form = _ok(migrated, "key", "create", "ledger", "--label", "old").strip()
    assert new_form.startswith("th_") and old_form.startswith("th_")
    listed = _ok(migrated, "key", "list", "--site", "ledger")
    assert listed == _ok(migrated, "key", "list", "ledger") and listed.count("\n") == 2
    key_id = listed.split("\t", 1)[0]
    assert _ok(migrated, "key", "revoke", "--site", "ledger", key_id) == f"revoked key {key_id}\n"
    missing = _run(migrated, "key", "create")
    assert missing.exit_code == 2 and "--site ID" in missing.output
    for command in (["key", "create"], ["key", "list"], ["key", "revoke"], ["story", "list"]):
        help_text = _ok(migrated, *command, "--help")
        assert "--site" in help_text, command


def test_a_read_command_on_a_missing_sqlite_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "typo.sqlite3"
    for command in (["site", "list"], ["story", "list"], ["user", "list"], ["key", "list", "--site", "x"]):
        result = _run(f"sqlite:///{path}", *command)
        _fails_with_one_line(result, "no database at", "townhall migrate")
        assert not path.exists(), command
