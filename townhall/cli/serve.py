"""`townhall serve`, `townhall migrate` and `townhall config`."""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import tempfile
from pathlib import Path

import click
import uvicorn

from townhall.cli import Context, pass_context
from townhall.config import describe, markdown_table, masked
from townhall.ops.logs import log_config
from townhall.ops.metrics import MULTIPROCESS_ENV


@click.command()
@click.option("--host", help="Interface to listen on (default 127.0.0.1)")
@click.option("--port", type=int, help="Port to listen on (default 8080)")
@click.option("--workers", type=int, help="Server processes (more than 1 needs PostgreSQL)")
@pass_context
def serve(ctx: Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Run the comment server."""
    from townhall.app import ConfigurationProblem, create_app, load_moderator, resolve_secret  # noqa: PLC0415
    from townhall.cli.prefork import serve_forked  # noqa: PLC0415

    settings = ctx.settings(host=host, port=port, workers=workers)
    storage = ctx.storage(settings)
    storage.close()
    # Fail before announcing anything (and once, not in every worker).
    try:
        resolve_secret(settings)
        app = create_app(settings) if settings.workers == 1 else None
    except ConfigurationProblem as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Townhall on http://{settings.host}:{settings.port} ({settings.database_url.split('://')[0]})"
    )
    logging_config = log_config(settings.log_level, settings.log_format)
    if app is None:
        if settings.metrics_enabled:
            share_metrics_directory()
        # Loaded and warmed once here, then shared copy-on-write by the forked workers.
        moderator = load_moderator(settings)
        warm = getattr(moderator, "warm", None)
        if warm is not None:
            warm()
        # Frozen before the fork: no worker's collector walks (and so writes to) the shared pages.
        gc.collect()
        gc.freeze()
        options = {
            "log_level": settings.log_level,
            "proxy_headers": False,  # the app applies `trusted_proxies` itself
            "log_config": logging_config,
        }
        serve_forked(settings, moderator, options)
        return
    # proxy_headers=False: uvicorn would otherwise believe 127.0.0.1; the app applies `trusted_proxies`.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        proxy_headers=False,
        log_config=logging_config,
    )


def share_metrics_directory() -> None:
    """Before the workers start: an empty directory where each writes its metrics (multiprocess mode).

    An operator may choose it (``PROMETHEUS_MULTIPROC_DIR``, e.g. systemd's RuntimeDirectory); its
    old files are removed, since figures from a previous run would be added to this one's.
    """
    chosen = os.environ.get(MULTIPROCESS_ENV)
    if chosen:
        directory = Path(chosen)
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("*.db"):
            old.unlink()
        return
    made = tempfile.mkdtemp(prefix="townhall-metrics-")
    atexit.register(shutil.rmtree, made, ignore_errors=True)
    os.environ[MULTIPROCESS_ENV] = made


@click.command()
@pass_context
def migrate(ctx: Context) -> None:
    """Apply database migrations (safe to run again)."""
    settings = ctx.settings()
    storage = ctx.storage(settings, migrated=False)
    storage.migrate()
    storage.close()
    click.echo("database is up to date")


@click.group()
def config() -> None:
    """Inspect settings."""


@config.command("show")
@pass_context
def config_show(ctx: Context) -> None:
    """Print the effective settings (secrets masked)."""
    for name, value in masked(ctx.settings()).items():
        click.echo(f"{name} = {value!r}")


@config.command("describe")
@click.option("--markdown", is_flag=True, help="Print the table used in docs/settings.md")
def config_describe(markdown: bool) -> None:
    """List every setting with its default and help."""
    if markdown:
        click.echo(markdown_table())
        return
    for name, default, help_text in describe():
        click.echo(f"{name} (default {default}): {help_text}")


COMMANDS = [serve, migrate, config]
