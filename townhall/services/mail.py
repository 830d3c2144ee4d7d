"""E-mail: an outbox in the database and a sender that drains it over SMTP, with retries.

Mail is queued with ``Outbox.queue(tx, ...)`` inside the transaction of the event that causes it,
so it is sent if and only if that event commits. ``Outbox.send_pending`` (the server's "mail"
job, or `townhall mail send-pending` from cron) claims due messages and sends them; a failed
attempt is retried with a growing delay, so an SMTP server that is down loses nothing.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from townhall.config import Settings
from townhall.errors import Invalid
from townhall.i18n import N_
from townhall.services.clock import Clock, utcnow
from townhall.storage import Repos, Storage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12  # 1, 2, 4 … minutes, then every 6 hours: about a day and a half in all
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
LEASE = timedelta(minutes=5)  # a claimed message is left alone by other workers this long
BATCH = 50


def retry_delay(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed attempt (1-based): doubling, capped."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


def check_address(email: str, field: str = "email") -> str:
    """A plausible single address, lower-cased domain; a readable 4xx error otherwise."""
    email = (email or "").strip()
    name, address = parseaddr(email)
    local, _, domain = address.rpartition("@")
    if (
        not address
        or name
        or address != email
        or not local
        or "." not in domain
        or any(c.isspace() or c in '<>,;"' for c in address)
        or len(address) > 320
    ):
        raise Invalid("that e-mail address does not look right", fields={field: N_("not an e-mail address")})
    return f"{local}@{domain.lower()}"


_SESSION_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPNotSupportedError,
)


def _unreachable(exc: Exception) -> bool:
    """The server cannot be reached, hung up or refuses our login: every other message would fail
    the same way. (SMTP's own errors are OSErrors too, but a refused recipient or message says
    nothing about the next one.)"""
    if isinstance(exc, _SESSION_ERRORS):
        return True
    return not isinstance(exc, smtplib.SMTPException)


@dataclass(frozen=True, slots=True)
class SendReport:
    sent: int
    failed: int  # attempts that failed (will be retried unless given up)
    given_up: int


class SmtpMailer:
    """SMTP sessions with the configured security (none, STARTTLS, TLS) and login.

    One session carries a whole batch: connecting (and the EHLO name lookup) costs far more
    than a message."""

    def __init__(self, config: Settings):
        self.config = config

    @property
    def configured(self) -> bool:
        return bool(self.config.smtp_host and self.config.mail_from)

    def open(self) -> smtplib.SMTP:
        c = self.config
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if c.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(c.smtp_host, c.smtp_port, timeout=c.smtp_timeout, context=context)
        else:
            smtp = smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=c.smtp_timeout)
        try:
            if c.smtp_security == "starttls":
                smtp.starttls(context=context)
            if c.smtp_user:
                smtp.login(c.smtp_user, c.smtp_password.get_secret_value())
        except BaseException:
            smtp.close()
            raise
        return smtp

    @staticmethod
    def close(smtp: smtplib.SMTP | None) -> None:
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


class Outbox:
    def __init__(self, storage: Storage, config: Settings, clock: Clock = utcnow):
        self.storage = storage
        self.config = config
        self.clock = clock
        self.mailer = SmtpMailer(config)
        self.wake: Callable[[], None] | None = None  # set by the server: run the sender soon

    @property
    def enabled(self) -> bool:
        """Mail can be sent and its links lead somewhere."""
        return self.mailer.configured and bool(self.config.public_url)

    def link(self, path: str) -> str:
        return f"{self.config.public_url}{path}"

    def queue(
        self,
        tx: Repos,
        kind: str,
        to_addr: str,
        subject: str,
        body_text: str,
        headers: dict[str, str] | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Queue a message in the caller's transaction; the sender is woken once it commits."""
        message_id = tx.outbox.enqueue(
            kind, to_addr, subject, body_text, headers or {}, self.clock(), dedupe_key=dedupe_key
        )
        if message_id is not None and self.wake is not None:
            tx.after_commit.append(self.wake)
        return message_id

    def send_pending(self, limit: int = BATCH) -> SendReport:
        """Send what is due now; failures are rescheduled with backoff."""
        sent = failed = given_up = 0
        if not self.mailer.configured:
            return SendReport(0, 0, 0)
        now = self.clock()
        with self.storage.read() as tx:
            due = tx.outbox.due(now, limit)
        smtp: smtplib.SMTP | None = None
        try:
            for row in due:
                with self.storage.write() as tx:
                    if not tx.outbox.claim(row["id"], row["next_attempt_at"], LEASE):
                        continue  # another worker has it
                try:
                    smtp = smtp or self.mailer.open()
                    smtp.send_message(self.build(row))
                except (OSError, smtplib.SMTPException) as exc:
                    self.mailer.close(smtp)
                    smtp = None  # the next message starts a fresh session
                    given_up += self._failed(row, exc)
                    failed += 1
                    if _unreachable(exc):
                        break  # the rest waits for the next round
                    continue
                with self.storage.write() as tx:
                    tx.outbox.sent(row["id"], self.clock())
                sent += 1
        finally:
            self.mailer.close(smtp)
        return SendReport(sent, failed, given_up)

    def _failed(self, row: dict[str, Any], exc: Exception) -> bool:
        """Record a failed attempt and when to try again; True when this was the last one."""
        attempts = row["attempts"] + 1
        final = attempts >= MAX_ATTEMPTS or isinstance(exc, smtplib.SMTPRecipientsRefused)
        retry_at = None if final else self.clock() + retry_delay(attempts)
        error = f"{type(exc).__name__}: {exc}"
        log.warning("mail %s to %s failed (attempt %d): %s", row["id"], row["to_addr"], attempts, error)
        with self.storage.write() as tx:
            tx.outbox.failed(row["id"], error, retry_at, self.clock())
        return retry_at is None

    def build(self, row: dict[str, Any]) -> EmailMessage:
        message = EmailMessage()
        sender = self.config.mail_from
        message["From"] = sender
        message["To"] = row["to_addr"]
        message["Subject"] = row["subject"]
        message["Date"] = format_datetime(row["created_at"])
        domain = parseaddr(sender)[1].rpartition("@")[2] or None
        message["Message-ID"] = make_msgid(f"townhall.{row['id']}", domain=domain)
        message["Auto-Submitted"] = "auto-generated"
        for name, value in (row["headers"] or {}).items():
            message[name] = value
        message.set_content(row["body_text"])
        return message

    def sweep(self) -> int:
        """Delete messages sent or given up on more than ``mail_keep_days`` ago (hourly, on the
        scheduler); returns how many. A message still waiting for its next attempt is never swept."""
        if not self.config.mail_keep_days:
            return 0
        before = self.clock() - timedelta(days=self.config.mail_keep_days)
        with self.storage.write() as tx:
            return tx.outbox.delete_done(before)

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.storage.read() as tx:
            return tx.outbox.recent(limit)

    def counts(self) -> dict[str, int]:
        with self.storage.read() as tx:
            return tx.outbox.counts()
