"""`townhall import disqus | wordpress | isso`: bring an archive in, with a progress bar and a summary."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import click
from tqdm import tqdm

from townhall.cli import Context, pass_context
from townhall.importers.records import Record

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("import")
def import_group() -> None:
    """Import comments from Disqus, WordPress or Isso (safe to run again: nothing is added twice)."""


def _options(command: Callable[..., None]) -> Callable[..., None]:
    command = click.option("--quiet", is_flag=True, help="No progress bar")(command)
    command = click.option("--dry-run", is_flag=True, help="Read and check everything, write nothing")(
        command
    )
    return click.option("--site", "site_id", required=True, help="The Townhall site to import into")(command)


def _run(
    ctx: Context, site_id: str, source: str, records: Iterable[Record], dry_run: bool, quiet: bool
) -> None:
    from townhall.services.imports import ImportService  # noqa: PLC0415

    services = ctx.services()
    site = services.sites.get(site_id)
    with tqdm(desc=f"importing from {source}", unit=" comments", file=sys.stderr, disable=quiet) as bar:
        summary = ImportService(services.storage).run(site, source, records, bar.update, dry_run)
    verb = "would import (dry run, nothing written)" if dry_run else "imported"
    click.echo(f"{verb} from {source} into {site.id}:")
    click.echo(f"  stories: {summary.stories} new, {summary.stories_existing} already in Townhall")
    click.echo(f"  comments: {summary.comments}")
    if summary.votes:
        click.echo(f"  votes: {summary.votes} (totals from {source}, on the imported comments)")
    click.echo(f"  authors: {summary.authors} new")
    click.echo(f"  skipped: {sum(summary.skipped.values())}")
    for reason, count in summary.skipped.most_common():
        click.echo(f"    {count}  {reason}")
    for note, count in summary.notes.most_common():
        click.echo(f"  note: {count}  {note}")
    if summary.comments and not dry_run:
        click.echo(
            "imported comments keep their status; `townhall moderate rescore --site ...` assesses them"
        )


@import_group.command("disqus")
@click.argument("export", type=FILE)
@_options
@pass_context
def import_disqus(ctx: Context, export: Path, site_id: str, dry_run: bool, quiet: bool) -> None:
    """Import a Disqus XML export (Moderation → Export in Disqus's admin)."""
    from townhall.importers import disqus  # noqa: PLC0415

    _run(ctx, site_id, disqus.SOURCE, disqus.read(export), dry_run, quiet)


@import_group.command("wordpress")
@click.argument("export", type=FILE)
@_options
@pass_context
def import_wordpress(ctx: Context, export: Path, site_id: str, dry_run: bool, quiet: bool) -> None:
    """Import a WordPress export (WXR file from Tools → Export in WordPress)."""
    from townhall.importers import wordpress  # noqa: PLC0415

    _run(ctx, site_id, wordpress.SOURCE, wordpress.read(export), dry_run, quiet)


@import_group.command("isso")
@click.argument("database", type=FILE)
@_options
@click.option("--origin", help="Put in front of Isso's page paths (default: the site's first origin)")
@pass_context
def import_isso(
    ctx: Context, database: Path, site_id: str, dry_run: bool, quiet: bool, origin: str | None
) -> None:
    """Import Isso's SQLite database (the file named by dbpath in isso.cfg)."""
    from townhall.importers import isso  # noqa: PLC0415

    origin = origin or ctx.services().sites.get(site_id).origins[0]
    _run(ctx, site_id, isso.SOURCE, isso.read(database, origin.rstrip("/")), dry_run, quiet)


COMMANDS = [import_group]
