"""Readers' votes and reports on published comments."""

from __future__ import annotations

from townhall.errors import Closed, Conflict, Forbidden, Invalid, NotFound
from townhall.models import Comment
from townhall.services.clock import Clock, utcnow
from townhall.services.comment_reads import CommentReader
from townhall.services.text import plain
from townhall.storage import Storage
from townhall.types import AuthorKind

REPORT_REASONS = ("spam", "abuse", "off_topic", "misinformation", "other")


class FeedbackService:
    def __init__(self, storage: Storage, comments: CommentReader, clock: Clock = utcnow):
        self.storage = storage
        self.comments = comments
        self.clock = clock

    def vote(
        self, comment_id: int, voter: str, value: int, network: str | None = None, account: str | None = None
    ) -> Comment:
        """One vote per comment per reader token, per network address and per signed-in reader
        (``account``); voting the other way turns one's vote."""
        if value not in (1, -1):
            raise Invalid("value must be 1 or -1", fields={"value": "must be 1 or -1"})
        comment, story = self.comments.published(comment_id)
        now = self.clock()
        if story.is_closed(now):
            raise Closed()
        # A guest's author id and a voter's key are the same keyed hash of the reader token.
        if comment.author.kind is AuthorKind.GUEST and comment.author.external_id == voter:
            raise Forbidden("you cannot vote on your own comment", code="own_comment")
        with self.storage.write() as tx:
            outcome = tx.feedback.vote(comment_id, voter, value, now, network, account)
            if outcome == "same":
                raise Conflict("you have already voted on this comment", code="already_voted")
            if outcome == "taken":
                raise Conflict(
                    "a vote from your network or account is already counted on this comment",
                    code="already_voted",
                )
            tx.stories.touch(story.id)
            updated = tx.comments.get(comment_id)
        assert updated is not None
        return updated

    def unvote(self, comment_id: int, voter: str, account: str | None = None) -> Comment:
        """Take one's vote back (the reader token or signed-in reader that cast it)."""
        _comment, story = self.comments.published(comment_id)
        if story.is_closed(self.clock()):
            raise Closed()
        with self.storage.write() as tx:
            if not tx.feedback.unvote(comment_id, voter, account):
                raise NotFound("you have not voted on this comment", code="no_vote")
            tx.stories.touch(story.id)
            updated = tx.comments.get(comment_id)
        assert updated is not None
        return updated

    def report(self, comment_id: int, reporter: str, reason: str, note: str = "") -> None:
        if reason not in REPORT_REASONS:
            raise Invalid(
                f"reason must be one of {', '.join(REPORT_REASONS)}", fields={"reason": "unknown reason"}
            )
        note = plain(note)
        if len(note) > 500:
            raise Invalid("note is longer than 500 characters", fields={"note": "too long"})
        self.comments.published(comment_id)
        with self.storage.write() as tx:
            if not tx.feedback.report(comment_id, reporter, reason, note, self.clock()):
                raise Conflict("you have already reported this comment", code="already_reported")
