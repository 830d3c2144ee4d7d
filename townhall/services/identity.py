"""Who is commenting: a guest (name, optional e-mail, a reader token) or a publisher-signed SSO reader."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import jwt

from townhall.errors import Invalid, Unauthorized
from townhall.i18n import N_
from townhall.models import Site
from townhall.moderation import names
from townhall.services.text import plain
from townhall.types import AuthorKind

MAX_NAME = 80


@dataclass(frozen=True, slots=True)
class Identity:
    kind: AuthorKind
    external_id: str
    name: str
    email: str | None = None
    avatar: str | None = None
    badge: str | None = None
    staff: bool = False  # may use a name that reads as the site's staff (SSO `staff` claim)


def keyed_hash(secret: str, value: str) -> str:
    """A stable pseudonym for a reader token, IP or e-mail; the raw value is not stored."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def account_key(secret: str, sso_id: str) -> str:
    """The stored pseudonym of a signed-in reader (their publisher's user id) on votes."""
    return keyed_hash(secret, f"sso:{sso_id}")[:40]


def network_key(secret: str, address: str) -> str:
    """The stored pseudonym of a reader's network address (flooding, one vote per address, bans)."""
    return keyed_hash(secret, f"ip:{address}")[:40]


def guest(
    name: str, email: str | None, reader: str | None, secret: str, max_name: int = MAX_NAME
) -> Identity:
    name = names.clean(plain(name or ""))
    if not name:
        raise Invalid("a name is required to comment as a guest", fields={"author_name": "required"})
    why = names.problem(name, max_name)
    if why:
        raise Invalid(why, fields={"author_name": why})
    email = (email or "").strip() or None
    if email and ("@" not in email or len(email) > 320 or any(ch.isspace() for ch in email)):
        raise Invalid("e-mail address is not valid", fields={"author_email": N_("not an e-mail address")})
    # The reader token the widget keeps is what ties a guest's comments together. Without one a
    # guest is a new author each time: a name and e-mail anyone can type prove nothing.
    basis = f"reader:{reader}" if reader else f"anonymous:{secrets.token_hex(16)}"
    return Identity(AuthorKind.GUEST, keyed_hash(secret, basis)[:40], name, email)


def from_sso(token: str, site: Site) -> Identity:
    """Verify a publisher-signed HS256 token: sub (user id), name, optional avatar and badge, exp."""
    if not site.sso_secret:
        raise Unauthorized("this site does not accept sign-in tokens", code="sso_not_configured")
    try:
        claims = jwt.decode(
            token, site.sso_secret, algorithms=["HS256"], options={"require": ["sub", "name", "exp"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("sign-in token has expired", code="token_expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("sign-in token is not valid", code="bad_token") from exc
    name = names.clean(plain(_claim_text(claims, "name") or ""))[:MAX_NAME]
    sub = (_claim_text(claims, "sub") or "").strip()
    if not name or not sub:
        raise Unauthorized("sign-in token lacks a user id or name", code="bad_token")
    avatar = _claim_text(claims, "avatar")
    if avatar is not None and not (avatar.startswith("https://") and len(avatar) < 2000):
        avatar = None
    badge = _claim_text(claims, "badge")
    badge = plain(badge)[:40] if badge and badge.strip() else None
    email = _claim_text(claims, "email")
    email = email if email and "@" in email and len(email) <= 320 else None
    staff = claims.get("staff") is True
    return Identity(AuthorKind.SSO, sub[:200], name, email, avatar, badge, staff)


def _claim_text(claims: dict[str, object], name: str) -> str | None:
    """A claim we keep, if it is text that can be stored (a publisher's token may carry anything)."""
    value = claims.get(name)
    if not isinstance(value, str) or "\x00" in value:
        return None
    try:
        value.encode("utf-8")  # a JSON payload may hold lone surrogates
    except UnicodeEncodeError:
        return None
    return value
