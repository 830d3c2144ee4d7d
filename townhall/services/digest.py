"""Moderators' digests: every N hours, an e-mail listing the comments held for review.

Each dashboard account opts in on its account page (an address and a period). The server's
"digest" job (or `townhall mail send-pending`) queues a digest for each account whose period has
passed, only when something is waiting, in the same transaction that records it as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from townhall import i18n
from townhall.errors import Forbidden, Invalid
from townhall.models import Comment
from townhall.services.clock import Clock, utcnow
from townhall.services.mail import Outbox, check_address
from townhall.services.text import plain
from townhall.storage import Repos, Storage
from townhall.types import CommentStatus, Role

PERIODS = (1, 6, 24, 168)  # hours a moderator can choose from
LISTED = 20  # comments named in one digest
DIGEST_ROLES = (Role.ADMIN, Role.MODERATOR)


@dataclass(frozen=True, slots=True)
class DigestChoice:
    email: str
    period_hours: int
    last_sent_at: datetime | None


def _held(tx: Repos, user: dict[str, Any] | None) -> tuple[int, list[Comment]]:
    """How many comments wait for review where the account works, and the newest of them."""
    # An account limited to some sites hears only about theirs.
    scope: list[str | None] = list((user or {}).get("sites") or ()) or [None]
    count = sum(len(tx.queue.held_verdicts(site_id)) for site_id in scope)
    newest = [
        c
        for site_id in scope
        for c in tx.comments.list(site_id=site_id, status=CommentStatus.HELD, limit=LISTED)
    ]
    return count, sorted(newest, key=lambda c: -c.id)[:LISTED]


def _language(tx: Repos, user: dict[str, Any] | None) -> str:
    """The sites' e-mail language where the account works; English when those sites differ."""
    limited = set((user or {}).get("sites") or ())
    languages = {s.settings.language for s in tx.sites.list() if not limited or s.id in limited}
    return languages.pop() if len(languages) == 1 else i18n.DEFAULT


class Digests:
    def __init__(self, storage: Storage, outbox: Outbox, clock: Clock = utcnow):
        self.storage = storage
        self.outbox = outbox
        self.clock = clock

    def get(self, user_id: int) -> DigestChoice | None:
        with self.storage.read() as tx:
            row = tx.subscriptions.digest(user_id)
        return DigestChoice(row["email"], row["period_hours"], row["last_sent_at"]) if row else None

    def choose(self, user_id: int, role: Role, email: str, period_hours: int) -> DigestChoice:
        """Opt in (or change the address or period); the first digest comes one period from now."""
        if role not in DIGEST_ROLES:
            raise Forbidden("digests of held comments are for admins and moderators", code="forbidden")
        if period_hours not in PERIODS:
            raise Invalid(
                "period must be one of {choices} hours",
                params={"choices": ", ".join(map(str, PERIODS))},
                fields={"period_hours": "unknown"},
            )
        email = check_address(email)
        with self.storage.write() as tx:
            tx.subscriptions.set_digest(user_id, email, period_hours, self.clock())
        choice = self.get(user_id)
        assert choice is not None
        return choice

    def stop(self, user_id: int) -> None:
        with self.storage.write() as tx:
            tx.subscriptions.drop_digest(user_id)

    def _line(self, name: str, body: str, comment_id: int) -> str:
        return f"- {name}: {plain(body)[:140]}\n  {self.outbox.link(f'/admin/comments/{comment_id}')}"

    def _mail(self, lang: str, held: int, listed: list[Comment], hours: int, name: str) -> tuple[str, str]:
        """The digest's subject and text; moderators' words live in the dashboard's catalogue."""
        t = i18n.translations(lang, "dashboard")
        count = {"num": held}
        footer = t.ngettext(  # one English form ("every 1 hours"); German and French say "every hour"
            "Digest every %(hours)s hours for %(name)s. Change or stop it on your account page: %(link)s",
            "Digest every %(hours)s hours for %(name)s. Change or stop it on your account page: %(link)s",
            hours,
        )
        lines = [
            t.ngettext("%(num)s comment waiting for review.", "%(num)s comments waiting for review.", held)
            % count,
            "",
            *(self._line(c.author.name, c.body, c.id) for c in listed),
            "",
            t.gettext("The queue: %(link)s") % {"link": self.outbox.link("/admin/queue")},
            "",
            "--\n" + footer % {"hours": hours, "name": name, "link": self.outbox.link("/admin/account")},
        ]
        subject = t.ngettext(
            "Townhall: %(num)s comment held for review", "Townhall: %(num)s comments held for review", held
        )
        return subject % count, "\n".join(lines) + "\n"

    def send_due(self) -> int:
        """Queue the digests whose period has passed; returns how many were queued."""
        if not self.outbox.enabled:
            return 0
        now = self.clock()
        queued = 0
        with self.storage.read() as tx:
            due = [
                row
                for row in tx.subscriptions.digests()
                if row["last_sent_at"] is None
                or row["last_sent_at"] + timedelta(hours=row["period_hours"]) <= now
            ]
        for row in due:
            with self.storage.write() as tx:
                user = tx.accounts.get(row["user_id"])
                held, listed = _held(tx, user)
                tx.subscriptions.digest_sent(row["user_id"], now)
                if not held or user is None or user["disabled"] or user["role"] not in DIGEST_ROLES:
                    continue
                lang = _language(tx, user)
                subject, text = self._mail(lang, held, listed, row["period_hours"], user["name"])
                self.outbox.queue(
                    tx,
                    "digest",
                    row["email"],
                    subject,
                    text,
                    dedupe_key=f"digest:{row['user_id']}:{now.isoformat()}",
                )
                queued += 1
        return queued
