"""The settings registry and its loader.

Every setting is declared once below, with its type, default and help. Sources apply in
this order: defaults < TOML file < ``TOWNHALL_*`` environment < CLI flags. Bad values fail at
load time, naming the setting and where the value came from.

>>> config = load(overrides={"port": 9000})
>>> config.port
9000
"""

from __future__ import annotations

import ipaddress
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

ENV_PREFIX = "TOWNHALL_"


class ConfigError(Exception):
    """A setting is missing, unknown or has a bad value."""


class SiteDeclaration(BaseModel):
    """A site declared in the config file; created or updated in storage at start."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="Short id used in the embed snippet")
    name: str = Field(min_length=1, max_length=200)
    origins: tuple[str, ...] = Field(min_length=1, description="Origins allowed to embed this site")

    @field_validator("origins")
    @classmethod
    def _real_origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        from townhall.errors import Invalid  # noqa: PLC0415 - the services package imports this module
        from townhall.services.urls import normalise_origin  # noqa: PLC0415

        try:
            return tuple(normalise_origin(origin) for origin in origins)
        except Invalid as exc:
            raise ValueError(exc.message) from exc


class Settings(BaseModel):
    """Townhall's settings. Field descriptions are the help text shown by the CLI and docs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: str = Field(
        "sqlite:///townhall.sqlite3",
        description="SQLAlchemy URL: sqlite:///path.sqlite3 (default) or postgresql://user@host/db",
    )
    host: str = Field("127.0.0.1", description="Interface the server listens on")
    port: int = Field(8080, ge=1, le=65535, description="Port the server listens on")
    workers: int = Field(1, ge=1, le=64, description="Server processes (use PostgreSQL above 1)")
    secret_key: SecretStr = Field(
        SecretStr(""),
        description="Secret for sessions and hashing readers' IPs; generated into the data dir when empty",
    )
    redis_url: str = Field(
        "",
        description=(
            "redis://host:port/0: live updates relayed between server processes, and rate limits"
            " counted there; empty = one process for live updates, limits counted in the database"
        ),
    )
    log_level: str = Field("info", description="Log level: debug, info, warning, error")
    log_format: str = Field(
        "text", description="Server logs: text, or json (one object a line); each line has its request id"
    )
    metrics_enabled: bool = Field(
        True, description="Serve Prometheus metrics at /metrics (keep it away from the public at the proxy)"
    )
    fetch_articles: bool = Field(
        True, description="Fetch a story's page from its allowed origin to read the article"
    )
    fetch_timeout: float = Field(
        5.0, gt=0, le=60, description="Seconds to wait when fetching an article page"
    )
    fetch_allow_networks: tuple[str, ...] = Field(
        (),
        description=(
            "Non-public networks (CIDR) article fetches may reach anyway, e.g. 127.0.0.0/8 when the"
            " publisher's site runs on this machine; by default loopback, private, link-local"
            " (cloud metadata) and other non-public addresses are refused"
        ),
    )
    fetch_rate_limit: int = Field(
        30,
        ge=0,
        le=100_000,
        description="Article page fetches per minute per site, across all processes (0 = no limit)",
    )
    max_comment_chars: int = Field(5000, ge=50, le=100_000, description="Longest comment body, in characters")
    max_name_chars: int = Field(80, ge=10, le=500, description="Longest guest display name, in characters")
    max_depth: int = Field(4, ge=0, le=20, description="Deepest reply level (0 = no replies)")
    page_size: int = Field(20, ge=1, le=200, description="Top-level comments per page by default")
    max_page_size: int = Field(100, ge=1, le=500, description="Largest page a client may ask for")
    default_edit_window_minutes: int = Field(
        15, ge=0, le=1440, description="Minutes an author may edit or delete, for new sites"
    )
    default_auto_close_days: int = Field(
        0,
        ge=0,
        le=3650,
        description="Close a story this many days after publication, for new sites (0 = never)",
    )
    max_body_bytes: int = Field(
        64_000, ge=1024, le=10_000_000, description="Largest request body the API accepts"
    )
    moderation_enabled: bool = Field(True, description="Assess comments with the local models on arrival")
    calibrate_every_hours: int = Field(
        24,
        ge=0,
        le=24 * 90,
        description="Recalibrate each site's thresholds from its moderators' decisions this often (0: never)",
    )
    write_rate_limit: int = Field(
        20,
        ge=0,
        le=100_000,
        description=(
            "Comments, edits, votes and reports per minute from one address (0 = no limit);"
            " counted across all server processes, in Redis or else the database"
        ),
    )
    retention_days: int = Field(
        90,
        ge=0,
        le=3650,
        description="Days after which readers' IP hashes, and e-mails of readers who never opted in to mail, "
        "are dropped by the server's hourly job (0 = keep them)",
    )
    mail_keep_days: int = Field(
        30,
        ge=0,
        le=3650,
        description=(
            "Days sent and given-up e-mails stay in the outbox (`townhall mail status` lists them) before"
            " the server's hourly job deletes them; they hold readers' addresses and links (0 = keep them)"
        ),
    )
    webhook_log_keep_days: int = Field(
        30,
        ge=0,
        le=3650,
        description=(
            "Days delivered and given-up webhook deliveries stay in the delivery log before the server's"
            " hourly job deletes them; each holds the comment it was about, names and text (0 = keep them)"
        ),
    )
    ban_address_hours: int = Field(
        72,
        ge=0,
        le=24 * 365,
        description="Hours a ban also covers the network addresses the banned author posted from (0 = never)",
    )
    trusted_proxies: tuple[str, ...] = Field(
        (),
        description=(
            "Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For and"
            " X-Forwarded-Proto are believed; the reader is the right-most address no proxy"
            " here added (see docs/proxies.md). Empty = use the connecting address"
        ),
    )
    public_url: str = Field(
        "",
        description="This server's public base URL (https://comments.news.example), "
        "for links in e-mails and feeds",
    )
    smtp_host: str = Field("", description="SMTP server for e-mail notifications; empty = no e-mail is sent")
    smtp_port: int = Field(
        587, ge=1, le=65535, description="SMTP server port (587 STARTTLS, 465 TLS, 25 none)"
    )
    smtp_security: str = Field("starttls", description="SMTP connection security: starttls, tls or none")
    smtp_user: str = Field("", description="SMTP user name; empty = no login")
    smtp_password: SecretStr = Field(
        SecretStr(""), description="SMTP password (set it through TOWNHALL_SMTP_PASSWORD, not in a file)"
    )
    smtp_timeout: float = Field(10.0, gt=0, le=120, description="Seconds to wait for the SMTP server")
    mail_from: str = Field(
        "", description="From address of notification e-mails, e.g. Comments <comments@news.example>"
    )
    background_jobs: bool = Field(
        True,
        description="Run periodic jobs (sending mail and webhooks, digests) inside the server; "
        "off = run `townhall mail send-pending` and `townhall webhook deliver` from cron",
    )
    webhook_allow_private: bool = Field(
        False, description="Allow webhook URLs on loopback or private addresses (testing only)"
    )
    webhook_timeout: float = Field(10.0, gt=0, le=60, description="Seconds to wait for a webhook receiver")

    allow_private_origins: bool = Field(
        False,
        description=(
            "Let a site's API key or an editor set loopback, private or link-local origins"
            " (development only; the CLI and config file always may)"
        ),
    )
    sites: tuple[SiteDeclaration, ...] = Field((), description="Sites to create or update at start")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in {"debug", "info", "warning", "error"}:
            raise ValueError("must be one of debug, info, warning, error")
        return value.lower()

    @field_validator("trusted_proxies", "fetch_allow_networks", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        # An environment variable gives one string: "10.0.0.0/8, 127.0.0.1".
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("trusted_proxies", "fetch_allow_networks")
    @classmethod
    def _real_networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network like 10.0.0.0/8") from None
        return value

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value.lower() not in {"text", "json"}:
            raise ValueError("must be text or json")
        return value.lower()

    @field_validator("smtp_security")
    @classmethod
    def _known_security(cls, value: str) -> str:
        if value.lower() not in {"starttls", "tls", "none"}:
            raise ValueError("must be one of starttls, tls, none")
        return value.lower()

    @field_validator("public_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("sites")
    @classmethod
    def _one_site_per_origin(cls, sites: tuple[SiteDeclaration, ...]) -> tuple[SiteDeclaration, ...]:
        owner: dict[str, str] = {}
        for site in sites:
            for origin in site.origins:
                if owner.setdefault(origin, site.id) != site.id:
                    raise ValueError(
                        f"origin {origin} is declared for both {owner[origin]!r} and {site.id!r}"
                    )
        return sites

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://", "postgres://")):
            raise ValueError("must start with sqlite:// or postgresql://")
        return value


def setting_names() -> list[str]:
    return list(Settings.model_fields)


def _env_values(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name not in Settings.model_fields:
            raise ConfigError(f"unknown setting {name!r} (from environment variable {key})")
        if name == "sites":
            try:
                values[name] = json.loads(raw)
            except json.JSONDecodeError as exc:
                message = f"setting 'sites' (environment variable {key}): not valid JSON: {exc}"
                raise ConfigError(message) from exc
        else:
            values[name] = raw
        origin[name] = f"environment variable {key}"
    return values, origin


def _file_values(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    # `[[site]]` tables read better in TOML than a `sites` key.
    if "site" in data and "sites" in data:
        raise ConfigError(f"setting 'sites' is given twice in {path}: use [[site]] tables only")
    if "site" in data:
        data["sites"] = data.pop("site")
    for name in data:
        if name not in Settings.model_fields:
            raise ConfigError(f"unknown setting {name!r} in {path}")
    return data


def load(
    path: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the settings from defaults, a TOML file, the environment and CLI overrides."""
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    if path is not None:
        file_values = _file_values(Path(path))
        merged.update(file_values)
        origin.update(dict.fromkeys(file_values, f"config file {path}"))
    env_values, env_origin = _env_values(environ or {})
    merged.update(env_values)
    origin.update(env_origin)
    for name, value in (overrides or {}).items():
        if value is None:
            continue
        if name not in Settings.model_fields:
            raise ConfigError(f"unknown setting {name!r} (command line)")
        merged[name] = value
        origin[name] = "command line"
    try:
        settings = Settings(**merged)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "?"
            where = origin.get(name, "default")
            detail = ".".join(str(part) for part in error["loc"][1:])
            problems.append(f"setting {name!r}{'.' + detail if detail else ''} ({where}): {error['msg']}")
        raise ConfigError("; ".join(problems)) from exc
    problems = conflicts(settings, origin)
    if problems:
        raise ConfigError("; ".join(problems))
    return settings


UTF8_MAX = 4  # bytes a character may take in a request body
BODY_ROOM = 8192  # the rest of a comment's JSON: URL, name, e-mail, token


def conflicts(settings: Settings, origin: Mapping[str, str] | None = None) -> list[str]:
    """Settings that are each valid but cannot work together; each message names them all,
    where each value came from, and what to change."""
    origin = origin or {}

    def named(*names: str) -> str:
        return " and ".join(f"{name!r} ({origin.get(name, 'default')})" for name in names)

    found = []
    if settings.workers > 1 and settings.database_url.startswith("sqlite"):
        found.append(
            f"settings {named('workers', 'database_url')}: SQLite takes one server process;"
            " set workers = 1, or use PostgreSQL for more"
        )
    if settings.page_size > settings.max_page_size:
        found.append(
            f"settings {named('page_size', 'max_page_size')}: the default page of {settings.page_size}"
            f" is larger than the largest allowed, {settings.max_page_size}"
        )
    needed = settings.max_comment_chars * UTF8_MAX + BODY_ROOM
    if settings.max_body_bytes < needed:
        found.append(
            f"settings {named('max_body_bytes', 'max_comment_chars')}: a comment of"
            f" {settings.max_comment_chars} characters can take {needed} bytes, more than the"
            f" {settings.max_body_bytes} a request may carry; raise max_body_bytes to {needed} or more"
        )
    if settings.smtp_host and not settings.mail_from:
        found.append(
            f"settings {named('smtp_host', 'mail_from')}: e-mail cannot be sent without a From address"
        )
    if settings.smtp_host and not settings.public_url:
        found.append(
            f"settings {named('smtp_host', 'public_url')}: e-mails link back to this server, so"
            " public_url must be set for any to be sent"
        )
    if settings.smtp_user and not settings.smtp_password.get_secret_value():
        found.append(f"settings {named('smtp_user', 'smtp_password')}: an SMTP login needs a password too")
    return found


def describe() -> list[tuple[str, str, str]]:
    """(name, default, help) for every setting, for `townhall config show` and the docs."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "(secret)" if isinstance(default, SecretStr) else repr(default)
        rows.append((name, shown, field.description or ""))
    return rows


MASK = "********"


def _mask_url_password(value: str) -> str:
    """postgresql://user:pw@host/db → postgresql://user:********@host/db (any scheme)."""
    parts = urlsplit(value)
    if not parts.scheme or not parts.netloc or parts.password is None:
        return value
    credentials, _, host = parts.netloc.rpartition("@")
    user = credentials.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{host}"))


def _masked_value(name: str, value: Any) -> Any:
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else ""
    if isinstance(value, str):
        if any(word in name for word in ("secret", "password", "token")) and value:
            return MASK
        return _mask_url_password(value)
    if isinstance(value, dict):
        return {key: _masked_value(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_masked_value(name, item) for item in value)
    return value


def masked(settings: Settings) -> dict[str, Any]:
    """Every setting as `config show` prints it: secret values and passwords inside URLs masked."""
    return {name: _masked_value(name, getattr(settings, name)) for name in Settings.model_fields}


def markdown_table() -> str:
    """The settings reference table in docs/settings.md (`townhall config describe --markdown`)."""
    lines = ["| setting | default | what it does |", "|---|---|---|"]
    lines += [f"| `{name}` | `{default}` | {help_text} |" for name, default, help_text in describe()]
    return "\n".join(lines)
