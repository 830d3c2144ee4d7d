"""The moderators' queues and decisions: approve, reject, feature, ban, notes.

Every decision is one transaction that changes the comment, writes its audit event (who, when,
why), settles its open reports and bumps the story's version, so readers' cached thread pages
go stale and the widget shows the change on its next load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from townhall.errors import Conflict, Invalid, NotFound
from townhall.models import Comment, CommentEvent, Site, Story
from townhall.services.bans import BanKeys
from townhall.services.clock import Clock, utcnow
from townhall.services.comments import published_delta
from townhall.services.holds import causes, is_pending, severity
from townhall.services.text import plain
from townhall.storage import Repos, Storage
from townhall.types import ActorKind, CommentStatus

FOREVER = datetime(9999, 12, 31, tzinfo=UTC)  # banned_until for a ban without end
DEFAULT_REJECT_REASON = "This comment breaks the site's rules for discussion."
CANDIDATES = 500  # most items a queue considers when it filters and sorts by severity
MAX_NOTES = 5000
MAX_REASON = 500


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


def _reason(reason: str | None, default: str = "") -> str:
    text = plain(reason or "") or default
    if len(text) > MAX_REASON:
        raise Invalid(f"reason is longer than {MAX_REASON} characters", fields={"reason": "too long"})
    return text


class ModerationQueue:
    def __init__(self, storage: Storage, clock: Clock = utcnow, bans: BanKeys | None = None):
        self.storage = storage
        self.clock = clock
        self.bans = bans or BanKeys("")

    # -- reading -------------------------------------------------------------------------------

    def counts(self, site_id: str | None = None) -> dict[str, int]:
        """Held, pending and reported sizes, and the newest waiting comment's id (for live counts)."""
        with self.storage.read() as tx:
            held = tx.queue.held_verdicts(site_id)
            reported, newest_reported = tx.queue.reported_count(site_id)
            settings = {site.id: site.settings for site in tx.sites.list()}
        pending = sum(is_pending(row["verdict"], settings[row["site_id"]]) for row in held)
        newest = max([row["id"] for row in held] + [newest_reported])
        return {"held": len(held) - pending, "pending": pending, "reported": reported, "newest": newest}

    def detail(self, comment_id: int) -> ItemDetail:
        with self.storage.read() as tx:
            comment = self._comment(tx, comment_id)
            story = tx.stories.get(comment.story_id)
            assert story is not None
            site = tx.sites.get(story.site_id)
            assert site is not None
            parent = tx.comments.get(comment.parent_id) if comment.parent_id else None
            conversation = tx.queue.conversation(comment)
            author = tx.authors.details(comment.author.id) or {}
            history = tx.authors.history(comment.author.id)
            reports = tx.feedback.reports_for(comment_id)
            events = tx.comments.events(comment_id)
        verdict = comment.verdict or {}
        held_by = causes(verdict, site.settings)
        readings = [
            SignalReading(
                name=name,
                score=result.get("score"),
                evidence=result.get("evidence") or {},
                version=str(result.get("version") or ""),
                flagged=name in held_by,
            )
            for name, result in (verdict.get("signals") or {}).items()
            if isinstance(result, dict)
        ]
        readings.sort(key=lambda r: (not r.flagged, -(r.score or 0.0)))
        author.pop("email", None)  # personal data a moderator does not need to see
        return ItemDetail(
            comment,
            story,
            site,
            parent,
            conversation,
            readings,
            held_by,
            verdict,
            author,
            history,
            reports,
            events,
        )

    def author(self, author_id: int) -> AuthorProfile:
        with self.storage.read() as tx:
            details = tx.authors.details(author_id)
            if details is None:
                raise NotFound(f"no author {author_id}", code="unknown_author")
            history = tx.authors.history(author_id)
            comments = tx.comments.list(author_id=author_id, limit=30)
        details.pop("email", None)
        until: datetime | None = details.get("banned_until")
        banned = until is not None and until > self.clock()
        forever = until is not None and until >= FOREVER
        return AuthorProfile(details, history, comments, banned, banned and forever)

    def story_thread(self, story_id: int) -> list[Comment]:
        """A story's comments as readers see them plus the held ones, oldest first."""
        with self.storage.read() as tx:
            return tx.queue.story_thread(story_id)

    def held_by_story(self, story_ids: list[int]) -> dict[int, int]:
        with self.storage.read() as tx:
            return tx.queue.held_by_story(story_ids)

    def stories(
        self,
        site_id: str | None,
        closed: bool | None = None,
        query: str = "",
        limit: int = 100,
        offset: int = 0,
    ) -> list[Story]:
        with self.storage.read() as tx:
            return tx.queue.stories(
                site_id,
                closed=closed,
                now=self.clock(),
                query_text=query.strip()[:200],
                limit=limit,
                offset=offset,
            )

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
                raise Conflict(f"a {comment.status.value} comment cannot be featured", code="not_featurable")
            if comment.featured == featured:
                raise Conflict(
                    "the comment is already featured" if featured else "the comment is not featured",
                    code="no_change",
                )
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
            raise Invalid(f"at most {CANDIDATES} comments at once", fields={"ids": "too many"})
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
                raise NotFound(f"no author {author_id}", code="unknown_author")
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
                raise NotFound(f"no author {author_id}", code="unknown_author")
            tx.authors.ban(author_id, None, f"ban lifted by {actor}")
            tx.bans.lift(author_id)

    def set_notes(self, author_id: int, notes: str) -> None:
        """Moderators' private notes on an author (never shown to readers)."""
        notes = notes.strip()
        if len(notes) > MAX_NOTES:
            raise Invalid(f"notes are longer than {MAX_NOTES} characters", fields={"notes": "too long"})
        with self.storage.write() as tx:
            if tx.authors.get(author_id) is None:
                raise NotFound(f"no author {author_id}", code="unknown_author")
            tx.authors.set_notes(author_id, notes)

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _comment(tx: Repos, comment_id: int) -> Comment:
        comment = tx.comments.get(comment_id)
        if comment is None:
            raise NotFound(f"no comment {comment_id}", code="unknown_comment")
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
                raise Conflict(f"the comment is already {before.value}", code="no_change")
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
                raise Conflict(f"the comment is already {before.value}", code="no_change")
            return False
        # The reason goes where the author's view of their comment reads its message from.
        verdict = {**(comment.verdict or {}), "reader_message": reason}
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

    # Last in the class: a method named `list` would shadow the builtin in the annotations below it.
    def list(
        self, queue: Queue, filters: QueueFilter | None = None, page: int = 1, per_page: int = 25
    ) -> QueuePage:
        """One page of a queue, filtered, newest or most severe first."""
        filters = filters or QueueFilter()
        where: dict[str, Any] = {
            "site_id": filters.site_id,
            "story_id": filters.story_id,
            "author_id": filters.author_id,
            "limit": CANDIDATES,
        }
        decisions: dict[int, dict[str, Any]] = {}
        reports: dict[int, list[dict[str, Any]]] = {}
        with self.storage.read() as tx:
            if queue in (Queue.HELD, Queue.PENDING):
                found = tx.queue.by_status(CommentStatus.HELD, **where)
            elif queue is Queue.REJECTED:
                found = tx.queue.by_status(CommentStatus.REJECTED, **where)
            elif queue is Queue.REPORTED:
                found = tx.queue.reported(**where)
            else:
                events = tx.queue.recent_decisions(**where)
                for event in events:
                    decisions.setdefault(event["comment_id"], event)  # newest decision per comment
                by_id = {c.id: c for c in tx.comments.many(list(decisions))}
                found = [by_id[i] for i in decisions if i in by_id]
            reports = tx.queue.open_reports([c.id for c in found])
            stories = {sid: tx.stories.get(sid) for sid in {c.story_id for c in found}}
            sites = {site.id: site for site in tx.sites.list()}
        items = []
        for comment in found:
            story = stories[comment.story_id]
            assert story is not None
            settings = sites[story.site_id].settings
            if queue in (Queue.HELD, Queue.PENDING) and is_pending(comment.verdict, settings) != (
                queue is Queue.PENDING
            ):
                continue
            item = QueueItem(
                comment,
                story,
                causes(comment.verdict, settings),
                severity(comment.verdict),
                reports.get(comment.id, []),
                decisions.get(comment.id),
            )
            if filters.signal and filters.signal not in item.causes:
                continue
            items.append(item)
        if filters.order is Order.SEVERE and queue is not Queue.RECENT:
            items.sort(key=lambda i: (-i.severity, -i.comment.id))
        pages = max(1, -(-len(items) // per_page))
        page = min(max(page, 1), pages)
        shown = items[(page - 1) * per_page : page * per_page]
        return QueuePage(queue, shown, len(items), page, pages)
