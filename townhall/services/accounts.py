"""Staff accounts and dashboard sessions: argon2 passwords, optional one-time codes (TOTP).

Failed sign-ins slow down the address they come from (``throttle.LoginThrottle``), never the
account: nobody can lock a moderator out by guessing wrong on purpose. A wrong name, a wrong
password, a wrong code and a disabled account get the same answer after the same work.

A session is a random token the browser keeps in a cookie; only its SHA-256 is stored, next to
a CSRF token the dashboard's forms must echo. Ending every session of a user ("log out
everywhere") is one DELETE.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError

from townhall.errors import Conflict, Invalid, NotFound, RateLimited, Unauthorized
from townhall.i18n import N_
from townhall.services.clock import Clock, utcnow
from townhall.services.counters import DatabaseCounters
from townhall.services.throttle import LoginThrottle
from townhall.storage import Repos, Storage
from townhall.types import Role

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,99}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 takes any length; a cap keeps one request from costing much
SESSION_HOURS = 12
TOTP_ISSUER = "Townhall"


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
    totp: bool = False  # signs in with a one-time code as well
    sites: tuple[str, ...] = ()  # the sites this account is limited to; empty: every site

    def can_see(self, site_id: str) -> bool:
        return not self.sites or site_id in self.sites


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
        totp=bool(row.get("totp_secret")),
        sites=tuple(row.get("sites") or ()),
    )


# Said in the staff member's language by the dashboard (msgids with placeholders, see errors.py).
EXISTS = N_("a user named '{name}' already exists")
NO_USER = N_("no user '{name}'")


def _minutes(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _known_sites(tx: Repos, sites: Iterable[str]) -> list[str]:
    wanted = sorted({site.strip() for site in sites if site.strip()})
    known = {site.id for site in tx.sites.list()}
    unknown = [site for site in wanted if site not in known]
    if unknown:
        raise Invalid(
            "no site '{site}'", params={"site": unknown[0]}, fields={"sites": f"unknown site {unknown[0]}"}
        )
    return wanted


class AccountService:
    def __init__(
        self,
        storage: Storage,
        clock: Clock = utcnow,
        hasher: PasswordHasher | None = None,
        session_hours: int = SESSION_HOURS,
        throttle: LoginThrottle | None = None,
    ):
        self.storage = storage
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        self.throttle = throttle or LoginThrottle(DatabaseCounters(storage), "", clock)
        self.session_length = timedelta(hours=session_hours)
        self._decoy_hash = ""

    # -- accounts ------------------------------------------------------------------------------

    def add(self, name: str, role: Role | str, password: str, sites: Iterable[str] = ()) -> User:
        """A new account; ``sites`` limits it to those sites (none: every site)."""
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
                    raise Conflict(EXISTS, code="user_exists", params={"name": name})
                user_id = tx.accounts.add(name, role.value, password_hash, self.clock())
                tx.accounts.set_sites(user_id, _known_sites(tx, sites))
                row = tx.accounts.get(user_id)
        except IntegrityError as exc:  # two adds racing for one name
            raise Conflict(EXISTS, code="user_exists", params={"name": name}) from exc
        assert row is not None
        return _user(row)

    def get(self, name: str) -> User:
        with self.storage.read() as tx:
            row = tx.accounts.by_name(name)
        if row is None:
            raise NotFound(NO_USER, code="unknown_user", params={"name": name})
        return _user(row)

    def disable(self, name: str) -> User:
        """Stop a user signing in; their open sessions end at once."""
        return self._change(name, disabled=True)

    def enable(self, name: str) -> User:
        return self._change(name, disabled=False)

    def set_role(self, name: str, role: Role | str) -> User:
        return self._change(name, role=self._role(role).value)

    def set_sites(self, name: str, sites: Iterable[str]) -> User:
        """Limit an account to these sites (none: every site); its sessions end, so it signs in again."""
        with self.storage.write() as tx:
            row = tx.accounts.by_name(name)
            if row is None:
                raise NotFound(NO_USER, code="unknown_user", params={"name": name})
            tx.accounts.set_sites(row["id"], _known_sites(tx, sites))
            tx.accounts.end_all_sessions(row["id"])
            updated = tx.accounts.get(row["id"])
        assert updated is not None
        return _user(updated)

    def reset_password(self, name: str, password: str) -> User:
        """A new password; every session ends."""
        password_hash = self.hasher.hash(self._check_password(password))
        return self._change(name, password_hash=password_hash)

    # -- signing in ----------------------------------------------------------------------------

    def authenticate(self, name: str, password: str, address: str = "", code: str = "") -> User:
        """The user for a name, password and (for accounts that use one) one-time code.

        ``address`` is where the attempt comes from: failures slow that address down, for that
        name and overall, and never the account itself.

        Raises:
            RateLimited: too many failures from this address; the message says how long to wait.
            Unauthorized: anything is wrong or the account is disabled (one message, the same work).
        """
        wait = self.throttle.wait(address, name)
        if wait > 0:
            # Refused before checking anything, whether or not the name exists.
            raise RateLimited(
                f"too many failed sign-ins from your network: try again in {_minutes(wait)}",
                code="login_delayed",
                fields={"retry_after": str(wait)},
            )
        with self.storage.read() as tx:
            row = tx.accounts.by_name(name.strip())
        # One argon2 verification on every path, so an unknown name takes as long as a known one.
        stored = row["password_hash"] if row is not None else self._decoy()
        right = self._verify(stored, password[:MAX_PASSWORD]) and len(password) <= MAX_PASSWORD
        right = right and row is not None and not row["disabled"]
        secret = row.get("totp_secret") if row is not None else None
        if right and secret:
            right = pyotp.TOTP(secret).verify(code.strip().replace(" ", ""), valid_window=1)
        if not right or row is None:
            self.throttle.failed(address, name)
            raise Unauthorized("the name, password or one-time code is not right", code="bad_login")
        self.throttle.succeeded(address, name)
        if self.hasher.check_needs_rehash(row["password_hash"]):
            with self.storage.write() as tx:
                tx.accounts.update(row["id"], password_hash=self.hasher.hash(password))
        return _user(row)

    def login(self, name: str, password: str, address: str = "", code: str = "") -> Session:
        """Check the password (and code) and open a session."""
        user = self.authenticate(name, password, address, code)
        return self.start_session(user)

    def verify_password(self, name: str, password: str) -> bool:
        """Whether ``password`` is this (signed-in) user's own, e.g. before they change it."""
        with self.storage.read() as tx:
            row = tx.accounts.by_name(name)
        stored = row["password_hash"] if row is not None else self._decoy()
        return self._verify(stored, password[:MAX_PASSWORD]) and row is not None

    # -- one-time codes (TOTP) ------------------------------------------------------------------

    @staticmethod
    def new_totp_secret() -> str:
        return pyotp.random_base32()

    @staticmethod
    def totp_uri(name: str, secret: str) -> str:
        """The otpauth:// address an authenticator app reads (typed in, or as a QR code)."""
        return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=TOTP_ISSUER)

    def enable_totp(self, name: str, secret: str, code: str) -> User:
        """Require a one-time code from now on, once the user proves their app has ``secret``."""
        if len(secret) < 16 or len(secret) > 64:
            raise Invalid("the one-time code secret is not valid", fields={"secret": "not valid"})
        try:
            good = pyotp.TOTP(secret).verify(code.strip().replace(" ", ""), valid_window=1)
        except (ValueError, TypeError):  # not base32
            good = False
        if not good:
            raise Invalid(
                "that code does not match: check the app's clock and enter the current code",
                fields={"code": "does not match"},
            )
        return self._change(name, totp_secret=secret)

    def disable_totp(self, name: str) -> User:
        return self._change(name, totp_secret=None)

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
                raise NotFound(NO_USER, code="unknown_user", params={"name": name})
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
                raise NotFound(NO_USER, code="unknown_user", params={"name": name})
            tx.accounts.update(row["id"], **values)
            if (
                values.get("disabled")
                or "password_hash" in values
                or "role" in values
                or "totp_secret" in values
            ):
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

    @staticmethod
    def _role(role: Role | str) -> Role:
        try:
            return Role(role)
        except ValueError as exc:
            choices = ", ".join(r.value for r in Role)
            raise Invalid(
                "role must be one of {choices}", params={"choices": choices}, fields={"role": "unknown role"}
            ) from exc

    @staticmethod
    def _check_password(password: str) -> str:
        if len(password) < MIN_PASSWORD:
            raise Invalid(
                "password must be at least {length} characters",
                params={"length": MIN_PASSWORD},
                fields={"password": "too short"},
            )
        if len(password) > MAX_PASSWORD:
            raise Invalid(
                "password must be at most {length} characters",
                params={"length": MAX_PASSWORD},
                fields={"password": "too long"},
            )
        return password
