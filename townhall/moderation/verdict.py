"""What moderation hands back to the comment service."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from townhall.models import Site, Story
from townhall.types import Decision


@dataclass(frozen=True, slots=True)
class Verdict:
    """A decision with the reasons a moderator reads and the message a reader sees.

    ``signals`` maps each signal's name to ``{"score", "evidence", "version"}``; it is stored with
    the comment for moderators and for measuring the models against their decisions.
    """

    decision: Decision
    reasons: tuple[str, ...] = ()
    reader_message: str = ""
    signals: dict[str, dict[str, Any]] = field(default_factory=dict)
    mode: str = "post"

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision.value,
            "reasons": list(self.reasons),
            "reader_message": self.reader_message,
            "signals": self.signals,
            "mode": self.mode,
        }


@dataclass(frozen=True, slots=True)
class ModerationRequest:
    """One new or edited comment, with what moderation needs to know about where it was posted."""

    site: Site
    story: Story
    text: str
    now: datetime
    name: str | None = None  # the display name shown beside it: scored too (moderation/names.py)
    parent_text: str | None = None
    author_id: int | None = None
    author_key: str | None = None
    network_key: str | None = None
    honeypot: str | None = None
    comment_id: int | None = None  # set when an edit is reassessed


class Moderator(Protocol):
    def assess(self, request: ModerationRequest) -> Verdict: ...
