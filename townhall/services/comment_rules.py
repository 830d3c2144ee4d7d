"""What posting, editing, reading and moderators' decisions share: the limits, the status a
moderation decision gives, the note an author is told, and how a story's published count moves."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from townhall.i18n import N_
from townhall.models import Comment
from townhall.moderation.policy import reader_message
from townhall.types import CommentStatus, Decision

STATUS_FOR = {
    Decision.PUBLISH: CommentStatus.PUBLISHED,
    Decision.HOLD: CommentStatus.HELD,
    Decision.REJECT: CommentStatus.REJECTED,
}


@dataclass(frozen=True, slots=True)
class Limits:
    max_chars: int = 5000
    max_depth: int = 4
    page_size: int = 20
    max_page_size: int = 100


@dataclass(frozen=True, slots=True)
class Posted:
    comment: Comment
    edit_token: str
    message: str  # what the reader is told: published, held for review (and why, in general terms), rejected


def token_hash(token: str) -> str:
    """What is stored of an edit token."""
    return hashlib.sha256(token.encode()).hexdigest()


def published_delta(before: CommentStatus | None, after: CommentStatus) -> int:
    """Change in a story's published count when a comment moves between statuses (``before``
    None: a new comment)."""
    return int(after is CommentStatus.PUBLISHED) - int(before is CommentStatus.PUBLISHED)


Gettext = Callable[[str], str]

PUBLISHED_NOTE = N_("Your comment is published.")
HELD_NOTE = N_("Your comment is awaiting moderation and will appear once approved.")
REJECTED_NOTE = N_("Your comment was not published because it breaks this site's rules.")


def reader_note(status: CommentStatus, verdict: Mapping[str, Any] | None, gettext: Gettext = str) -> str:
    """What the author is told about their comment, in gettext's language.

    The policy's message is said again from its reasons; a moderator's own words are kept as written.
    """
    if status is CommentStatus.PUBLISHED:
        return gettext(PUBLISHED_NOTE)
    verdict = verdict or {}
    names = verdict.get("reader_reasons")
    if names is not None and verdict.get("decision") in (Decision.HOLD.value, Decision.REJECT.value):
        text = reader_message(Decision(verdict["decision"]), [str(n) for n in names], gettext)
    else:
        text = gettext(str(verdict.get("reader_message") or ""))
    return text or gettext(HELD_NOTE if status is CommentStatus.HELD else REJECTED_NOTE)
