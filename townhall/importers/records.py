"""What an importer yields: stories, comments (with their author) and records it had to skip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from townhall.types import CommentStatus

# html: Disqus messages; wordpress: text with inline HTML and blank-line paragraphs; markdown: Isso.
Markup = Literal["html", "wordpress", "markdown"]


@dataclass(frozen=True, slots=True)
class SourceStory:
    source_id: str  # the story's id in the source system
    url: str
    title: str
    created_at: datetime | None
    closed: bool = False


@dataclass(frozen=True, slots=True)
class SourceAuthor:
    key: str  # stable within the source: a username, or failing that the e-mail or name
    name: str
    email: str | None = None


@dataclass(frozen=True, slots=True)
class SourceComment:
    source_id: str
    story_id: str  # the source id of its story
    parent_id: str | None  # the source id of the comment it replies to
    author: SourceAuthor
    text: str  # as the source stores it; sanitised and rendered by the import service
    markup: Markup
    created_at: datetime
    status: CommentStatus
    # Votes the source counted (Isso's likes/dislikes, a WordPress voting plugin's comment meta);
    # only totals: no source says who voted, so they cannot be taken back or matched to readers.
    upvotes: int = 0
    downvotes: int = 0


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record the importer could not use; counted in the summary under its reason."""

    reason: str


Record = SourceStory | SourceComment | Skipped
