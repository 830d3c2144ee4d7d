"""Retention: personal data that has served its purpose is dropped on a schedule.

Readers' keyed IP hashes (used against floods and for bans by address) and the e-mail addresses
of readers who never opted in to mail are dropped ``retention_days`` after the reader's last
comment. The server runs :meth:`Retention.sweep` every hour; `townhall reader retention` runs it now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from townhall.services.clock import Clock, utcnow
from townhall.storage import Storage


@dataclass(frozen=True, slots=True)
class Swept:
    ip_hashes: int  # comments whose IP hash was dropped
    emails: int  # readers whose e-mail was dropped


class Retention:
    def __init__(self, storage: Storage, days: int, clock: Clock = utcnow):
        self.storage = storage
        self.days = days
        self.clock = clock

    def sweep(self) -> Swept:
        """Drop what is older than the retention period, in one transaction; nothing when it is 0."""
        if not self.days:
            return Swept(0, 0)
        before = self.clock() - timedelta(days=self.days)
        with self.storage.write() as tx:
            return Swept(tx.readers.drop_ip_hashes(before), tx.readers.drop_emails(before))
