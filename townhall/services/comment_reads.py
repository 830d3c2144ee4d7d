"""Reading comments: one comment, a comment as its author sees it, and a thread page."""

from __future__ import annotations

import base64
import binascii
import hmac

from townhall.errors import Invalid, NotFound, Unauthorized
from townhall.models import Comment, Story, ThreadPage
from townhall.services.clock import Clock, utcnow
from townhall.services.comment_rules import Limits, token_hash
from townhall.services.stories import StoryService
from townhall.storage import Storage
from townhall.types import CommentStatus, SortOrder


def encode_cursor(comment: Comment, sort: SortOrder) -> str:
    score = comment.upvotes - comment.downvotes if sort is SortOrder.BEST else 0
    return base64.urlsafe_b64encode(f"{score}:{comment.id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        score, comment_id = (int(part) for part in raw.split(":"))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise Invalid("cursor is not valid", fields={"cursor": "not a cursor from this API"}) from exc
    if not (0 < comment_id < 2**31 and -(2**31) < score < 2**31):
        raise Invalid("cursor is not valid", fields={"cursor": "not a cursor from this API"})
    return score, comment_id


class CommentReader:
    """Reads only; the comment service (writes) builds on it, and votes and reports use it."""

    def __init__(
        self, storage: Storage, stories: StoryService, limits: Limits | None = None, clock: Clock = utcnow
    ):
        self.storage = storage
        self.stories = stories
        self.limits = limits or Limits()
        self.clock = clock

    def thread(
        self,
        story: Story,
        sort: SortOrder = SortOrder.NEWEST,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> ThreadPage:
        """One page of top-level comments with all their visible replies: two indexed queries."""
        limit = limit or self.limits.page_size
        if not 1 <= limit <= self.limits.max_page_size:
            raise Invalid(
                "limit must be 1 to {most}",
                params={"most": self.limits.max_page_size},
                fields={"limit": "out of range"},
            )
        after = decode_cursor(cursor) if cursor else None
        with self.storage.read() as tx:
            roots = tx.comments.roots_page(story.id, sort, after, limit + 1)
            more = len(roots) > limit
            roots = roots[:limit]
            replies = tx.comments.replies([c.id for c in roots])
        comments = _prune_deleted(roots + replies)
        shown_roots = [c for c in roots if c.parent_id is None]
        next_cursor = encode_cursor(shown_roots[-1] if shown_roots else roots[-1], sort) if more else None
        return ThreadPage(story=story, comments=comments, next_cursor=next_cursor, total=story.comment_count)

    def own(self, comment_id: int, edit_token: str) -> Comment:
        """A comment as its author sees it (held ones included), proven by the edit token."""
        with self.storage.read() as tx:
            stored = tx.comments.edit_token_hash(comment_id)
            comment = tx.comments.get(comment_id) if stored else None
        if comment is None or stored is None:
            raise NotFound("no comment {id}", code="unknown_comment", params={"id": comment_id})
        if not hmac.compare_digest(stored, token_hash(edit_token)):
            raise Unauthorized("edit token does not match this comment", code="bad_edit_token")
        return comment

    def get(self, comment_id: int) -> Comment:
        with self.storage.read() as tx:
            comment = tx.comments.get(comment_id)
        if comment is None:
            raise NotFound("no comment {id}", code="unknown_comment", params={"id": comment_id})
        return comment

    def published(self, comment_id: int) -> tuple[Comment, Story]:
        """A published comment and its story; any other comment is not found, as for readers."""
        comment = self.get(comment_id)
        if comment.status is not CommentStatus.PUBLISHED:
            raise NotFound("no comment {id}", code="unknown_comment", params={"id": comment_id})
        return comment, self.stories.get(comment.story_id)


def _prune_deleted(comments: list[Comment]) -> list[Comment]:
    """Keep a deleted comment only as a placeholder above replies that are still shown."""
    has_child: set[int] = set()
    for comment in reversed(comments):  # replies come after their parents
        keep = comment.status is not CommentStatus.DELETED or comment.id in has_child
        if keep and comment.parent_id is not None:
            has_child.add(comment.parent_id)
    kept = []
    for comment in comments:
        if comment.status is not CommentStatus.DELETED or comment.id in has_child:
            kept.append(comment)
    return kept
