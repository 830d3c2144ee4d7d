"""What the moderation queues hand the dashboard and the API: queues, filters, items, details."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from townhall.models import Comment, CommentEvent, Site, Story


class Queue(StrEnum):
    HELD = "held"  # held by a signal
    REPORTED = "reported"  # readers reported it
    PENDING = "pending"  # the site pre-moderates: everything waits for a moderator
    REJECTED = "rejected"
    RECENT = "recent"  # recently moderated


class Order(StrEnum):
    NEWEST = "newest"
    SEVERE = "severe"  # highest signal score first


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    FEATURE = "feature"
    UNFEATURE = "unfeature"


@dataclass(frozen=True, slots=True)
class QueueFilter:
    site_id: str | None = None
    story_id: int | None = None
    signal: str | None = None
    author_id: int | None = None
    order: Order = Order.NEWEST


@dataclass(frozen=True, slots=True)
class QueueItem:
    comment: Comment
    story: Story
    causes: tuple[str, ...]
    severity: float
    reports: list[dict[str, Any]] = field(default_factory=list)
    decision: dict[str, Any] | None = None  # the moderator's event, in the "recent" queue


@dataclass(frozen=True, slots=True)
class QueuePage:
    queue: Queue
    items: list[QueueItem]
    total: int
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class SignalReading:
    name: str
    score: float | None
    evidence: dict[str, Any]
    version: str
    flagged: bool


@dataclass(frozen=True, slots=True)
class ItemDetail:
    """One comment as a moderator reviews it: in context, with every signal's evidence."""

    comment: Comment
    story: Story
    site: Site
    parent: Comment | None
    conversation: list[Comment]
    signals: list[SignalReading]
    causes: tuple[str, ...]
    verdict: dict[str, Any]
    author: dict[str, Any]
    history: dict[str, int]
    reports: list[dict[str, Any]]
    events: list[CommentEvent]


@dataclass(frozen=True, slots=True)
class AuthorProfile:
    author: dict[str, Any]
    history: dict[str, int]
    comments: list[Comment]
    banned: bool
    banned_forever: bool
