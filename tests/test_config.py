"""Settings: defaults < TOML file < TOWNHALL_* environment < CLI flags; errors name the setting and source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from townhall.config import ConfigError, Settings, describe, load, setting_names


def _toml(tmp_path: Path, text: str, name: str = "townhall.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_source() -> None:
    config = load()
    assert config.port == 8080 and config.host == "127.0.0.1" and config.database_url.startswith("sqlite:///")
    assert config.sites == () and config.secret_key.get_secret_value() == ""


def test_load_does_not_read_the_process_environment(monkeypatch) -> None:
    monkeypatch.setenv("TOWNHALL_PORT", "9999")
    assert load().port == 8080  # only the mapping passed as `environ` counts


def test_precedence_defaults_file_environment_overrides(tmp_path: Path) -> None:
    path = _toml(tmp_path, 'port = 9001\nhost = "0.0.0.0"\nlog_level = "debug"\nmax_depth = 2\n')
    environ = {"TOWNHALL_PORT": "9002", "TOWNHALL_LOG_LEVEL": "WARNING", "PATH": "/usr/bin"}
    config = load(path, environ, {"port": 9003, "host": None})
    assert config.port == 9003  # CLI flag beats environment, file and default
    assert config.log_level == "warning"  # environment beats file (and is normalised)
    assert config.host == "0.0.0.0"  # a flag left unset (None) does not override
    assert config.max_depth == 2  # file beats default
    assert config.page_size == Settings.model_fields["page_size"].default


def test_each_source_alone_overrides_the_default(tmp_path: Path) -> None:
    assert load(_toml(tmp_path, "max_depth = 3\n")).max_depth == 3
    assert load(environ={"TOWNHALL_MAX_DEPTH": "5"}).max_depth == 5
    assert load(overrides={"max_depth": 6}).max_depth == 6


def test_environment_values_are_parsed_to_the_settings_types() -> None:
    config = load(
        environ={
            "TOWNHALL_FETCH_ARTICLES": "false",
            "TOWNHALL_FETCH_TIMEOUT": "2.5",
            "TOWNHALL_SECRET_KEY": "s3cret",
            "TOWNHALL_SITES": json.dumps(
                [{"id": "ledger", "name": "The Ledger", "origins": ["https://news.example"]}]
            ),
        }
    )
    assert config.fetch_articles is False and config.fetch_timeout == 2.5
    assert config.secret_key.get_secret_value() == "s3cret" and "s3cret" not in repr(config)
    assert config.sites[0].id == "ledger"


def test_site_tables_in_toml(tmp_path: Path) -> None:
    path = _toml(
        tmp_path,
        """
port = 8081

[[site]]
id = "ledger"
name = "The Ledger"
origins = ["https://news.example", "https://www.news.example/"]

