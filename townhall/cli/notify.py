"""`townhall mail …` and `townhall webhook …`: send what is queued (for cron), manage webhooks."""

from __future__ import annotations

import click

from townhall.cli import Context, pass_context, site_option, site_scope
from townhall.services.webhooks import EVENTS


@click.group()
def mail() -> None:
    """E-mail notifications: send what is queued, see the outbox."""


@mail.command("send-pending")
@pass_context
def mail_send_pending(ctx: Context) -> None:
    """Queue due moderators' digests, then send every due message (for cron; the server does this too)."""
    services = ctx.services()
    if not services.outbox.mailer.configured:
        raise click.ClickException("no SMTP server is set up: set smtp_host and mail_from")
    digests = services.digests.send_due()
    total_sent = total_failed = 0
    while True:  # batch after batch, until nothing due is left or the server stops answering
        report = services.outbox.send_pending()
        total_sent += report.sent
        total_failed += report.failed
        if report.failed or report.sent == 0:
            break
    counts = services.outbox.counts()
    click.echo(
        f"sent {total_sent}, failed {total_failed} (digests queued: {digests}); "
        f"waiting {counts['waiting']}, given up {counts['failed']}"
    )
    if total_failed:
        raise SystemExit(1)


@mail.command("status")
@pass_context
def mail_status(ctx: Context) -> None:
    """Messages sent, waiting and given up, and the newest ones."""
    services = ctx.services()
    counts = services.outbox.counts()
    click.echo(f"sent {counts['sent']}, waiting {counts['waiting']}, given up {counts['failed']}")
    for row in services.outbox.recent(10):
        state = "sent" if row["sent_at"] else "given up" if row["failed_at"] else "waiting"
        error = f" ({row['last_error']})" if row["last_error"] else ""
        click.echo(
            f"{row['id']}\t{row['kind']}\t{row['to_addr']}\t{state}, {row['attempts']} attempts{error}"
        )


@mail.command("sweep")
@pass_context
def mail_sweep(ctx: Context) -> None:
    """Delete messages sent or given up on more than mail_keep_days ago (the server does it hourly)."""
    services = ctx.services()
    click.echo(f"deleted {services.outbox.sweep()} old messages (kept {services.config.mail_keep_days} days)")


@click.group()
def webhook() -> None:
    """Signed webhooks per site: add, list, remove, test, deliver."""


@webhook.command("add")
@click.argument("given", nargs=-1, metavar="URL")
@site_option
@click.option("--event", "events", multiple=True, type=click.Choice(EVENTS), help="Only these (default: all)")
@pass_context
def webhook_add(
    ctx: Context, given: tuple[str, ...], site_option: str | None, events: tuple[str, ...]
) -> None:
    """Add a webhook (`webhook add --site ID URL`); its signing secret is shown once."""
    site_id, url = site_scope(site_option, given, ("url",))
    hook, secret = ctx.services().webhooks.add(site_id, url, list(events))
    click.echo(f"webhook {hook.id} for {hook.site_id}: {hook.url}")
    click.echo(f"events: {', '.join(hook.events)}")
    click.echo(f"secret (shown once): {secret}")


@webhook.command("list")
@click.argument("given", nargs=-1, metavar="")
@site_option
@pass_context
def webhook_list(ctx: Context, given: tuple[str, ...], site_option: str | None) -> None:
    """The site's webhooks."""
    (site_id,) = site_scope(site_option, given, ())
    for hook in ctx.services().webhooks.list(site_id):
        click.echo(f"{hook.id}\t{hook.url}\t{','.join(hook.events)}")


@webhook.command("remove")
@click.argument("webhook_id", type=int)
@pass_context
def webhook_remove(ctx: Context, webhook_id: int) -> None:
    """Remove a webhook and its delivery log."""
    ctx.services().webhooks.remove(webhook_id)
    click.echo(f"removed webhook {webhook_id}")


@webhook.command("test")
@click.argument("webhook_id", type=int)
@pass_context
def webhook_test(ctx: Context, webhook_id: int) -> None:
    """Queue a `ping` event to a webhook (delivered by the server, or by `webhook deliver`)."""
    delivery = ctx.services().webhooks.send_test(webhook_id)
    click.echo(f"queued test delivery {delivery}")


@webhook.command("deliver")
@pass_context
def webhook_deliver(ctx: Context) -> None:
    """Deliver every due webhook event now (for cron; the server does this too)."""
    report = ctx.services().webhooks.deliver_pending()
    click.echo(f"delivered {report.delivered}, failed {report.failed}, given up {report.given_up}")


@webhook.command("sweep")
@pass_context
def webhook_sweep(ctx: Context) -> None:
    """Delete delivered and given-up deliveries older than webhook_log_keep_days (the server: hourly)."""
    services = ctx.services()
    kept = services.config.webhook_log_keep_days
    click.echo(f"deleted {services.webhooks.sweep()} old deliveries (kept {kept} days)")


COMMANDS = [mail, webhook]
