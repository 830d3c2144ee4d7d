"""`townhall site …`, `townhall key …` and `townhall story …`: what a publisher sets up."""

from __future__ import annotations

import json

import click

from townhall.cli import Context, pass_context, site_option, site_scope
from townhall.types import ActorKind

# Ids are INTEGER columns; a bigger number would be a database error, not a one-line message.
ID = click.IntRange(1, 2**31 - 1)


@click.group()
def site() -> None:
    """Add and configure sites (one per news site that embeds Townhall)."""


@site.command("add")
@click.argument("site_id")
@click.option("--name", required=True, help="The site's display name")
@click.option(
    "--origin", "origins", multiple=True, required=True, help="Allowed origin, e.g. https://news.example"
)
@pass_context
def site_add(ctx: Context, site_id: str, name: str, origins: tuple[str, ...]) -> None:
    """Add a site that may embed comments from the given origins."""
    added = ctx.services().sites.add(site_id, name, list(origins))
    click.echo(f"added site {added.id} ({', '.join(added.origins)})")


@site.command("list")
@pass_context
def site_list(ctx: Context) -> None:
    """List sites."""
    for s in ctx.services().sites.list():
        click.echo(f"{s.id}\t{s.name}\t{' '.join(s.origins)}\t{s.settings.moderation_mode.value}-moderation")


@site.command("show")
@click.argument("site_id")
@pass_context
def site_show(ctx: Context, site_id: str) -> None:
    """Show a site's origins and settings as JSON."""
    s = ctx.services().sites.get(site_id)
    shown = {"id": s.id, "name": s.name, "origins": list(s.origins), "settings": s.settings.to_dict()}
    click.echo(json.dumps(shown, indent=2))


@site.command("origins")
@click.argument("site_id")
@click.argument("origins", nargs=-1, required=True)
@pass_context
def site_origins(ctx: Context, site_id: str, origins: tuple[str, ...]) -> None:
    """Replace a site's allowed origins."""
    updated = ctx.services().sites.set_origins(site_id, list(origins), operator=True)
    click.echo(f"{updated.id}: {', '.join(updated.origins)}")


@site.command("set")
@click.argument("site_id")
@click.argument("setting")
@click.argument("value")
@pass_context
def site_set(ctx: Context, site_id: str, setting: str, value: str) -> None:
    """Change one site setting; VALUE is JSON (e.g. 7, "pre", ["word"]) or a bare word."""
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    updated = ctx.services().sites.update_settings(site_id, {setting: parsed})
    click.echo(f"{updated.id}: {setting} = {json.dumps(updated.settings.to_dict()[setting])}")


@site.command("sso-secret")
@click.argument("site_id")
@pass_context
def site_sso_secret(ctx: Context, site_id: str) -> None:
    """Make a new SSO signing secret (shown once; the old one stops working)."""
    click.echo(ctx.services().sites.rotate_sso_secret(site_id))


@click.group()
def key() -> None:
    """Admin API keys (bearer tokens for /api/v1/admin)."""


@key.command("create")
@click.argument("given", nargs=-1, metavar="")
@site_option
@click.option("--label", default="", help="What the key is for")
@pass_context
def key_create(ctx: Context, given: tuple[str, ...], site_option: str | None, label: str) -> None:
    """Create an API key for a site (--site ID); it is shown once."""
    (site_id,) = site_scope(site_option, given, ())
    click.echo(ctx.services().sites.create_key(site_id, label))


@key.command("list")
@click.argument("given", nargs=-1, metavar="")
@site_option
@pass_context
def key_list(ctx: Context, given: tuple[str, ...], site_option: str | None) -> None:
    """List a site's keys (prefixes only)."""
    (site_id,) = site_scope(site_option, given, ())
    for k in ctx.services().sites.keys(site_id):
        state = "revoked" if k["revoked_at"] else "active"
        click.echo(f"{k['id']}\t{k['prefix']}…\t{state}\t{k['label']}")


@key.command("revoke")
@click.argument("given", nargs=-1, metavar="KEY_ID")
@site_option
@pass_context
def key_revoke(ctx: Context, given: tuple[str, ...], site_option: str | None) -> None:
    """Revoke a key: `key revoke --site ID KEY_ID`."""
    site_id, raw = site_scope(site_option, given, ("key_id",))
    if not raw.isdigit() or not 1 <= int(raw) < 2**31:
        raise click.BadParameter(f"{raw!r} is not a key number from `key list`", param_hint="KEY_ID")
    key_id = int(raw)
    ctx.services().sites.revoke_key(site_id, key_id)
    click.echo(f"revoked key {key_id}")


@click.group()
def story() -> None:
    """List stories and close or reopen their comments."""


@story.command("list")
@click.option("--site", "site_id", help="Only this site's stories")
@pass_context
def story_list(ctx: Context, site_id: str | None) -> None:
    """List stories, newest first."""
    services = ctx.services()
    if site_id is not None:
        services.sites.get(site_id)  # an unknown site is an error, not an empty list
    now = services.comments.clock()
    for s in services.stories.list(site_id):
        state = "closed" if s.is_closed(now) else "open"
        click.echo(f"{s.id}\t{state}\t{s.comment_count}\t{s.url}\t{s.title}")


@story.command("close")
@click.argument("story_id", type=ID)
@click.option("--reason", default="", help="Kept in the story's history")
@pass_context
def story_close(ctx: Context, story_id: int, reason: str) -> None:
    """Close a story's comments."""
    ctx.services().stories.close(story_id, ActorKind.PUBLISHER, "cli", reason)
    click.echo(f"story {story_id}: comments are closed")


@story.command("reopen")
@click.argument("story_id", type=ID)
@click.option("--reason", default="", help="Kept in the story's history")
@pass_context
def story_reopen(ctx: Context, story_id: int, reason: str) -> None:
    """Reopen a story's comments."""
    ctx.services().stories.reopen(story_id, ActorKind.PUBLISHER, "cli", reason)
    click.echo(f"story {story_id}: comments are open")


@story.command("close-due")
@pass_context
def story_close_due(ctx: Context) -> None:
    """Record stories past their closing date as closed (for cron; the server does this too)."""
    closed = ctx.services().stories.close_due()
    click.echo(f"closed {closed} {'story' if closed == 1 else 'stories'} past their closing date")


COMMANDS = [site, key, story]
