"""A reader's data rights (GDPR art. 15 and 17): find them, export what is stored, erase them.

A reader is an author row of one site. Erasing one is one transaction: their comments go to
the site's "[deleted]" stand-in author — text removed or kept per the site's ``erasure_mode``,
the place in the thread kept either way — their e-mail, IP and reader-token hashes, votes,
reports and bans are deleted, and an erasure record says who erased which author id, when
and how, without any of the erased data.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from townhall.errors import Invalid, NotFound
from townhall.models import Site
from townhall.services.clock import Clock, utcnow
from townhall.services.identity import account_key
from townhall.storage import Repos, Storage
from townhall.storage.readers import ERASED_ID, ERASED_KIND
from townhall.types import ActorKind, AuthorKind, CommentStatus

EXPORT_FORMAT = "townhall-reader-data"


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


class ReaderRights:
    def __init__(self, storage: Storage, secret: str, clock: Clock = utcnow):
        self.storage = storage
        self.secret = secret
        self.clock = clock

    def find(
        self,
        site: Site,
        *,
        email: str | None = None,
        sso_id: str | None = None,
        comment_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """The readers of ``site`` matching exactly one of: an e-mail, an SSO user id, a comment."""
        given = [v for v in (email, sso_id, comment_id) if v not in (None, "")]
        if len(given) != 1:
            raise Invalid("give exactly one of: an e-mail address, an SSO user id, a comment id")
        with self.storage.read() as tx:
            if email:
                ids = tx.readers.by_email(site.id, email)
            elif sso_id:
                ids = tx.readers.by_external_id(site.id, AuthorKind.SSO.value, sso_id.strip())
            else:
                ids = tx.readers.by_comment(site.id, int(comment_id or 0))
            found = [self._summary(tx, author_id) for author_id in ids]
        return [reader for reader in found if reader is not None]

    def export(self, site: Site, author_id: int) -> dict[str, Any]:
        """Everything stored about one reader, as JSON-ready data (the right of access)."""
        with self.storage.read() as tx:
            author = self._author(tx, site, author_id)
            comments = tx.readers.comments(author_id)
            voter, account = self._keys(author)
            data = {
                "format": EXPORT_FORMAT,
                "version": 1,
                "site": site.id,
                "exported_at": self.clock(),
                "reader": author,
                "comments": comments,
                "comment_events": tx.readers.events([c["id"] for c in comments]),
                "votes": tx.readers.votes(voter, account),
                "reports": tx.readers.reports(voter),
                "reply_subscriptions": tx.readers.subscriptions(author_id),
                "mails": tx.readers.mails(author["email"]),
                "bans": tx.readers.bans(author_id),
            }
        return _json(data)

    def erase(
        self, site: Site, author_id: int, actor_kind: ActorKind, actor: str, reason: str = ""
    ) -> dict[str, Any]:
        """Erase one reader (the right to erasure); returns the erasure record."""
        now = self.clock()
        mode = site.settings.erasure_mode
        remove = mode == "remove"
        with self.storage.write() as tx:
            author = self._author(tx, site, author_id)
            if author["kind"] == ERASED_KIND and author["external_id"] == ERASED_ID:
                raise Invalid("this is the stand-in for erased readers, not a reader")
            comments = tx.readers.comments(author_id)
            voter, account = self._keys(author)
            stand_in = tx.readers.stand_in(site.id, now)
            tx.readers.hand_over(author_id, stand_in, remove, now)
            published: Counter[int] = Counter()
            for comment in comments:
                before = CommentStatus(comment["status"])
                after = CommentStatus.DELETED if remove else before
                published[comment["story_id"]] += int(before is CommentStatus.PUBLISHED) - int(
                    after is CommentStatus.PUBLISHED
                )
                tx.comments.add_event(
                    comment["id"], before, after, actor_kind, actor, f"author erased ({mode})", now
                )
            for story_id in {c["story_id"] for c in comments}:
                tx.stories.touch(story_id, -published[story_id])
            tx.readers.forget(author_id, voter, account, author["email"])
            record = {
                "site_id": site.id,
                "author_id": author_id,
                "mode": mode,
                "comments": len(comments),
                "actor_kind": actor_kind.value,
                "actor": actor,
                "reason": reason,
                "created_at": now,
            }
            record["id"] = tx.readers.record_erasure(**record)
        return _json(record)

    def erasures(self, site: Site) -> list[dict[str, Any]]:
        with self.storage.read() as tx:
            return _json(tx.readers.erasures(site.id))

    # -- helpers -------------------------------------------------------------------------------

    def _keys(self, author: dict[str, Any]) -> tuple[str, str | None]:
        """How the reader's votes and reports are keyed: their reader hash, and for SSO their account."""
        if author["kind"] == AuthorKind.SSO.value:
            return author["external_id"], account_key(self.secret, author["external_id"])
        return author["external_id"], None

    @staticmethod
    def _author(tx: Repos, site: Site, author_id: int) -> dict[str, Any]:
        author = tx.readers.author(author_id)
        if author is None or author["site_id"] != site.id:
            raise NotFound(
                "no reader {id} on site '{site}'",
                code="unknown_reader",
                params={"id": author_id, "site": site.id},
            )
        return author

    @staticmethod
    def _summary(tx: Repos, author_id: int) -> dict[str, Any] | None:
        author = tx.readers.author(author_id)
        if author is None or (author["kind"] == ERASED_KIND and author["external_id"] == ERASED_ID):
            return None
        comments = tx.readers.comments(author_id)
        return _json(
            {
                "id": author["id"],
                "kind": author["kind"],
                "name": author["name"],
                "has_email": bool(author["email"]),
                "comments": len(comments),
                "first_seen": author["created_at"],
            }
        )
