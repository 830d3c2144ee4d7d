"""A reader's data for their rights of access and erasure: find, gather, erase."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from townhall.storage.schema import (
    authors,
    bans,
    comment_events,
    comment_fingerprints,
    comments,
    erasures,
    mail_outbox,
    reply_subscriptions,
    reports,
    stories,
    votes,
)

# The stand-in author of erased readers' comments, one per site.
ERASED_KIND, ERASED_ID, ERASED_NAME = "guest", "erased", "[deleted]"


def _to_reader(email: str) -> tuple[Any, ...]:
    return (
        func.lower(mail_outbox.c.to_addr) == email.strip().lower(),
        mail_outbox.c.kind.in_(("confirm", "reply")),
    )


def _rows(result: Any) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in result.mappings()]


class ReaderRepo:
    def __init__(self, connection: Connection):
        self.c = connection

    # -- finding -------------------------------------------------------------------------------

    def by_email(self, site_id: str, email: str) -> list[int]:
        query = select(authors.c.id).where(
            authors.c.site_id == site_id, func.lower(authors.c.email) == email.strip().lower()
        )
        return [row[0] for row in self.c.execute(query.order_by(authors.c.id))]

    def by_external_id(self, site_id: str, kind: str, external_id: str) -> list[int]:
        query = select(authors.c.id).where(
            authors.c.site_id == site_id, authors.c.kind == kind, authors.c.external_id == external_id
        )
        return [row[0] for row in self.c.execute(query)]

    def by_comment(self, site_id: str, comment_id: int) -> list[int]:
        query = select(comments.c.author_id).where(comments.c.site_id == site_id, comments.c.id == comment_id)
        return [row[0] for row in self.c.execute(query)]

    # -- gathering (right of access) -----------------------------------------------------------

    def author(self, author_id: int) -> dict[str, Any] | None:
        row = self.c.execute(select(authors).where(authors.c.id == author_id)).mappings().first()
        return {str(k): v for k, v in row.items()} if row else None

    def comments(self, author_id: int) -> list[dict[str, Any]]:
        query = (
            select(comments, stories.c.url.label("story_url"), stories.c.title.label("story_title"))
            .join(stories, stories.c.id == comments.c.story_id)
            .where(comments.c.author_id == author_id)
            .order_by(comments.c.id)
        )
        return _rows(self.c.execute(query))

    def events(self, comment_ids: list[int]) -> list[dict[str, Any]]:
        query = select(comment_events).where(comment_events.c.comment_id.in_(comment_ids))
        return _rows(self.c.execute(query.order_by(comment_events.c.id)))

    def votes(self, voter: str, account: str | None) -> list[dict[str, Any]]:
        who = (
            votes.c.voter == voter
            if account is None
            else or_(votes.c.voter == voter, votes.c.account == account)
        )
        return _rows(self.c.execute(select(votes).where(who).order_by(votes.c.created_at)))

    def reports(self, reporter: str) -> list[dict[str, Any]]:
        query = select(reports).where(reports.c.reporter == reporter).order_by(reports.c.id)
        return _rows(self.c.execute(query))

    def subscriptions(self, author_id: int) -> list[dict[str, Any]]:
        query = select(reply_subscriptions).where(reply_subscriptions.c.author_id == author_id)
        return _rows(self.c.execute(query.order_by(reply_subscriptions.c.id)))

    def mails(self, email: str | None) -> list[dict[str, Any]]:
        """Notices queued or sent to the reader's address (confirmations, replies)."""
        if not email:
            return []
        query = select(mail_outbox).where(*_to_reader(email)).order_by(mail_outbox.c.id)
        return _rows(self.c.execute(query))

    def bans(self, author_id: int) -> list[dict[str, Any]]:
        return _rows(self.c.execute(select(bans).where(bans.c.author_id == author_id).order_by(bans.c.id)))

    # -- erasing -------------------------------------------------------------------------------

    def stand_in(self, site_id: str, now: datetime) -> int:
        """The site's '[deleted]' author, created on first use."""
        key = (
            authors.c.site_id == site_id,
            authors.c.kind == ERASED_KIND,
            authors.c.external_id == ERASED_ID,
        )
        found = self.c.execute(select(authors.c.id).where(*key)).scalar()
        if found is not None:
            return int(found)
        result = self.c.execute(
            insert(authors).values(
                site_id=site_id,
                kind=ERASED_KIND,
                external_id=ERASED_ID,
                name=ERASED_NAME,
                notes="",
                created_at=now,
            )
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def hand_over(self, author_id: int, stand_in: int, remove_text: bool, now: datetime) -> None:
        """Give the author's comments to the stand-in; drop their hashes (and their text if asked)."""
        values: dict[str, Any] = {
            "author_id": stand_in,
            "author_name": ERASED_NAME,
            "ip_hash": None,
            "reader_key": None,
        }
        if remove_text:
            # Near-duplicate fingerprints are derived from the text: they go with it.
            theirs = select(comments.c.id).where(comments.c.author_id == author_id)
            self.c.execute(delete(comment_fingerprints).where(comment_fingerprints.c.comment_id.in_(theirs)))
            values.update(
                status="deleted",
                body="",
                html="",
                verdict=None,
                deleted_at=func.coalesce(comments.c.deleted_at, now),
            )
        self.c.execute(update(comments).where(comments.c.author_id == author_id).values(**values))

    def forget(self, author_id: int, voter: str, account: str | None, email: str | None) -> None:
        """Delete the author with their votes, reports, subscriptions and notices (bans go with them)."""
        if email:
            self.c.execute(delete(mail_outbox).where(*_to_reader(email)))
        self.c.execute(delete(reply_subscriptions).where(reply_subscriptions.c.author_id == author_id))
        who = (
            votes.c.voter == voter
            if account is None
            else or_(votes.c.voter == voter, votes.c.account == account)
        )
        self.c.execute(delete(votes).where(who))
        self.c.execute(delete(reports).where(reports.c.reporter == voter))
        self.c.execute(delete(authors).where(authors.c.id == author_id))

    def record_erasure(self, **values: Any) -> int:
        result = self.c.execute(insert(erasures).values(**values))
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def erasures(self, site_id: str, limit: int = 100) -> list[dict[str, Any]]:
        query = (
            select(erasures).where(erasures.c.site_id == site_id).order_by(erasures.c.id.desc()).limit(limit)
        )
        return _rows(self.c.execute(query))

    # -- retention -----------------------------------------------------------------------------

    def drop_ip_hashes(self, before: datetime) -> int:
        """Forget the keyed IP hashes of comments (and votes) older than ``before``."""
        dropped = self.c.execute(
            update(comments)
            .where(comments.c.created_at < before, comments.c.ip_hash.is_not(None))
            .values(ip_hash=None)
        ).rowcount
        self.c.execute(
            update(votes)
            .where(votes.c.created_at < before, votes.c.network.is_not(None))
            .values(network=None)
        )
        return int(dropped or 0)

    def drop_emails(self, before: datetime) -> int:
        """Forget the e-mail of readers with nothing newer than ``before``, unless they opted in to mail."""
        latest = (
            select(comments.c.author_id).where(comments.c.created_at >= before).distinct().scalar_subquery()
        )
        query = update(authors).where(
            authors.c.email.is_not(None),
            authors.c.created_at < before,
            authors.c.id.not_in(latest),
        )
        # Readers with a confirmed, live reply subscription opted in: they keep their address.
        opted_in = select(reply_subscriptions.c.author_id).where(
            reply_subscriptions.c.confirmed_at.is_not(None), reply_subscriptions.c.unsubscribed_at.is_(None)
        )
        query = query.where(authors.c.id.not_in(opted_in))
        return int(self.c.execute(query.values(email=None)).rowcount or 0)
