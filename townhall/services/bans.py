"""What a ban covers: the author's SSO id, e-mail, the reader tokens seen with them and, for a
while, the network addresses they posted from (all but the SSO id as keyed hashes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from townhall.errors import Forbidden
from townhall.models import Author
from townhall.services.identity import Identity, keyed_hash
from townhall.storage import Repos
from townhall.storage.bans import BanKey
from townhall.types import AuthorKind

SEEN_DAYS = 30  # addresses of comments older than this are not banned


def refusal() -> Forbidden:
    """What a banned reader is told, whatever they try (post, edit, vote, report): one message."""
    return Forbidden("you can no longer comment on this site", code="author_banned")


def author_key(author: Author) -> BanKey:
    """The key a ban on this author is stored under (their SSO id or reader hash)."""
    return ("sso" if author.kind is AuthorKind.SSO else "reader", author.external_id or "")


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

    def for_reader(self, reader_key: str, network_key: str | None, sso_id: str | None) -> list[BanKey]:
        """Every key a vote or report could be banned under: the reader token's hash (a guest's
        author id), the address's hash and, for a signed-in reader, their user id."""
        keys: list[BanKey] = [("reader", reader_key)]
        if network_key:
            keys.append(("network", network_key))
        if sso_id:
            keys.append(("sso", sso_id))
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
