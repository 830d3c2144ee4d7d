"""What moderation is handed (a request with its context) and what it hands back (a verdict).

Moderation never reads storage: the services gather what it needs — the thread so far, the
author's history, the site's recent stories — into a :class:`ModerationRequest`, and give it
small interfaces for what it keeps (article representations, recent comments for spam).
The server and ``townhall moderate score`` build the same request and run the same code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from townhall.models import SiteSettings
from townhall.types import Decision

# How much context the services gather for one comment (the pipeline uses what it is given).
THREAD_CONTEXT = 20  # earlier published comments the off-topic signal sees
BACKGROUND_STORIES = 40  # the site's recent stories the off-topic signal is calibrated against
BACKGROUND_COMMENTS = 3  # latest comments of each background story


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
    # The signals the reader's message names (policy.READER_REASONS), so that it can be said again in
    # the reader's language; None when the message is only ever the text above.
    reader_reasons: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {
            "decision": self.decision.value,
            "reasons": list(self.reasons),
            "reader_message": self.reader_message,
            "signals": self.signals,
            "mode": self.mode,
        }
        if self.reader_reasons is not None:
            data["reader_reasons"] = list(self.reader_reasons)
        return data


class Representations(Protocol):
    """Where computed article representations are kept (the server: the stories table)."""

    def load(self, key: str, tag: str) -> bytes | None:
        """The stored bytes for story ``key`` if they were made from the text ``tag`` names."""
        ...

    def store(self, key: str, tag: str, data: bytes) -> None: ...


class RecentComments(Protocol):
    """The site's recent comments, for near-duplicates and flooding (see ``signals.spam``)."""

    def nearest(self, text: str, *, exclude_id: str | None = None) -> tuple[float, Any] | None: ...

    def count_recent(self, kind: str, key: str, now: datetime, window_s: float) -> int: ...

    def remember(
        self,
        text: str,
        *,
        when: datetime,
        story_key: str | None = None,
        author_key: str | None = None,
        network_key: str | None = None,
        comment_id: str | None = None,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class StoryText:
    """A story as moderation sees it. ``key`` tells the site's stories apart (a database id on
    the server, a hash of the text in batch); ``comments`` are its latest published comments,
    used only when the story serves as background for another story's comments."""

    key: str
    title: str
    text: str = ""
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class SiteContext:
    """One site as moderation sees it: its settings and the stories it compares comments against.

    Built by the services (cached for a few minutes) or by the batch tool from its input.
    ``calibration`` is the site's learned decision head, if its moderators trained one.
    """

    id: str
    settings: SiteSettings
    origins: Sequence[str] = ()
    stories: tuple[StoryText, ...] = ()
    representations: Representations | None = None
    recent: RecentComments | None = None
    calibration: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ModerationRequest:
    """One new or edited comment, with everything moderation needs to know about where it was posted."""

    site: SiteContext
    story: StoryText
    text: str
    now: datetime
    name: str | None = None  # the display name shown beside it: scored too (moderation/names.py)
    parent_text: str | None = None
    thread: tuple[str, ...] = ()  # the story's latest published comments before this one, oldest first
    history: Mapping[str, int] | None = None  # the author's counts; None for a first comment
    author_key: str | None = None
    network_key: str | None = None
    honeypot: str | None = None
    comment_id: str | None = None  # set when a stored comment is reassessed


class Moderator(Protocol):
    def assess(self, request: ModerationRequest) -> Verdict: ...
