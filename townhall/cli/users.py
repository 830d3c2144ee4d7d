"""`townhall user …`: the staff who sign in to the dashboard (admins, moderators, editors)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from townhall.cli import Context, pass_context
from townhall.types import Role


def _password(from_stdin: bool, from_file: Path | None = None, from_env: str | None = None) -> str:
    """A password for provisioning (stdin, a file's first line, an environment variable) or asked
    for twice, hidden (for people)."""
    if sum(map(bool, (from_stdin, from_file, from_env))) > 1:
        raise click.UsageError("give only one of --password-stdin, --password-file, --password-env")
    if from_stdin:
        password, where = sys.stdin.readline().rstrip("\r\n"), "stdin"
    elif from_file is not None:
        try:
            lines = from_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"cannot read the password file {from_file}: {exc}") from exc
        password, where = (lines[0] if lines else ""), f"the first line of {from_file}"
    elif from_env:
        password, where = os.environ.get(from_env, ""), f"environment variable {from_env}"
    else:
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    if not password:
        raise click.ClickException(f"no password in {where}")
    return password


def password_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--password-stdin, --password-file PATH, --password-env VAR."""
    for option in (
        click.option(
            "--password-env", metavar="VAR", help="Read the password from this environment variable"
        ),
        click.option(
            "--password-file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Read the password from the first line of this file",
        ),
        click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin"),
    ):
        command = option(command)
    return command


@click.group()
def user() -> None:
    """Add and manage dashboard users."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), required=True, help="What the user may do"
)
@password_options
@click.option(
    "--site",
    "sites",
    multiple=True,
    help="Limit the user to this site (repeatable; none: every site)",
)
@pass_context
def user_add(
    ctx: Context,
    name: str,
    role: str,
    password_stdin: bool,
    password_file: Path | None,
    password_env: str | None,
    sites: tuple[str, ...],
) -> None:
    """Add a user: admin (everything), moderator (queues, bans) or editor (stories, featuring)."""
    services = ctx.services()
    password = _password(password_stdin, password_file, password_env)
    added = services.accounts.add(name, role, password, sites)
    where = f" for {', '.join(added.sites)}" if added.sites else ""
    click.echo(f"added {added.role.value} {added.name}{where}")


@user.command("sites")
@click.argument("name")
@click.option(
    "--site", "sites", multiple=True, help="A site the user may see and act on (repeat for several)"
)
@click.option("--all", "every_site", is_flag=True, help="Lift the limit: the user sees every site")
@pass_context
def user_sites(ctx: Context, name: str, sites: tuple[str, ...], every_site: bool) -> None:
    """Limit a user to some sites, or lift the limit; their sessions end."""
    if bool(sites) == every_site:
        raise click.UsageError("give either --site (one or more) or --all")
    changed = ctx.services().accounts.set_sites(name, () if every_site else sites)
    click.echo(f"{changed.name}: {', '.join(changed.sites) if changed.sites else 'every site'}")


@user.command("list")
@pass_context
def user_list(ctx: Context) -> None:
    """List users with their role and state."""
    for account in ctx.services().accounts.list():
        state = "disabled" if account.disabled else "active"
        sites = ",".join(account.sites) or "*"
        click.echo(f"{account.name}\t{account.role.value}\t{state}\t{sites}\t{account.created_at:%Y-%m-%d}")


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
@password_options
@pass_context
def user_reset_password(
    ctx: Context, name: str, password_stdin: bool, password_file: Path | None, password_env: str | None
) -> None:
    """Set a new password; the user's sessions end."""
    services = ctx.services()
    services.accounts.get(name)  # fail on an unknown name before asking for a password
    services.accounts.reset_password(name, _password(password_stdin, password_file, password_env))
    click.echo(f"new password set for {name}")


@user.command("logout-everywhere")
@click.argument("name")
@pass_context
def user_logout_everywhere(ctx: Context, name: str) -> None:
    """End every dashboard session of a user."""
    ended = ctx.services().accounts.logout_everywhere(name)
    click.echo(f"ended {ended} session{'s' if ended != 1 else ''} of {name}")


@user.command("totp")
@click.argument("name")
@click.option("--code", help="The code the app shows (asked for when not given)")
@click.option("--secret", help="Enrol this base32 secret (default: a new one, printed first)")
@pass_context
def user_totp(ctx: Context, name: str, code: str | None, secret: str | None) -> None:
    """Turn on one-time codes (TOTP) for a user: add the printed key to an authenticator app,
    then give the code it shows. Sign-ins then ask for a code; the user's sessions end."""
    accounts = ctx.services().accounts
    accounts.get(name)
    secret = secret or accounts.new_totp_secret()
    click.echo(f"key: {secret}")
    click.echo(f"address for apps: {accounts.totp_uri(name, secret)}")
    code = code or str(click.prompt("Code from the app"))
    accounts.enable_totp(name, secret, code)
    click.echo(f"one-time codes on for {name}")


@user.command("totp-off")
@click.argument("name")
@pass_context
def user_totp_off(ctx: Context, name: str) -> None:
    """Turn one-time codes off for a user (a lost phone); the user's sessions end."""
    ctx.services().accounts.disable_totp(name)
    click.echo(f"one-time codes off for {name}")


COMMANDS = [user]
