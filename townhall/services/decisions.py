"""Moderators' decisions: approve, reject, feature, bulk, ban, unban, notes.

Every decision is one transaction that changes the comment, writes its audit event (who, when,
why), settles its open reports and bumps the story's version, so readers' cached thread pages
go stale and the widget shows the change on its next load. ``ModerationQueue`` (queue.py) adds
the reading side.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from townhall.errors import Conflict, Invalid, NotFound
from townhall.i18n import N_
from townhall.models import Comment
from townhall.services.bans import BanKeys
from townhall.services.clock import Clock, utcnow
from townhall.services.comment_rules import published_delta
from townhall.services.queue_items import Action
from townhall.services.text import plain
from townhall.storage import Repos, Storage
from townhall.types import ActorKind, CommentStatus

FOREVER = datetime(9999, 12, 31, tzinfo=UTC)  # banned_until for a ban without end
DEFAULT_REJECT_REASON = "This comment breaks the site's rules for discussion."
CANDIDATES = 500  # most comments one bulk action (or one queue listing) takes
MAX_NOTES = 5000
MAX_REASON = 500
# Said in the moderator's language by the dashboard: one msgid per status, not a status spliced in.
ALREADY = {
    CommentStatus.PUBLISHED: N_("the comment is already published"),
    CommentStatus.REJECTED: N_("the comment is already rejected"),
    CommentStatus.DELETED: N_("the comment is already deleted"),
}
NOT_FEATURED = N_("the comment is not featured")
NOT_FEATURABLE = {
    CommentStatus.REJECTED: N_("a rejected comment cannot be featured"),
    CommentStatus.DELETED: N_("a deleted comment cannot be featured"),
}


def _reason(reason: str | None, default: str = "") -> str:
    text = plain(reason or "") or default
    if len(text) > MAX_REASON:
        raise Invalid(
            "reason is longer than {length} characters",
            params={"length": MAX_REASON},
            fields={"reason": "too long"},
        )
    return text


class Decisions:
    """The deciding half of the moderation queue."""

    def __init__(self, storage: Storage, clock: Clock = utcnow, bans: BanKeys | None = None):
        self.storage = storage
        self.clock = clock
        self.bans = bans or BanKeys("")

    # -- decisions -----------------------------------------------------------------------------

    def approve(self, comment_id: int, actor: str, reason: str = "") -> Comment:
        """Publish a held or rejected comment, or keep a reported one and dismiss its reports."""
        with self.storage.write() as tx:
            self._approve(tx, self._comment(tx, comment_id), actor, _reason(reason), strict=True)
            return self._comment(tx, comment_id)

    def reject(self, comment_id: int, actor: str, reason: str = "") -> Comment:
        """Take a comment down; ``reason`` is what its author may be shown."""
        reason = _reason(reason, DEFAULT_REJECT_REASON)
        with self.storage.write() as tx:
            self._reject(tx, self._comment(tx, comment_id), actor, reason, strict=True)
            return self._comment(tx, comment_id)

    def feature(self, comment_id: int, actor: str, featured: bool = True) -> Comment:
        """Pin a comment on top of its thread as a staff pick (a held one is published first)."""
        with self.storage.write() as tx:
            comment = self._comment(tx, comment_id)
            if comment.status in (CommentStatus.DELETED, CommentStatus.REJECTED):
                raise Conflict(NOT_FEATURABLE[comment.status], code="not_featurable")
            if comment.featured == featured:
                unchanged = N_("the comment is already featured") if featured else NOT_FEATURED
                raise Conflict(unchanged, code="no_change")
            after = CommentStatus.PUBLISHED if featured else comment.status
            action = "feature" if featured else "unfeature"
            tx.comments.update(comment_id, featured=featured, status=after)
            tx.comments.add_event(
                comment_id,
                comment.status,
                after,
                ActorKind.MODERATOR,
                actor,
                "featured as a staff pick" if featured else "no longer featured",
                self.clock(),
                {"action": action},
            )
            if after is not comment.status:
                tx.feedback.resolve_reports(comment_id, self.clock())
            tx.stories.touch(comment.story_id, published_delta(comment.status, after))
            return self._comment(tx, comment_id)

    def bulk(self, comment_ids: list[int], action: Action, actor: str, reason: str = "") -> int:
        """Approve or reject many comments in one transaction; returns how many changed.

        Comments already in the wanted state are skipped, so two moderators clearing the same
        queue do not trip over each other.
        """
        if action not in (Action.APPROVE, Action.REJECT):
            raise Invalid("bulk actions are approve and reject", fields={"action": "approve or reject"})
        if not comment_ids:
            raise Invalid("select at least one comment", fields={"ids": "required"})
        if len(comment_ids) > CANDIDATES:
            raise Invalid(
                "at most {count} comments at once", params={"count": CANDIDATES}, fields={"ids": "too many"}
            )
        text = _reason(reason, DEFAULT_REJECT_REASON if action is Action.REJECT else "")
        changed = 0
        with self.storage.write() as tx:
            for comment in tx.comments.many(sorted(set(comment_ids))):
                if action is Action.APPROVE:
                    changed += self._approve(tx, comment, actor, text, strict=False, details={"bulk": True})
                else:
                    changed += self._reject(tx, comment, actor, text, strict=False, details={"bulk": True})
        return changed

    def ban(
        self,
        author_id: int,
        actor: str,
        until: datetime | None,
        reason: str = "",
        reject_pending: bool = True,
        comment_id: int | None = None,
    ) -> int:
        """Stop an author commenting until a time (None: for good); returns how many held comments
        of theirs were rejected with it. ``comment_id`` is the comment the ban was decided on, whose
        audit trail records it."""
        now = self.clock()
        if until is not None and until <= now:
            raise Invalid("the ban must end in the future", fields={"until": "in the past"})
        reason = _reason(reason, "banned by a moderator")
        rejected = 0
        with self.storage.write() as tx:
            author = tx.authors.details(author_id)
            if author is None:
                raise NotFound("no author {id}", code="unknown_author", params={"id": author_id})
            tx.authors.ban(author_id, until or FOREVER, reason)
            self.bans.apply(tx, author, until or FOREVER, now)
            if comment_id is not None:
                comment = self._comment(tx, comment_id)
                if comment.author.id != author_id:
                    raise Invalid(
                        "that comment is by someone else", fields={"comment_id": "another author's"}
                    )
                details = {"action": "ban_author", "until": until.isoformat() if until else None}
                tx.comments.add_event(
                    comment_id,
                    comment.status,
                    comment.status,
                    ActorKind.MODERATOR,
                    actor,
                    f"author banned: {reason}",
                    now,
                    details,
                )
            if reject_pending:
                for comment in tx.comments.many(tx.queue.pending_by_author(author_id)):
                    rejected += self._reject(
                        tx, comment, actor, f"author banned: {reason}", strict=False, details={"ban": True}
                    )
        return rejected

    def unban(self, author_id: int, actor: str) -> None:
        with self.storage.write() as tx:
            if tx.authors.get(author_id) is None:
                raise NotFound("no author {id}", code="unknown_author", params={"id": author_id})
            tx.authors.ban(author_id, None, f"ban lifted by {actor}")
            tx.bans.lift(author_id)

    def set_notes(self, author_id: int, notes: str) -> None:
        """Moderators' private notes on an author (never shown to readers)."""
        notes = notes.strip()
        if len(notes) > MAX_NOTES:
            raise Invalid(
                "notes are longer than {length} characters",
                params={"length": MAX_NOTES},
                fields={"notes": "too long"},
            )
        with self.storage.write() as tx:
            if tx.authors.get(author_id) is None:
                raise NotFound("no author {id}", code="unknown_author", params={"id": author_id})
            tx.authors.set_notes(author_id, notes)

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _comment(tx: Repos, comment_id: int) -> Comment:
        comment = tx.comments.get(comment_id)
        if comment is None:
            raise NotFound("no comment {id}", code="unknown_comment", params={"id": comment_id})
        return comment

    def _approve(
        self,
        tx: Repos,
        comment: Comment,
        actor: str,
        reason: str,
        strict: bool,
        details: dict[str, Any] | None = None,
    ) -> bool:
        before = comment.status
        open_reports = bool(tx.queue.open_reports([comment.id])[comment.id])
        if before is CommentStatus.DELETED or (before is CommentStatus.PUBLISHED and not open_reports):
            if strict:
                raise Conflict(ALREADY[before], code="no_change")
            return False
        if not reason:
            reason = "reports dismissed" if before is CommentStatus.PUBLISHED else "approved"
        self._move(
            tx, comment, CommentStatus.PUBLISHED, actor, reason, {"action": "approve", **(details or {})}
        )
        return True

    def _reject(
        self,
        tx: Repos,
        comment: Comment,
        actor: str,
        reason: str,
        strict: bool,
        details: dict[str, Any] | None = None,
    ) -> bool:
        before = comment.status
        if before in (CommentStatus.DELETED, CommentStatus.REJECTED):
            if strict:
                raise Conflict(ALREADY[before], code="no_change")
            return False
        # The reason goes where the author's view of their comment reads its message from.
        verdict = {**(comment.verdict or {}), "reader_message": reason}
        verdict.pop("reader_reasons", None)  # the moderator's own words replace the policy's message
        details = {"action": "reject", **(details or {})}
        self._move(
            tx, comment, CommentStatus.REJECTED, actor, reason, details, featured=False, verdict=verdict
        )
        return True

    def _move(
        self,
        tx: Repos,
        comment: Comment,
        after: CommentStatus,
        actor: str,
        reason: str,
        details: dict[str, Any],
        **changes: Any,
    ) -> None:
        """One moderator decision: the new status, its audit event, reports settled, the story touched."""
        now = self.clock()
        tx.comments.update(comment.id, status=after, **changes)
        tx.comments.add_event(
            comment.id, comment.status, after, ActorKind.MODERATOR, actor, reason, now, details
        )
        tx.feedback.resolve_reports(comment.id, now)
        tx.stories.touch(comment.story_id, published_delta(comment.status, after))