[[site]]
id = "gazette"
name = "The Gazette"
origins = ["http://localhost:4000"]
""",
    )
    config = load(path)
    assert [s.id for s in config.sites] == ["ledger", "gazette"]
    assert config.sites[0].origins == ("https://news.example", "https://www.news.example")
    assert config.sites[1].origins == ("http://localhost:4000",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('colour = "red"\n', ["'colour'", "townhall.toml"]),
        ("port = 0\n", ["'port'", "townhall.toml"]),
        ('port = "eighty"\n', ["'port'", "townhall.toml"]),
        ('log_level = "loud"\n', ["'log_level'", "townhall.toml", "debug, info"]),
        ('database_url = "mysql://x"\n', ["'database_url'", "townhall.toml", "sqlite://"]),
        ("max_body_bytes = 10\n", ["'max_body_bytes'", "townhall.toml"]),
        ("fetch_timeout = -1.0\n", ["'fetch_timeout'", "townhall.toml"]),
        (
            '[[site]]\nid = "Bad Id"\nname = "x"\norigins = ["https://a.example"]\n',
            ["'sites'", ".0.id", "townhall.toml"],
        ),
        ('[[site]]\nid = "a"\nname = "x"\norigins = []\n', ["'sites'", "origins", "townhall.toml"]),
        (
            '[[site]]\nid = "a"\nname = "x"\norigins = ["not-an-origin"]\n',
            ["'sites'", "origins", "not-an-origin"],
        ),
        ('[[site]]\nid = "a"\nname = "x"\norigins = ["https://a.example"]\nkey = 1\n', ["'sites'", "key"]),
        ('[[site]]\nid = "a"\n', ["'sites'", "name", "origins"]),
        ('site = "ledger"\n', ["'sites'", "townhall.toml"]),
        (
            'sites = []\n[[site]]\nid = "a"\nname = "x"\norigins = ["https://a.example"]\n',
            ["'sites'", "twice"],
        ),
    ],
)
def test_bad_file_values_name_the_setting_and_the_file(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(_toml(tmp_path, text))
    for part in expected:
        assert part in str(caught.value)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"TOWNHALL_COLOUR": "red"}, ["'colour'", "TOWNHALL_COLOUR"]),
        ({"TOWNHALL_PORT": "eighty"}, ["'port'", "environment variable TOWNHALL_PORT"]),
        ({"TOWNHALL_WORKERS": "0"}, ["'workers'", "environment variable TOWNHALL_WORKERS"]),
        ({"TOWNHALL_MODERATION_ENABLED": "perhaps"}, ["'moderation_enabled'", "TOWNHALL_MODERATION_ENABLED"]),
        ({"TOWNHALL_SITES": "{not json"}, ["'sites'", "TOWNHALL_SITES", "JSON"]),
        ({"TOWNHALL_SITES": '[{"id": "x"}]'}, ["'sites'", "TOWNHALL_SITES", "name"]),
    ],
)
def test_bad_environment_values_name_the_setting_and_the_variable(environ: dict, expected: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        load(environ=environ)
    for part in expected:
        assert part in str(caught.value)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [({"colour": "red"}, ["'colour'", "command line"]), ({"port": 70000}, ["'port'", "command line"])],
)
def test_bad_overrides_name_the_setting_and_the_command_line(overrides: dict, expected: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        load(overrides=overrides)
    for part in expected:
        assert part in str(caught.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(_toml(tmp_path, "port = 0\n"), {"TOWNHALL_WORKERS": "0"})
    message = str(caught.value)
    assert "'port' (config file" in message and "'workers' (environment variable TOWNHALL_WORKERS)" in message


def test_a_value_fixed_by_a_later_source_is_not_an_error(tmp_path: Path) -> None:
    assert load(_toml(tmp_path, "port = 0\n"), overrides={"port": 8000}).port == 8000


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "does not exist"), (b"port = \xff\n", "UTF-8"), (b"port = = 1\n", "not valid TOML")],
)
def test_unreadable_config_files_are_config_errors(
    tmp_path: Path, content: bytes | None, expected: str
) -> None:
    path = tmp_path / "townhall.toml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=expected) as caught:
        load(path)
    assert str(path) in str(caught.value)


def test_a_directory_as_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load(tmp_path)


def test_settings_are_frozen() -> None:
    config = load()
    with pytest.raises(ValueError, match="frozen"):
        config.port = 1  # type: ignore[misc]


def test_every_setting_is_described_with_help_text() -> None:
    rows = describe()
    assert [name for name, _, _ in rows] == setting_names()
    for name, default, help_text in rows:
        assert help_text, name
        assert name != "secret_key" or default == "(secret)"


def test_every_setting_can_come_from_the_environment() -> None:
    names = {name for name in setting_names() if name != "sites"}
    defaults = load()

    def as_env(value: object) -> str:  # lists are written comma-separated in the environment
        return ", ".join(value) if isinstance(value, tuple) else str(value)

    names.discard("secret_key")
    values = {"TOWNHALL_" + name.upper(): as_env(getattr(defaults, name)) for name in names}
    values = {k: (v.lower() if v in ("True", "False") else v) for k, v in values.items()}
    assert load(environ=values) == load()
