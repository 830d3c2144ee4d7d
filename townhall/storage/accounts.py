"""Staff accounts (admins, moderators, editors) and their dashboard sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from townhall.storage.schema import sessions, user_sites, users

# Everything about a user except the password hash, which only authentication reads.
_USER_COLUMNS = [c for c in users.c if c.name != "password_hash"]


class AccountRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    def add(self, name: str, role: str, password_hash: str, now: datetime) -> int:
        result = self.c.execute(
            insert(users).values(
                name=name,
                role=role,
                password_hash=password_hash,
                created_at=now,
                disabled=False,
                failed_logins=0,
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def by_name(self, name: str) -> dict[str, Any] | None:
        """The user's row, password hash included (for signing in), with the sites it is limited to."""
        row = self.c.execute(select(users).where(users.c.name == name)).mappings().first()
        return self._with_sites([dict(row)])[0] if row else None

    def get(self, user_id: int) -> dict[str, Any] | None:
        row = self.c.execute(select(*_USER_COLUMNS).where(users.c.id == user_id)).mappings().first()
        return self._with_sites([dict(row)])[0] if row else None

    def set_sites(self, user_id: int, site_ids: list[str]) -> None:
        self.c.execute(delete(user_sites).where(user_sites.c.user_id == user_id))
        if site_ids:
            self.c.execute(insert(user_sites), [{"user_id": user_id, "site_id": s} for s in site_ids])

    def _with_sites(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each row gains ``sites``: the site ids the account is limited to (empty: every site)."""
        ids = [row["id"] for row in rows]
        query = select(user_sites).where(user_sites.c.user_id.in_(ids)).order_by(user_sites.c.site_id)
        found: dict[int, list[str]] = {}
        for user_id, site_id in self.c.execute(query):
            found.setdefault(user_id, []).append(site_id)
        for row in rows:
            row["sites"] = tuple(found.get(row["id"], ()))
        return rows

    def list(self) -> list[dict[str, Any]]:
        query = select(*_USER_COLUMNS).order_by(users.c.name)
        return self._with_sites([dict(row) for row in self.c.execute(query).mappings()])

    def update(self, user_id: int, **values: Any) -> None:
        self.c.execute(update(users).where(users.c.id == user_id).values(**values))

    def add_session(self, token_hash: str, user_id: int, csrf: str, now: datetime, expires: datetime) -> None:
        self.c.execute(
            insert(sessions).values(
                token_hash=token_hash, user_id=user_id, csrf_token=csrf, created_at=now, expires_at=expires
            )
        )

    def session(self, token_hash: str, now: datetime) -> dict[str, Any] | None:
        """A live session with its user; None when expired, unknown or the user is disabled."""
        query = (
            select(sessions.c.csrf_token, sessions.c.token_hash, sessions.c.expires_at, *_USER_COLUMNS)
            .join(users, users.c.id == sessions.c.user_id)
            .where(
                sessions.c.token_hash == token_hash, sessions.c.expires_at > now, users.c.disabled.is_(False)
            )
        )
        row = self.c.execute(query).mappings().first()
        return self._with_sites([dict(row)])[0] if row else None

    def session_count(self, user_id: int, now: datetime) -> int:
        query = select(func.count()).where(sessions.c.user_id == user_id, sessions.c.expires_at > now)
        return int(self.c.execute(query).scalar_one())

    def end_session(self, token_hash: str) -> None:
        self.c.execute(delete(sessions).where(sessions.c.token_hash == token_hash))

    def end_all_sessions(self, user_id: int) -> int:
        return int(self.c.execute(delete(sessions).where(sessions.c.user_id == user_id)).rowcount or 0)

    def purge_expired(self, now: datetime) -> None:
        self.c.execute(delete(sessions).where(sessions.c.expires_at <= now))
