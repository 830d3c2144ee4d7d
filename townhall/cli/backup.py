"""`townhall export` and `townhall restore`: the whole instance to and from one gzip JSON Lines file."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from townhall.cli import Context, pass_context


@click.command("export")
@click.option(
    "--output",
    "output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Backup file to write (gzip JSON Lines, e.g. townhall-2026-12-04.jsonl.gz)",
)
@click.option(
    "--with-password-hashes",
    is_flag=True,
    help="Keep staff accounts' password hashes and one-time-code secrets (else: new ones after a restore)",
)
@click.option("--quiet", is_flag=True, help="No progress bar")
@pass_context
def export(ctx: Context, output: Path, with_password_hashes: bool, quiet: bool) -> None:
    """Back up the whole instance: sites, stories, comments with their audit trail, authors, accounts."""
    from townhall.services.backup import BackupService  # noqa: PLC0415

    settings = ctx.settings()
    service = BackupService(ctx.storage(settings))
    with tqdm(desc="exporting", unit=" rows", file=sys.stderr, disable=quiet) as progress:
        summary = service.export(output, with_password_hashes, progress.update)
    total = sum(summary.counts.values())
    click.echo(f"exported {total} rows (schema {summary.schema}) to {output}")
    for name, count in summary.counts.items():
        click.echo(f"  {name}: {count}")


@click.command("restore")
@click.argument("backup", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="No progress bar")
@pass_context
def restore(ctx: Context, backup: Path, quiet: bool) -> None:
    """Restore a backup made by `townhall export` into an empty database (SQLite or PostgreSQL)."""
    from townhall.services.backup import BackupService  # noqa: PLC0415

    settings = ctx.settings()
    service = BackupService(ctx.storage(settings, migrated=False))
    with tqdm(desc="restoring", unit=" rows", file=sys.stderr, disable=quiet) as progress:
        summary = service.restore(backup, progress.update)
    click.echo(f"restored {sum(summary.counts.values())} rows (schema {summary.schema}) from {backup}")
    for name, count in summary.counts.items():
        click.echo(f"  {name}: {count}")
    if summary.counts.get("users"):
        click.echo("staff accounts restored without a password hash need `townhall user reset-password NAME`")


COMMANDS = [export, restore]
