"""Bans that follow an author: by SSO id, e-mail hash, reader tokens and (for a while) address hash."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache

from sqlalchemy import Connection, Select, and_, bindparam, delete, insert, or_, select

from townhall.storage.schema import bans, comments

BanKey = tuple[
    str, str
]  # (kind, key): ("sso", user id), ("email", hash), ("reader", hash), ("network", hash)


@cache
def _match(keys: int) -> Select[tuple[int, datetime, str]]:
    """The active-ban query for ``keys`` (kind, key) pairs, built once per count (a post asks with 1 to 4)."""
    kind, key = bans.c.kind, bans.c.key
    wanted = [and_(kind == bindparam(f"p_kind{i}"), key == bindparam(f"p_key{i}")) for i in range(keys)]
    return (
        select(bans.c.author_id, bans.c.until, bans.c.kind)
        .where(bans.c.site_id == bindparam("p_site"), bans.c.until > bindparam("p_now"), or_(*wanted))
        .order_by(bans.c.until.desc())
        .limit(1)
    )


class BanRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    def add(
        self, site_id: str, author_id: int, keys: Iterable[tuple[str, str, datetime]], now: datetime
    ) -> None:
        """Ban these (kind, key, until) for the author; keys already banned for them are replaced."""
        rows = [
            {
                "site_id": site_id,
                "author_id": author_id,
                "kind": kind,
                "key": key,
                "until": until,
                "created_at": now,
            }
            for kind, key, until in {(k, v, u) for k, v, u in keys}
        ]
        if not rows:
            return
        for row in rows:
            self.c.execute(
                delete(bans).where(
                    bans.c.author_id == author_id, bans.c.kind == row["kind"], bans.c.key == row["key"]
                )
            )
        self.c.execute(insert(bans), rows)

    def match(self, site_id: str, keys: Iterable[BanKey], now: datetime) -> tuple[int, datetime, str] | None:
        """(author id, until, kind) of an active ban on any of these keys, the longest first."""
        params: dict[str, object] = {"p_site": site_id, "p_now": now}
        for i, (kind, key) in enumerate(keys):
            params[f"p_kind{i}"] = kind
            params[f"p_key{i}"] = key
        if len(params) == 2:
            return None
        row = self.c.execute(_match((len(params) - 2) // 2), params).first()
        return (row.author_id, row.until, row.kind) if row else None

    def lift(self, author_id: int) -> None:
        self.c.execute(delete(bans).where(bans.c.author_id == author_id))

    def seen_with(self, author_id: int, since: datetime) -> tuple[set[str], set[str]]:
        """Reader-token and address hashes the author's comments came with (addresses: since ``since``)."""
        query = select(comments.c.reader_key, comments.c.ip_hash, comments.c.created_at).where(
            comments.c.author_id == author_id
        )
        readers: set[str] = set()
        networks: set[str] = set()
        for row in self.c.execute(query):
            if row.reader_key:
                readers.add(row.reader_key)
            if row.ip_hash and row.created_at >= since:
                networks.add(row.ip_hash)
        return readers, networks
