"""What a unit of work did to comments and stories, gathered as it writes their audit events.

Hooks registered with ``Storage.before_commit`` read these inside the same transaction, so what
an event causes (an e-mail in the outbox, a webhook delivery) commits with it or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class CommentChange:
    comment_id: int
    from_status: str | None  # None: the comment was just created
    to_status: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoryChange:
    story_id: int
    action: str  # created, updated, closed, reopened, scheduled
