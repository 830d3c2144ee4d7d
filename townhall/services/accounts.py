"""Staff accounts and dashboard sessions: argon2 passwords, a growing delay after failed sign-ins.

A session is a random token the browser keeps in a cookie; only its SHA-256 is stored, next to
a CSRF token the dashboard's forms must echo. Ending every session of a user ("log out
everywhere") is one DELETE.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError

from townhall.errors import Conflict, Invalid, NotFound, RateLimited, Unauthorized
from townhall.services.clock import Clock, utcnow
from townhall.storage import Storage
from townhall.types import Role

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 takes any length; a cap keeps one request from costing much
FREE_FAILURES = 3  # typos are free; the delay starts after the third failure in a row
MAX_DELAY_SECONDS = 900
SESSION_HOURS = 12


def login_delay(failures: int) -> int:
    """Seconds a user must wait after ``failures`` failed sign-ins in a row: 0, 0, 0, 1, 2, 4, … 900."""
    if failures < FREE_FAILURES:
        return 0
    return int(min(2 ** (failures - FREE_FAILURES), MAX_DELAY_SECONDS))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: Role
    disabled: bool
    created_at: datetime
    failed_logins: int = 0


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in user. ``token`` is set only when the session is created (it goes in the cookie)."""

    user: User
    csrf_token: str
    expires_at: datetime
    token: str = ""


def _user(row: dict[str, Any]) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        role=Role(row["role"]),
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
        failed_logins=int(row.get("failed_logins") or 0),
    )


