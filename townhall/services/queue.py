"""The moderators' queues: what waits (held, pending, reported), in context, and the stories.

``ModerationQueue`` reads here and decides through :class:`Decisions` (decisions.py); the value
types it hands out live in queue_items.py and are importable from here too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from townhall.errors import NotFound
from townhall.models import Comment, Story
from townhall.services.decisions import CANDIDATES, FOREVER, Decisions
from townhall.services.holds import causes, is_pending, severity
from townhall.services.queue_items import (
    Action,
    AuthorProfile,
    ItemDetail,
    Order,
    Queue,
    QueueFilter,
    QueueItem,
    QueuePage,
    SignalReading,
)
from townhall.types import CommentStatus

__all__ = [
    "Action",
    "AuthorProfile",
    "ItemDetail",
    "ModerationQueue",
    "Order",
    "Queue",
    "QueueFilter",
    "QueueItem",
    "QueuePage",
    "SignalReading",
]


class ModerationQueue(Decisions):
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
                raise NotFound("no author {id}", code="unknown_author", params={"id": author_id})
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

    def counts_by_story(self, story_ids: list[int]) -> dict[int, dict[str, int]]:
        """Each story's comments by status (published, held, rejected, deleted), for the dashboard."""
        with self.storage.read() as tx:
            return tx.queue.counts_by_story(story_ids)

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
