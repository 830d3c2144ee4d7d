"""Re-assess stored comments (after an import or a model update)."""

from __future__ import annotations

from dataclasses import dataclass

from townhall.errors import NotFound
from townhall.moderation.verdict import Moderator
from townhall.services.clock import Clock, utcnow
from townhall.services.comment_rules import STATUS_FOR, published_delta
from townhall.services.moderation_context import ModerationContexts
from townhall.storage import Storage
from townhall.types import ActorKind, CommentStatus, Decision


@dataclass(frozen=True, slots=True)
class Rescored:
    comment_id: int
    before: CommentStatus
    decision: Decision
    after: CommentStatus


class Rescorer:
    def __init__(
        self,
        storage: Storage,
        moderator: Moderator,
        clock: Clock = utcnow,
        contexts: ModerationContexts | None = None,
    ):
        self.storage = storage
        self.moderator = moderator
        self.clock = clock
        self.contexts = contexts or ModerationContexts(storage, clock)

    def targets(
        self, site_id: str | None = None, story_id: int | None = None, status: CommentStatus | None = None
    ) -> list[int]:
        with self.storage.read() as tx:
            return tx.comments.ids(site_id=site_id, story_id=story_id, status=status)

    def rescore(self, comment_id: int, apply: bool = False) -> Rescored:
        """Store a fresh verdict; with ``apply``, also move the comment unless a moderator decided it."""
        with self.storage.read() as tx:
            comment = tx.comments.get(comment_id)
            if comment is None:
                raise NotFound(f"no comment {comment_id}", code="unknown_comment")
            story = tx.stories.get(comment.story_id)
            site = tx.sites.get(story.site_id) if story else None
            parent = tx.comments.get(comment.parent_id) if comment.parent_id else None
        assert story is not None and site is not None
        if comment.status is CommentStatus.DELETED:
            return Rescored(comment_id, comment.status, Decision.PUBLISH, comment.status)
        now = self.clock()
        verdict = self.moderator.assess(
            self.contexts.request(
                site,
                story,
                comment.body,
                now,
                name=comment.author.name,
                parent_text=parent.body if parent else None,
                author_id=comment.author.id,
                author_key=comment.author.external_id,
                comment_id=comment.id,
            )
        )
        target = STATUS_FOR[verdict.decision]
        with self.storage.write() as tx:
            tx.comments.update(comment_id, verdict=verdict.to_dict())
            moved = (
                apply and target is not comment.status and not tx.comments.decided_by_moderator(comment_id)
            )
            if moved:
                tx.comments.update(comment_id, status=target)
                tx.comments.add_event(
                    comment_id,
                    comment.status,
                    target,
                    ActorKind.SIGNAL,
                    "rescore",
                    "; ".join(verdict.reasons) or "rescored",
                    now,
                    {"decision": verdict.decision.value},
                )
                tx.stories.touch(story.id, published_delta(comment.status, target))
        return Rescored(comment_id, comment.status, verdict.decision, target if moved else comment.status)