class AccountService:
    def __init__(
        self,
        storage: Storage,
        clock: Clock = utcnow,
        hasher: PasswordHasher | None = None,
        session_hours: int = SESSION_HOURS,
    ):
        self.storage = storage
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        self.session_length = timedelta(hours=session_hours)
        self._decoy_hash = ""

    # -- accounts ------------------------------------------------------------------------------

    def add(self, name: str, role: Role | str, password: str) -> User:
        name = name.strip()
        if not _NAME.match(name):
            raise Invalid(
                "name: 2 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit",
                fields={"name": "not a valid user name"},
            )
        role = self._role(role)
        password_hash = self.hasher.hash(self._check_password(password))
        try:
            with self.storage.write() as tx:
                if tx.accounts.by_name(name) is not None:
                    raise Conflict(f"a user named {name!r} already exists", code="user_exists")
                user_id = tx.accounts.add(name, role.value, password_hash, self.clock())
                row = tx.accounts.get(user_id)
        except IntegrityError as exc:  # two adds racing for one name
            raise Conflict(f"a user named {name!r} already exists", code="user_exists") from exc
        assert row is not None
        return _user(row)

    def get(self, name: str) -> User:
        with self.storage.read() as tx:
            row = tx.accounts.by_name(name)
        if row is None:
            raise NotFound(f"no user {name!r}", code="unknown_user")
        return _user(row)

    def disable(self, name: str) -> User:
        """Stop a user signing in; their open sessions end at once."""
        return self._change(name, disabled=True)

    def enable(self, name: str) -> User:
        return self._change(name, disabled=False, failed_logins=0, last_failed_at=None)

    def set_role(self, name: str, role: Role | str) -> User:
        return self._change(name, role=self._role(role).value)

    def reset_password(self, name: str, password: str) -> User:
        """A new password; every session ends and the failed-sign-in delay is cleared."""
        password_hash = self.hasher.hash(self._check_password(password))
        return self._change(name, password_hash=password_hash, failed_logins=0, last_failed_at=None)

    # -- signing in ----------------------------------------------------------------------------

    def authenticate(self, name: str, password: str) -> User:
        """The user for a name and password.

        Raises:
            RateLimited: too many failures in a row; the message says how long to wait.
            Unauthorized: the name or password is wrong, or the account is disabled (one message).
        """
        now = self.clock()
        with self.storage.read() as tx:
            row = tx.accounts.by_name(name.strip())
        if row is None or len(password) > MAX_PASSWORD:
            self._verify(self._decoy(), password[:MAX_PASSWORD])
            raise Unauthorized("the name or password is not right", code="bad_login")
        wait = self._wait(row, now)
        if wait > 0:
            # Refused before checking the password, so guessing costs the attacker the delay.
            raise RateLimited(
                f"too many failed sign-ins: try again in {wait} second{'s' if wait != 1 else ''}",
                code="login_delayed",
                fields={"retry_after": str(wait)},
            )
        if not self._verify(row["password_hash"], password) or row["disabled"]:
            with self.storage.write() as tx:
                tx.accounts.record_failure(row["id"], now)
            raise Unauthorized("the name or password is not right", code="bad_login")
        with self.storage.write() as tx:
            tx.accounts.clear_failures(row["id"])
            if self.hasher.check_needs_rehash(row["password_hash"]):
                tx.accounts.update(row["id"], password_hash=self.hasher.hash(password))
        return _user(row)

    def login(self, name: str, password: str) -> Session:
        """Check the password and open a session."""
        user = self.authenticate(name, password)
        return self.start_session(user)

    def start_session(self, user: User) -> Session:
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self.clock()
        expires = now + self.session_length
        with self.storage.write() as tx:
            tx.accounts.purge_expired(now)
            tx.accounts.add_session(token_hash(token), user.id, csrf, now, expires)
        return Session(user=user, csrf_token=csrf, expires_at=expires, token=token)

    def resolve(self, token: str) -> Session | None:
        """The live session for a cookie's token, or None (unknown, expired, user disabled)."""
        if not token or len(token) > 200:
            return None
        with self.storage.read() as tx:
            row = tx.accounts.session(token_hash(token), self.clock())
        if row is None:
            return None
        return Session(user=_user(row), csrf_token=row["csrf_token"], expires_at=row["expires_at"])

    def logout(self, token: str) -> None:
        with self.storage.write() as tx:
            tx.accounts.end_session(token_hash(token))

    def logout_everywhere(self, name: str) -> int:
        """End every session of a user; returns how many there were."""
        with self.storage.write() as tx:
            row = tx.accounts.by_name(name)
            if row is None:
                raise NotFound(f"no user {name!r}", code="unknown_user")
            return tx.accounts.end_all_sessions(row["id"])

    def session_count(self, name: str) -> int:
        with self.storage.read() as tx:
            row = tx.accounts.by_name(name)
            return tx.accounts.session_count(row["id"], self.clock()) if row else 0

    # Last among the public methods: a method named `list` shadows the builtin in annotations below it.
    def list(self) -> list[User]:
        with self.storage.read() as tx:
            return [_user(row) for row in tx.accounts.list()]

    # -- helpers -------------------------------------------------------------------------------

    def _change(self, name: str, **values: Any) -> User:
        with self.storage.write() as tx:
            row = tx.accounts.by_name(name)
            if row is None:
                raise NotFound(f"no user {name!r}", code="unknown_user")
            tx.accounts.update(row["id"], **values)
            if values.get("disabled") or "password_hash" in values or "role" in values:
                tx.accounts.end_all_sessions(row["id"])
            updated = tx.accounts.get(row["id"])
        assert updated is not None
        return _user(updated)

    def _decoy(self) -> str:
        # Verified against for unknown names, so a wrong name costs as much time as a wrong password.
        if not self._decoy_hash:
            self._decoy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._decoy_hash

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return bool(self.hasher.verify(password_hash, password))
        except (VerificationError, InvalidHashError):
            return False

    def _wait(self, row: dict[str, Any], now: datetime) -> int:
        delay = login_delay(int(row["failed_logins"] or 0))
        last = row["last_failed_at"]
        if delay == 0 or last is None:
            return 0
        remaining = (last + timedelta(seconds=delay) - now).total_seconds()
        return max(0, int(remaining + 0.999))

    @staticmethod
    def _role(role: Role | str) -> Role:
        try:
            return Role(role)
        except ValueError as exc:
            choices = ", ".join(r.value for r in Role)
            raise Invalid(f"role must be one of {choices}", fields={"role": "unknown role"}) from exc

    @staticmethod
    def _check_password(password: str) -> str:
        if len(password) < MIN_PASSWORD:
            raise Invalid(
                f"password must be at least {MIN_PASSWORD} characters", fields={"password": "too short"}
            )
        if len(password) > MAX_PASSWORD:
            raise Invalid(
                f"password must be at most {MAX_PASSWORD} characters", fields={"password": "too long"}
            )
        return password
