"""Readers' votes and reports on published comments."""

from __future__ import annotations

from townhall.errors import Closed, Conflict, Forbidden, Invalid, NotFound
from townhall.models import Comment, Story
from townhall.services.bans import BanKeys, refusal
from townhall.services.clock import Clock, utcnow
from townhall.services.comment_reads import CommentReader
from townhall.services.identity import account_key
from townhall.services.text import plain
from townhall.storage import Repos, Storage
from townhall.types import AuthorKind

REPORT_REASONS = ("spam", "abuse", "off_topic", "misinformation", "other")


class FeedbackService:
    """``reader`` is the keyed hash of the reader token (a guest's author id), ``network`` of the
    address; ``sso_id`` is a signed-in reader's user id at the publisher."""

    def __init__(
        self, storage: Storage, comments: CommentReader, bans: BanKeys, secret: str, clock: Clock = utcnow
    ):
        self.storage = storage
        self.comments = comments
        self.bans = bans
        self.secret = secret
        self.clock = clock

    def vote(
        self, comment_id: int, reader: str, value: int, network: str | None = None, sso_id: str | None = None
    ) -> Comment:
        """One vote per comment per reader token, per network address and per signed-in reader;
        voting the other way turns one's vote."""
        if value not in (1, -1):
            raise Invalid("value must be 1 or -1", fields={"value": "must be 1 or -1"})
        comment, story = self._open(comment_id, reader, network, sso_id)
        account = account_key(self.secret, sso_id) if sso_id else None
        with self.storage.write() as tx:
            if self._own(tx, comment, reader, sso_id):
                raise Forbidden("you cannot vote on your own comment", code="own_comment")
            outcome = tx.feedback.vote(comment_id, reader, value, self.clock(), network, account)
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

    def unvote(
        self, comment_id: int, reader: str, network: str | None = None, sso_id: str | None = None
    ) -> Comment:
        """Take one's vote back (the reader token or signed-in reader that cast it)."""
        _comment, story = self._open(comment_id, reader, network, sso_id)
        account = account_key(self.secret, sso_id) if sso_id else None
        with self.storage.write() as tx:
            if not tx.feedback.unvote(comment_id, reader, account):
                raise NotFound("you have not voted on this comment", code="no_vote")
            tx.stories.touch(story.id)
            updated = tx.comments.get(comment_id)
        assert updated is not None
        return updated

    def report(
        self,
        comment_id: int,
        reader: str,
        reason: str,
        note: str = "",
        network: str | None = None,
        sso_id: str | None = None,
    ) -> None:
        if reason not in REPORT_REASONS:
            raise Invalid(
                f"reason must be one of {', '.join(REPORT_REASONS)}", fields={"reason": "unknown reason"}
            )
        note = plain(note)
        if len(note) > 500:
            raise Invalid("note is longer than 500 characters", fields={"note": "too long"})
        _comment, story = self.comments.published(comment_id)
        self._refuse_banned(story, reader, network, sso_id)
        with self.storage.write() as tx:
            if not tx.feedback.report(comment_id, reader, reason, note, self.clock()):
                raise Conflict("you have already reported this comment", code="already_reported")

    @staticmethod
    def _own(tx: Repos, comment: Comment, reader: str, sso_id: str | None) -> bool:
        """Whether the voter wrote the comment: a guest's author id is the keyed hash of their reader
        token; a signed-in author is the same user id on every device, and is also known by the
        token of the device they posted from, signed in or not."""
        author = comment.author
        if author.kind is AuthorKind.GUEST and author.external_id == reader:
            return True
        if author.kind is AuthorKind.SSO and sso_id is not None and author.external_id == sso_id:
            return True
        return tx.comments.reader_key(comment.id) == reader

    def _open(
        self, comment_id: int, reader: str, network: str | None, sso_id: str | None
    ) -> tuple[Comment, Story]:
        """A published comment on a story open for comments, and a reader who is not banned."""
        comment, story = self.comments.published(comment_id)
        if story.is_closed(self.clock()):
            raise Closed()
        self._refuse_banned(story, reader, network, sso_id)
        return comment, story

    def _refuse_banned(self, story: Story, reader: str, network: str | None, sso_id: str | None) -> None:
        with self.storage.read() as tx:
            ban = tx.bans.match(story.site_id, self.bans.for_reader(reader, network, sso_id), self.clock())
        if ban is not None:
            raise refusal()
