"""An author's writes: post (or reply), edit and delete, each assessed by moderation.

Every change is one transaction that also writes the comment's audit event and bumps the
story's version (which is what makes cached thread pages go stale). Reading is in
``comment_reads.py``; votes and reports in ``feedback.py``.
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime, timedelta

from townhall.errors import Closed, Conflict, Forbidden, Invalid, NotFound
from townhall.i18n import N_
from townhall.models import Comment, Site, Story
from townhall.moderation import names
from townhall.moderation.policy import WithoutModels
from townhall.moderation.signals.spam import fingerprint
from townhall.moderation.verdict import Moderator, Verdict
from townhall.services.bans import BanKeys, author_key, refusal
from townhall.services.clock import Clock, utcnow
from townhall.services.comment_reads import CommentReader
from townhall.services.comment_rules import (
    STATUS_FOR,
    Limits,
    Posted,
    published_delta,
    reader_note,
    token_hash,
)
from townhall.services.identity import Identity
from townhall.services.moderation_context import ModerationContexts
from townhall.services.stories import StoryService
from townhall.services.text import render
from townhall.storage import Repos, Storage
from townhall.types import ActorKind, AuthorKind, CommentStatus, Decision


class _Rehearsed(Exception):
    """Rolls back the warm-up's rehearsal of a post's write."""


def _message(verdict: Verdict, status: CommentStatus) -> str:
    return reader_note(status, verdict.to_dict())


def _record_assessment(
    tx: Repos,
    comment_id: int,
    site_id: str,
    story_id: int,
    body: str,
    before: CommentStatus | None,
    verdict: Verdict,
    reason: str,
    now: datetime,
) -> None:
    """What a moderated write (a post, an edit) records with the comment, in its transaction: the
    text's fingerprint, so every process finds the comment when a copy of it arrives (the spam
    signal); the audit event, by the system when published, else by the signals; and the story's
    published count and version."""
    tx.recent.fingerprint(comment_id, site_id, fingerprint(body), now)
    status = STATUS_FOR[verdict.decision]
    actor_kind = ActorKind.SYSTEM if verdict.decision is Decision.PUBLISH else ActorKind.SIGNAL
    details = {"decision": verdict.decision.value}
    tx.comments.add_event(comment_id, before, status, actor_kind, "moderation", reason, now, details)
    tx.stories.touch(story_id, published_delta(before, status))


def _insert(
    tx: Repos,
    site: Site,
    story: Story,
    parent: Comment | None,
    identity: Identity,
    body: str,
    verdict: Verdict,
    now: datetime,
    edit_token: str,
    network_key: str | None,
    reader_key: str | None,
) -> int:
    """A new comment's rows, in the post's transaction: its author, the comment, and what
    ``_record_assessment`` records with it. Returns the comment's id."""
    status = STATUS_FOR[verdict.decision]
    author = tx.authors.upsert(
        site.id,
        identity.kind,
        identity.external_id,
        identity.name,
        now,
        email=identity.email,
        avatar=identity.avatar,
        badge=identity.badge,
        # A new name becomes the author's only once a comment under it is published.
        rename=status is CommentStatus.PUBLISHED,
    )
    comment_id = tx.comments.insert(
        site_id=site.id,
        story_id=story.id,
        parent_id=parent.id if parent else None,
        root_id=(parent.root_id or parent.id) if parent else None,
        depth=parent.depth + 1 if parent else 0,
        author_id=author.id,
        author_name=identity.name,
        body=body,
        html=render(body),
        status=status.value,
        created_at=now,
        edit_token_hash=token_hash(edit_token),
        ip_hash=network_key,
        reader_key=reader_key,
        verdict=verdict.to_dict(),
        upvotes=0,
        downvotes=0,
        score=0,
        featured=False,
    )
    reason = "; ".join(verdict.reasons) or "posted"
    _record_assessment(tx, comment_id, site.id, story.id, body, None, verdict, reason, now)
    return comment_id


