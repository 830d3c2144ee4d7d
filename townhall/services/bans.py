"""What a ban covers: the author's SSO id, e-mail, the reader tokens seen with them and, for a
while, the network addresses they posted from (all but the SSO id as keyed hashes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from townhall.services.identity import Identity, keyed_hash
from townhall.storage import Repos
from townhall.storage.bans import BanKey
from townhall.types import AuthorKind

SEEN_DAYS = 30  # addresses of comments older than this are not banned


@dataclass(frozen=True, slots=True)
class BanKeys:
    secret: str
    address_hours: int = 72

    def email(self, email: str) -> str:
        return keyed_hash(self.secret, f"email:{email.strip().lower()}")[:40]

    def for_post(self, identity: Identity, reader_key: str | None, network_key: str | None) -> list[BanKey]:
        """Every key a new comment could be banned under."""
        keys: list[BanKey] = []
        if identity.kind is AuthorKind.SSO:
            keys.append(("sso", identity.external_id))
        else:
            keys.append(("reader", identity.external_id))
        if reader_key:
            keys.append(("reader", reader_key))
        if identity.email:
            keys.append(("email", self.email(identity.email)))
        if network_key:
            keys.append(("network", network_key))
        return keys

    def apply(self, tx: Repos, author: dict[str, Any], until: datetime, now: datetime) -> None:
        """Ban everything known about this author until ``until`` (addresses only for a while)."""
        kind = "sso" if author["kind"] == AuthorKind.SSO.value else "reader"
        keys = [(kind, author["external_id"], until)]
        if author.get("email"):
            keys.append(("email", self.email(author["email"]), until))
        readers, networks = tx.bans.seen_with(author["id"], now - timedelta(days=SEEN_DAYS))
        keys += [("reader", reader, until) for reader in readers]
        if self.address_hours:
            address_until = min(until, now + timedelta(hours=self.address_hours))
            keys += [("network", network, address_until) for network in networks]
        tx.bans.add(author["site_id"], author["id"], keys, now)
