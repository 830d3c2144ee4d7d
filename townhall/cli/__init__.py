"""The `townhall` command. Each command builds the config, opens storage, calls a service, echoes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from townhall import __version__
from townhall.config import ConfigError, Settings, load
from townhall.errors import TownhallError
from townhall.storage import MigrationsPending, Storage


class Context:
    def __init__(self, config_path: Path | None, overrides: dict[str, Any]):
        self.config_path = config_path
        self.overrides = overrides

    def settings(self, **overrides: Any) -> Settings:
        try:
            return load(self.config_path, os.environ, {**self.overrides, **overrides})
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc

    def storage(self, settings: Settings, migrated: bool = True) -> Storage:
        if migrated:
            _require_sqlite_file(settings.database_url)
        storage = Storage(settings.database_url)
        if migrated:
            try:
                storage.check_migrations()
            except MigrationsPending as exc:
                raise click.ClickException(str(exc)) from exc
        return storage

    def services(self, settings: Settings | None = None) -> Any:
        from townhall.app import ConfigurationProblem, resolve_secret  # noqa: PLC0415 - keeps --help fast
        from townhall.services import build_services  # noqa: PLC0415

        settings = settings or self.settings()
        try:
            secret = resolve_secret(settings)
        except ConfigurationProblem as exc:  # e.g. PostgreSQL without a secret_key: say so, no traceback
            raise click.ClickException(str(exc)) from exc
        return build_services(settings, self.storage(settings), secret)


pass_context = click.make_pass_decorator(Context)


def site_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--site ID` for commands scoped to one site (read back with ``site_scope``)."""
    help_text = "The site (the older form, the site as the first argument, also works)"
    return click.option("--site", "site_option", metavar="ID", help=help_text)(command)


def site_scope(option: str | None, given: tuple[str, ...], names: tuple[str, ...]) -> tuple[str, ...]:
    """Commands scoped to a site take `--site ID` (as story, import, reader and moderate do); the
    older form with the site as the first argument still works. Returns (site, *names' values)."""
    if option is None and len(given) == len(names) + 1:
        return given
    if option is not None and len(given) == len(names):
        return (option, *given)
    wanted = " ".join(n.upper() for n in names)
    raise click.UsageError(f"give the site as --site ID{' and ' + wanted if wanted else ''}")


def _require_sqlite_file(database_url: str) -> None:
    """SQLite creates a missing file on connect: a typo in a path would leave an empty database."""
    url = make_url(database_url)
    local = url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:"
    if local and not Path(str(url.database)).exists():
        raise click.ClickException(
            f"no database at {url.database}; check the path, or create it with `townhall migrate`"
        )


class DomainErrors(click.Group):
    """Show a domain error as a one-line message and exit 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TownhallError as exc:
            raise click.ClickException(exc.message) from exc
        except OperationalError as exc:
            raise click.ClickException(f"cannot use the database: {exc.orig}") from exc


@click.group(cls=DomainErrors)
@click.version_option(__version__, prog_name="townhall")
@click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="TOML config file"
)
@click.option("--database-url", help="Overrides the database_url setting")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, database_url: str | None) -> None:
    """Townhall: self-hosted comments for news sites, with moderation that reads the article."""
    ctx.obj = Context(config_path, {"database_url": database_url})


def _register() -> None:
    from townhall.cli import (  # noqa: PLC0415
        backup,
        demo,
        importing,
        moderation,
        notify,
        readers,
        serve,
        sites,
        users,
    )

    for module in (serve, demo, sites, moderation, users, backup, importing, readers, notify):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
