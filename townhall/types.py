"""Shared enums, stored as text (never bare integers)."""

from __future__ import annotations

from enum import StrEnum


class CommentStatus(StrEnum):
    PUBLISHED = "published"
    HELD = "held"
    REJECTED = "rejected"
    DELETED = "deleted"


class Decision(StrEnum):
    PUBLISH = "publish"
    HOLD = "hold"
    REJECT = "reject"


class ActorKind(StrEnum):
    READER = "reader"
    MODERATOR = "moderator"
    SIGNAL = "signal"
    SYSTEM = "system"
    PUBLISHER = "publisher"


class SortOrder(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    BEST = "best"


class ModerationMode(StrEnum):
    PRE = "pre"  # hold everything for a moderator
    POST = "post"  # publish unless a signal says otherwise


class Role(StrEnum):
    ADMIN = "admin"
    MODERATOR = "moderator"
    EDITOR = "editor"


class AuthorKind(StrEnum):
    GUEST = "guest"
    SSO = "sso"
