"""Who is commenting: a guest (name, optional e-mail, a reader token) or a publisher-signed SSO reader."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import jwt

from townhall.errors import Invalid, Unauthorized
from townhall.models import Site
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


def keyed_hash(secret: str, value: str) -> str:
    """A stable pseudonym for a reader token, IP or e-mail; the raw value is not stored."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def guest(name: str, email: str | None, reader: str | None, secret: str, max_name: int = MAX_NAME) -> Identity:
    name = plain(name or "")
    if not name:
        raise Invalid("a name is required to comment as a guest", fields={"author_name": "required"})
    if len(name) > max_name:
        raise Invalid(f"name is longer than {max_name} characters", fields={"author_name": "too long"})
    email = (email or "").strip() or None
    if email and ("@" not in email or len(email) > 320 or any(ch.isspace() for ch in email)):
        raise Invalid("e-mail address is not valid", fields={"author_email": "not an e-mail address"})
    # The reader token the widget keeps is what ties a guest's comments together.
    basis = f"reader:{reader}" if reader else f"name:{name.lower()}:{(email or '').lower()}"
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
    name = plain(str(claims["name"]))[:MAX_NAME]
    if not name or not str(claims["sub"]).strip():
        raise Unauthorized("sign-in token lacks a user id or name", code="bad_token")
    avatar = claims.get("avatar")
    if avatar is not None and not (isinstance(avatar, str) and avatar.startswith("https://") and len(avatar) < 2000):
        avatar = None
    badge = claims.get("badge")
    badge = plain(badge)[:40] if isinstance(badge, str) and badge.strip() else None
    return Identity(AuthorKind.SSO, str(claims["sub"])[:200], name, claims.get("email"), avatar, badge)
