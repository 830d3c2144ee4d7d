"""Plain dataclasses the services hand around. Storage builds them; the web layer shapes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from townhall.types import ActorKind, AuthorKind, CommentStatus, ModerationMode


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """Per-site settings an editor changes (through the CLI, admin API or dashboard)."""

    moderation_mode: ModerationMode = ModerationMode.POST
    # {"toxicity": {"hold": 0.6, "reject": 0.95}, ...}; missing entries use the policy defaults.
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    banned_words: tuple[str, ...] = ()
    suspect_words: tuple[str, ...] = ()
    links_allowlist: tuple[str, ...] = ()
    query_params: tuple[str, ...] = ()  # query parameters that tell one story from another (?p=)
    auto_close_days: int = 0
    edit_window_minutes: int = 15
    trusted_after_approved: int = 5
    # What erasing a reader does to their comments: "remove" the text (the place in the thread
    # stays as "[deleted]") or "anonymise" (the text stays, under "[deleted]" instead of a name).
    erasure_mode: str = "remove"
    # Before posting, ask the author when a comment looks off-topic or uncivil (the widget's nudge).
    nudge: bool = False
    # The language of the site's e-mails and e-mail pages ("en", "de", "fr"); the widget follows the page.
    language: str = "en"
    # Comments in a language the moderation models do not know (moderation/language.py): "publish"
    # them (the word lists still apply; the verdict says what was not checked) or "hold" each one.
    unknown_language: str = "publish"

    def to_dict(self) -> dict[str, Any]:
        return {
            "moderation_mode": self.moderation_mode.value,
            "thresholds": self.thresholds,
            "banned_words": list(self.banned_words),
            "suspect_words": list(self.suspect_words),
            "links_allowlist": list(self.links_allowlist),
            "query_params": list(self.query_params),
            "auto_close_days": self.auto_close_days,
            "edit_window_minutes": self.edit_window_minutes,
            "trusted_after_approved": self.trusted_after_approved,
            "erasure_mode": self.erasure_mode,
            "nudge": self.nudge,
            "language": self.language,
            "unknown_language": self.unknown_language,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SiteSettings:
        return cls(
            moderation_mode=ModerationMode(data.get("moderation_mode", ModerationMode.POST)),
            thresholds={k: dict(v) for k, v in data.get("thresholds", {}).items()},
            banned_words=tuple(data.get("banned_words", ())),
            suspect_words=tuple(data.get("suspect_words", ())),
            links_allowlist=tuple(data.get("links_allowlist", ())),
            query_params=tuple(data.get("query_params", ())),
            auto_close_days=int(data.get("auto_close_days", 0)),
            edit_window_minutes=int(data.get("edit_window_minutes", 15)),
            trusted_after_approved=int(data.get("trusted_after_approved", 5)),
            erasure_mode=str(data.get("erasure_mode", "remove")),
            nudge=bool(data.get("nudge", False)),
            language=str(data.get("language", "en")),
            unknown_language=str(data.get("unknown_language", "publish")),
        )


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    name: str
    origins: tuple[str, ...]
    settings: SiteSettings
    sso_secret: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Story:
    id: int
    site_id: str
    url: str
    title: str
    author: str
    published_at: datetime | None
    text: str
    closed: bool
    closes_at: datetime | None
    version: int
    comment_count: int
    created_at: datetime
    closed_at: datetime | None = None  # when an editor closed it
    close_reason: str = ""  # the editor's reason, shown to readers
    auto_close: bool = True  # closes_at follows the publication date and the site's auto_close_days

    def is_closed(self, now: datetime) -> bool:
        return self.closed or (self.closes_at is not None and now >= self.closes_at)


@dataclass(frozen=True, slots=True)
class Author:
    id: int
    site_id: str
    kind: AuthorKind
    external_id: str | None
    name: str
    avatar: str | None
    badge: str | None
    banned_until: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    story_id: int
    parent_id: int | None
    root_id: int | None
    depth: int
    author: Author
    body: str
    html: str
    status: CommentStatus
    created_at: datetime
    edited_at: datetime | None
    upvotes: int
    downvotes: int
    featured: bool
    verdict: dict[str, Any] | None = None  # decision, reasons, signals; moderators only


@dataclass(frozen=True, slots=True)
class CommentEvent:
    """One state change of a comment: who or what made it, when and why."""

    id: int
    comment_id: int
    from_status: CommentStatus | None
    to_status: CommentStatus
    actor_kind: ActorKind
    actor: str
    reason: str
    details: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ThreadPage:
    story: Story
    comments: list[Comment]  # top-level comments of this page and all their published replies
    next_cursor: str | None
    total: int
