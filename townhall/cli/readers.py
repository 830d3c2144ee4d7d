"""`townhall reader find | export | erase | erasures`: a reader's data rights (GDPR art. 15 and 17)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import click

from townhall.cli import Context, pass_context
from townhall.types import ActorKind

ID = click.IntRange(1, 2**31 - 1)


@click.group()
def reader() -> None:
    """Find a reader, export everything stored about them, or erase them."""


@reader.command("find")
@click.option("--site", "site_id", required=True, help="The site the reader commented on")
@click.option("--email", help="The e-mail address they gave")
@click.option("--sso-id", help="Their user id on the publisher's site (signed-in readers)")
@click.option("--comment", "comment_id", type=ID, help="The id of one of their comments")
@pass_context
def reader_find(
    ctx: Context, site_id: str, email: str | None, sso_id: str | None, comment_id: int | None
) -> None:
    """List the readers matching one e-mail, SSO user id or comment (a reader id per line)."""
    services = ctx.services()
    site = services.sites.get(site_id)
    found = services.readers.find(site, email=email, sso_id=sso_id, comment_id=comment_id)
    if not found:
        click.echo("no reader found")
    for r in found:
        email_note = "e-mail stored" if r["has_email"] else "no e-mail"
        click.echo(f"{r['id']}\t{r['kind']}\t{r['name']}\t{r['comments']} comment(s)\t{email_note}")


@reader.command("export")
@click.argument("reader_id", type=ID)
@click.option("--site", "site_id", required=True, help="The reader's site")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the JSON here (default: standard output)",
)
@pass_context
def reader_export(ctx: Context, reader_id: int, site_id: str, output: Path | None) -> None:
    """Everything stored about one reader, as JSON (for a subject access request)."""
    services = ctx.services()
    data = services.readers.export(services.sites.get(site_id), reader_id)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote reader {reader_id}'s data to {output}", err=True)


@reader.command("erase")
@click.argument("reader_id", type=ID)
@click.option("--site", "site_id", required=True, help="The reader's site")
@click.option("--reason", default="", help="Why (kept in the erasure record; write no personal data)")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation")
@pass_context
def reader_erase(ctx: Context, reader_id: int, site_id: str, reason: str, yes: bool) -> None:
    """Erase a reader: comments removed or anonymised (per the site's erasure_mode), personal data deleted."""
    services = ctx.services()
    site = services.sites.get(site_id)
    services.readers.export(site, reader_id)  # an unknown reader fails here, before the question
    if not yes:
        click.confirm(
            f"Erase reader {reader_id} of {site.id} ({site.settings.erasure_mode} their comments)? "
            "This cannot be undone",
            abort=True,
        )
    record = services.readers.erase(site, reader_id, ActorKind.SYSTEM, f"cli:{getpass.getuser()}", reason)
    click.echo(
        f"erased reader {reader_id}: {record['comments']} comment(s) {record['mode']}d; record {record['id']}"
    )


@reader.command("erasures")
@click.option("--site", "site_id", required=True, help="The site")
@pass_context
def reader_erasures(ctx: Context, site_id: str) -> None:
    """The record of erasures: when, who, which reader id, how many comments (no erased data)."""
    services = ctx.services()
    for e in services.readers.erasures(services.sites.get(site_id)):
        what = f"reader {e['author_id']}\t{e['comments']} {e['mode']}"
        click.echo(f"{e['created_at']}\t{e['actor']}\t{what}\t{e['reason']}")


@reader.command("retention")
@pass_context
def reader_retention(ctx: Context) -> None:
    """Drop IP hashes and never-opted-in e-mails older than retention_days now (the server does it hourly)."""
    services = ctx.services()
    swept = services.retention.sweep()
    days = services.config.retention_days
    if not days:
        click.echo("retention_days is 0: nothing is dropped")
        return
    click.echo(
        f"dropped the IP hash of {swept.ip_hashes} comment(s) and {swept.emails} e-mail address(es) "
        f"older than {days} days"
    )


COMMANDS = [reader]
