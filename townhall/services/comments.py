"""Comments: post, reply, edit, delete, vote, report, and read a thread.

Every change is one transaction that also writes the comment's audit event and bumps the
story's version (which is what makes cached thread pages go stale).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from townhall.errors import Closed, Conflict, Forbidden, Invalid, NotFound, Unauthorized
from townhall.i18n import N_
from townhall.models import Comment, Site, Story, ThreadPage
from townhall.moderation import names
from townhall.moderation.policy import WithoutModels, reader_message
from townhall.moderation.signals.spam import fingerprint
from townhall.moderation.verdict import Moderator, Verdict
from townhall.services.bans import BanKeys
from townhall.services.clock import Clock, utcnow
from townhall.services.identity import Identity
from townhall.services.moderation_context import ModerationContexts
from townhall.services.stories import StoryService
from townhall.services.text import plain, render
from townhall.storage import Storage
from townhall.types import ActorKind, AuthorKind, CommentStatus, Decision, SortOrder

REPORT_REASONS = ("spam", "abuse", "off_topic", "misinformation", "other")

STATUS_FOR = {
    Decision.PUBLISH: CommentStatus.PUBLISHED,
    Decision.HOLD: CommentStatus.HELD,
    Decision.REJECT: CommentStatus.REJECTED,
}


@dataclass(frozen=True, slots=True)
class Limits:
    max_chars: int = 5000
    max_depth: int = 4
    page_size: int = 20
    max_page_size: int = 100


@dataclass(frozen=True, slots=True)
class Posted:
    comment: Comment
    edit_token: str
    message: str  # what the reader is told: published, held for review (and why, in general terms), rejected


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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


Gettext = Callable[[str], str]

PUBLISHED_NOTE = N_("Your comment is published.")
HELD_NOTE = N_("Your comment is awaiting moderation and will appear once approved.")
REJECTED_NOTE = N_("Your comment was not published because it breaks this site's rules.")


def reader_note(status: CommentStatus, verdict: Mapping[str, Any] | None, gettext: Gettext = str) -> str:
    """What the author is told about their comment, in gettext's language.

    The policy's message is said again from its reasons; a moderator's own words are kept as written.
    """
    if status is CommentStatus.PUBLISHED:
        return gettext(PUBLISHED_NOTE)
    verdict = verdict or {}
    names = verdict.get("reader_reasons")
    if names is not None and verdict.get("decision") in (Decision.HOLD.value, Decision.REJECT.value):
        text = reader_message(Decision(verdict["decision"]), [str(n) for n in names], gettext)
    else:
        text = gettext(str(verdict.get("reader_message") or ""))
    return text or gettext(HELD_NOTE if status is CommentStatus.HELD else REJECTED_NOTE)


def _message(verdict: Verdict, status: CommentStatus) -> str:
    return reader_note(status, verdict.to_dict())


class CommentService:
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
        self.storage = storage
        self.stories = stories
        self.moderator: Moderator = moderator or WithoutModels()
        self.limits = limits or Limits()
        self.clock = clock
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
            raise Forbidden("you can no longer comment on this site", code="author_banned")
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
                edit_token_hash=_token_hash(edit_token),
                ip_hash=network_key,
                reader_key=reader_key,
                verdict=verdict.to_dict(),
                upvotes=0,
                downvotes=0,
                score=0,
                featured=False,
            )
            # Every process finds this comment when a copy of it arrives (the spam signal).
            tx.recent.fingerprint(comment_id, site.id, fingerprint(body), now)
            actor_kind = ActorKind.SYSTEM if verdict.decision is Decision.PUBLISH else ActorKind.SIGNAL
            tx.comments.add_event(
                comment_id,
                None,
                status,
                actor_kind,
                "moderation",
                "; ".join(verdict.reasons) or "posted",
                now,
                {"decision": verdict.decision.value},
            )
            tx.stories.touch(story.id, 1 if status is CommentStatus.PUBLISHED else 0)
            comment = tx.comments.get(comment_id)
        assert comment is not None
        return Posted(comment, edit_token, _message(verdict, status))

    def warm(self, site: Site) -> None:
        """Reads only: compile what the first post to ``site`` would need (its SQL statements,
        reserved names, moderation context), so that the first reader's comment does not pay for
        it. Run by the server before it accepts connections."""
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
                raise NotFound(f"no comment {comment_id}", code="unknown_comment")
            tx.comments.update(
                comment_id,
                body=body,
                html=render(body),
                edited_at=now,
                status=status,
                verdict=verdict.to_dict(),
            )
            tx.recent.fingerprint(comment_id, site.id, fingerprint(body), now)
            actor_kind = ActorKind.SYSTEM if verdict.decision is Decision.PUBLISH else ActorKind.SIGNAL
            tx.comments.add_event(
                comment_id,
                current.status,
                status,
                actor_kind,
                "moderation",
                "edited; " + ("; ".join(verdict.reasons) or "reassessed"),
                now,
                {"decision": verdict.decision.value},
            )
            tx.stories.touch(story.id, published_delta(current.status, status))
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

    def vote(
        self, comment_id: int, voter: str, value: int, network: str | None = None, account: str | None = None
    ) -> Comment:
        """One vote per comment per reader token, per network address and per signed-in reader
        (``account``); voting the other way turns one's vote."""
        if value not in (1, -1):
            raise Invalid("value must be 1 or -1", fields={"value": "must be 1 or -1"})
        comment, story = self._published(comment_id)
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
        _comment, story = self._published(comment_id)
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
        self._published(comment_id)
        with self.storage.write() as tx:
            if not tx.feedback.report(comment_id, reporter, reason, note, self.clock()):
                raise Conflict("you have already reported this comment", code="already_reported")

    # -- reading -------------------------------------------------------------------------------

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
            raise Invalid(f"limit must be 1 to {self.limits.max_page_size}", fields={"limit": "out of range"})
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
            raise NotFound(f"no comment {comment_id}", code="unknown_comment")
        if not hmac.compare_digest(stored, _token_hash(edit_token)):
            raise Unauthorized("edit token does not match this comment", code="bad_edit_token")
        return comment

    def get(self, comment_id: int) -> Comment:
        with self.storage.read() as tx:
            comment = tx.comments.get(comment_id)
        if comment is None:
            raise NotFound(f"no comment {comment_id}", code="unknown_comment")
        return comment

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
            raise NotFound(f"no comment {comment_id}", code="unknown_comment")
        story = self.stories.get(comment.story_id)
        with self.storage.read() as tx:
            site = tx.sites.get(story.site_id)
        assert site is not None
        now = self.clock()
        if story.is_closed(now):
            raise Closed()
        window = timedelta(minutes=site.settings.edit_window_minutes)
        if now - comment.created_at > window:
            raise Forbidden("the time to edit or delete this comment has passed", code="edit_window_over")
        return comment, story, site

    def _published(self, comment_id: int) -> tuple[Comment, Story]:
        comment = self.get(comment_id)
        if comment.status is not CommentStatus.PUBLISHED:
            raise NotFound(f"no comment {comment_id}", code="unknown_comment")
        return comment, self.stories.get(comment.story_id)


def published_delta(before: CommentStatus, after: CommentStatus) -> int:
    """Change in a story's published count when a comment moves between statuses."""
    return int(after is CommentStatus.PUBLISHED) - int(before is CommentStatus.PUBLISHED)


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
