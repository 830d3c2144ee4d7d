"""`townhall user …`: the staff who sign in to the dashboard (admins, moderators, editors)."""

from __future__ import annotations

import sys

import click

from townhall.cli import Context, pass_context
from townhall.types import Role


def _password(from_stdin: bool) -> str:
    """A password from stdin (for scripts) or asked for twice, hidden (for people)."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on stdin")
        return password
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group()
def user() -> None:
    """Add and manage dashboard users."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), required=True, help="What the user may do"
)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin")
@pass_context
def user_add(ctx: Context, name: str, role: str, password_stdin: bool) -> None:
    """Add a user: admin (everything), moderator (queues, bans) or editor (stories, featuring)."""
    services = ctx.services()
    added = services.accounts.add(name, role, _password(password_stdin))
    click.echo(f"added {added.role.value} {added.name}")


@user.command("list")
@pass_context
def user_list(ctx: Context) -> None:
    """List users with their role and state."""
    for account in ctx.services().accounts.list():
        state = "disabled" if account.disabled else "active"
        click.echo(f"{account.name}\t{account.role.value}\t{state}\t{account.created_at:%Y-%m-%d}")


@user.command("disable")
@click.argument("name")
@pass_context
def user_disable(ctx: Context, name: str) -> None:
    """Stop a user signing in; their sessions end at once."""
    ctx.services().accounts.disable(name)
    click.echo(f"disabled {name}")


@user.command("enable")
@click.argument("name")
@pass_context
def user_enable(ctx: Context, name: str) -> None:
    """Let a disabled user sign in again."""
    ctx.services().accounts.enable(name)
    click.echo(f"enabled {name}")


@user.command("reset-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of stdin")
@pass_context
def user_reset_password(ctx: Context, name: str, password_stdin: bool) -> None:
    """Set a new password; the user's sessions end and failed sign-ins are forgotten."""
    services = ctx.services()
    services.accounts.get(name)  # fail on an unknown name before asking for a password
    services.accounts.reset_password(name, _password(password_stdin))
    click.echo(f"new password set for {name}")


@user.command("logout-everywhere")
@click.argument("name")
@pass_context
def user_logout_everywhere(ctx: Context, name: str) -> None:
    """End every dashboard session of a user."""
    ended = ctx.services().accounts.logout_everywhere(name)
    click.echo(f"ended {ended} session{'s' if ended != 1 else ''} of {name}")


COMMANDS = [user]