class CommentService(CommentReader):
    def __init__(
        self,
        storage: Storage,
        stories: StoryService,
        moderator: Moderator | None = None,
        limits: Limits | None = None,
        clock: Clock = utcnow,
        bans: BanKeys | None = None,
        contexts: ModerationContexts | None = None,
    ):
        super().__init__(storage, stories, limits, clock)
        self.moderator: Moderator = moderator or WithoutModels()
        self.bans = bans or BanKeys("")
        self.contexts = contexts or ModerationContexts(storage, clock)

    # -- writing -------------------------------------------------------------------------------

    def post(
        self,
        site: Site,
        url: str,
        body: str,
        identity: Identity,
        parent_id: int | None = None,
        honeypot: str | None = None,
        network_key: str | None = None,
        reader_key: str | None = None,
    ) -> Posted:
        """``network_key`` and ``reader_key`` are keyed hashes of the address and reader token."""
        body = self.check_body(body)
        self._check_name(site, identity)
        if parent_id is not None and self.stories.find(site, url) is None:
            # A reply needs an existing thread; refusing it here also leaves no story behind.
            raise Invalid("the comment you reply to is not in this thread", fields={"parent_id": "not found"})
        story = self.stories.resolve(site, url)
        now = self.clock()
        if story.is_closed(now):
            raise Closed()
        parent = self._parent(story, parent_id) if parent_id is not None else None
        with self.storage.read() as tx:
            author_id = tx.authors.find_id(site.id, identity.kind, identity.external_id)
            author = tx.authors.get(author_id) if author_id is not None else None
            banned = author is not None and author.banned_until is not None and author.banned_until > now
            ban = tx.bans.match(site.id, self.bans.for_post(identity, reader_key, network_key), now)
        if ban is not None:
            self._follow_ban(site, ban, identity, reader_key, now)
        if banned or ban is not None:
            raise refusal()
        verdict = self.moderator.assess(
            self.contexts.request(
                site,
                story,
                body,
                now,
                name=identity.name,
                parent_text=parent.body if parent else None,
                author_id=author_id,
                author_key=identity.external_id,
                network_key=network_key,
                honeypot=honeypot,
            )
        )
        status = STATUS_FOR[verdict.decision]
        edit_token = secrets.token_urlsafe(24)
        with self.storage.write() as tx:
            fresh = tx.stories.get(story.id)
            if fresh is None or fresh.is_closed(now):
                raise Closed()
            comment_id = _insert(
                tx, site, story, parent, identity, body, verdict, now, edit_token, network_key, reader_key
            )
            comment = tx.comments.get(comment_id)
        assert comment is not None
        return Posted(comment, edit_token, _message(verdict, status))

    def warm(self, site: Site) -> None:
        """Compile what the first post to ``site`` would need (its SQL statements, reserved names,
        moderation context), so that the first reader's comment does not pay for it: its reads,
        and its write rehearsed in a transaction that is rolled back (nothing is kept). Run by the
        server before it accepts connections."""
        now = self.clock()
        guest = Identity(AuthorKind.GUEST, "", "Reader")
        names.imitates(guest.name, site.name)
        if site.origins:
            self.stories.find(site, site.origins[0] + "/")
        with self.storage.read() as tx:
            tx.authors.find_id(site.id, guest.kind, guest.external_id)
            tx.authors.get(0)
            tx.authors.history(0, now)
            tx.bans.match(site.id, self.bans.for_post(guest, "", ""), now)
            tx.stories.get(0)
            tx.comments.get(0)
            tx.comments.thread_texts(0, None)
        self.contexts.site(site)
        render("*warm*")
        with contextlib.suppress(_Rehearsed), self.storage.write() as tx:
            # The post's write, rolled back: its statements compiled (a new story's too), nothing kept.
            story = tx.stories.get(tx.stories.insert(site.id, f"warm-up:{secrets.token_hex(8)}", now))
            assert story is not None
            rehearsal = Identity(AuthorKind.GUEST, f"warm-up-{secrets.token_hex(8)}", "Reader")
            comment_id = _insert(
                tx, site, story, None, rehearsal, "*warm*", Verdict(Decision.PUBLISH), now, "", "", ""
            )
            tx.comments.get(comment_id)
            tx.webhooks.list(site.id, active_only=True)  # what the write's hooks read at commit
            raise _Rehearsed

    def edit(self, comment_id: int, edit_token: str, body: str) -> Posted:
        """The author rewrites a comment within the edit window; it is assessed again."""
        body = self.check_body(body)
        comment, story, site = self._own(comment_id, edit_token)
        if comment.status is CommentStatus.REJECTED:
            raise Conflict("a rejected comment cannot be edited", code="comment_rejected")
        parent_text = None
        if comment.parent_id is not None:
            with self.storage.read() as tx:
                parent = tx.comments.get(comment.parent_id)
            parent_text = parent.body if parent else None
        now = self.clock()
        verdict = self.moderator.assess(
            self.contexts.request(
                site,
                story,
                body,
                now,
                name=comment.author.name,
                parent_text=parent_text,
                author_id=comment.author.id,
                author_key=comment.author.external_id,
                comment_id=comment.id,
            )
        )
        status = STATUS_FOR[verdict.decision]
        with self.storage.write() as tx:
            current = tx.comments.get(comment_id)
            if current is None or current.status is CommentStatus.DELETED:
                raise NotFound("no comment {id}", code="unknown_comment", params={"id": comment_id})
            tx.comments.update(
                comment_id,
                body=body,
                html=render(body),
                edited_at=now,
                status=status,
                verdict=verdict.to_dict(),
            )
            reason = "edited; " + ("; ".join(verdict.reasons) or "reassessed")
            _record_assessment(tx, comment_id, site.id, story.id, body, current.status, verdict, reason, now)
            updated = tx.comments.get(comment_id)
        assert updated is not None
        return Posted(updated, edit_token, _message(verdict, status))

    def delete(self, comment_id: int, edit_token: str) -> None:
        """The author removes a comment within the edit window; replies under it stay."""
        comment, story, _site = self._own(comment_id, edit_token)
        now = self.clock()
        with self.storage.write() as tx:
            tx.comments.update(comment_id, status=CommentStatus.DELETED, body="", html="", deleted_at=now)
            tx.comments.add_event(
                comment_id,
                comment.status,
                CommentStatus.DELETED,
                ActorKind.READER,
                "author",
                "deleted by author",
                now,
            )
            tx.stories.touch(story.id, published_delta(comment.status, CommentStatus.DELETED))

    # -- helpers -------------------------------------------------------------------------------

    def _follow_ban(
        self,
        site: Site,
        ban: tuple[int, datetime, str],
        identity: Identity,
        reader_key: str | None,
        now: datetime,
    ) -> None:
        """A banned author back under a new token or name: the ban learns the new keys.

        Not when only the network address matched: others may share it, and that part of a ban
        is temporary on purpose."""
        author_id, until, kind = ban
        if kind == "network":
            return
        keys = [(k, v, until) for k, v in self.bans.for_post(identity, reader_key, None)]
        with self.storage.write() as tx:
            tx.bans.add(site.id, author_id, keys, now)

    def check_body(self, body: str) -> str:
        body = (body or "").strip()
        if not body:
            raise Invalid("comment must not be empty", fields={"body": "required"})
        if not names.clean(body):
            # Only zero-width, bidi or control characters: nothing a reader would see.
            raise Invalid("comment has no visible text", fields={"body": N_("no visible text")})
        if len(body) > self.limits.max_chars:
            raise Invalid(
                "comment is longer than {max} characters",
                fields={"body": N_("too long")},
                params={"max": self.limits.max_chars},
            )
        return body

    def _check_name(self, site: Site, identity: Identity) -> None:
        """Only staff may use a name that reads as the site's staff or the site itself."""
        if identity.staff:
            return
        word = names.imitates(identity.name, site.name)
        if word:
            raise Invalid(
                "this name is kept for {site}'s staff (it reads as “{word}”); please choose another",
                fields={"author_name": N_("reserved for staff")},
                code="name_reserved",
                params={"site": site.name, "word": word},
            )

    def _parent(self, story: Story, parent_id: int) -> Comment:
        with self.storage.read() as tx:
            parent = tx.comments.get(parent_id)
        if parent is not None and parent.story_id == story.id and parent.status is CommentStatus.HELD:
            raise Conflict(
                "the comment you reply to is awaiting moderation; you can reply once it is published",
                code="parent_not_published",
            )
        if parent is None or parent.story_id != story.id or parent.status is not CommentStatus.PUBLISHED:
            raise Invalid("the comment you reply to is not in this thread", fields={"parent_id": "not found"})
        if parent.depth + 1 > self.limits.max_depth:
            raise Invalid("replies cannot nest any deeper here", fields={"parent_id": "too deep"})
        return parent

    def _own(self, comment_id: int, edit_token: str) -> tuple[Comment, Story, Site]:
        comment = self.own(comment_id, edit_token)
        if comment.status is CommentStatus.DELETED:
            raise NotFound("no comment {id}", code="unknown_comment", params={"id": comment_id})
        story = self.stories.get(comment.story_id)
        now = self.clock()
        with self.storage.read() as tx:
            site = tx.sites.get(story.site_id)
            # A banned author no longer changes anything here, their own comments included (what
            # the ban was about stays for the moderators, and an appeal, to read).
            ban = tx.bans.match(story.site_id, [author_key(comment.author)], now)
        assert site is not None
        banned_until = comment.author.banned_until
        if ban is not None or (banned_until is not None and banned_until > now):
            raise refusal()
        if story.is_closed(now):
            raise Closed()
        window = timedelta(minutes=site.settings.edit_window_minutes)
        if now - comment.created_at > window:
            raise Forbidden("the time to edit or delete this comment has passed", code="edit_window_over")
        return comment, story, site
