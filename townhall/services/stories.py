"""Stories: found or created from the embedding page's URL; opened and closed by editors."""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from townhall.errors import Invalid, NotFound, RateLimited, TownhallError
from townhall.models import Site, Story
from townhall.services.articles import ArticleData, ArticleFetcher
from townhall.services.clock import Clock, utcnow
from townhall.services.counters import SlidingWindow
from townhall.services.urls import check_allowed, normalise
from townhall.storage import Repos, Storage
from townhall.types import ActorKind

MAX_ARTICLE_CHARS = 200_000
MAX_ALIASES = 10_000
SCHEDULED_CLOSE = "closing date passed"


class StoryService:
    def __init__(
        self,
        storage: Storage,
        fetcher: ArticleFetcher | None = None,
        clock: Clock = utcnow,
        fetch_limit: SlidingWindow | None = None,
    ):
        self.storage = storage
        self.fetcher = fetcher
        self.clock = clock
        self.fetch_limit = fetch_limit  # page fetches per site, shared by every process
        # (site, address) → the canonical address its page named, so it is not fetched again
        self._aliases: dict[tuple[str, str], str] = {}

    def get(self, story_id: int) -> Story:
        with self.storage.read() as tx:
            story = tx.stories.get(story_id)
        if story is None:
            raise NotFound("no story {id}", code="unknown_story", params={"id": story_id})
        return story

    @staticmethod
    def story_url(site: Site, url: str) -> str:
        """The one address of a story: normalised with the site's query parameters, on its origins."""
        url = normalise(url, site.settings.query_params)
        check_allowed(url, site.origins)
        return url

    def find(self, site: Site, url: str) -> Story | None:
        url = self.story_url(site, url)
        with self.storage.read() as tx:
            return tx.stories.find(site.id, url)

    def resolve(self, site: Site, url: str) -> Story:
        """The story for a page URL, created on first sight.

        With article fetching on (the default), a story is created only when its page can be read
        from the site's origin; the page's canonical URL, if it names another address on the
        site, is the story's. With fetching off, any allowed URL becomes a story when first seen
        (for publishers who push their stories, or who accept that)."""
        url = self.story_url(site, url)
        with self.storage.read() as tx:
            story = tx.stories.find(site.id, url) or self._known_alias(tx, site.id, url)
        if story is not None:
            return story
        now = self.clock()
        values = self._closing(site, None, now)
        if self.fetcher is not None:
            article = self._fetch(site, url)
            canonical = self._canonical(site, article.canonical)
            if canonical is not None and canonical != url:
                self._remember_alias(site.id, url, canonical)
                with self.storage.read() as tx:
                    story = tx.stories.find(site.id, canonical)
                if story is not None:
                    return story
                url = canonical
            values = self._article_values(site, article, now)
        try:
            with self.storage.write() as tx:
                story_id = tx.stories.insert(site.id, url, now, **values)
                tx.stories.add_event(story_id, "created", ActorKind.SYSTEM, "townhall", "first seen", now)
        except IntegrityError:
            pass  # another request created it first
        with self.storage.read() as tx:
            story = tx.stories.find(site.id, url)
        assert story is not None
        return story

    def push(self, site: Site, url: str, fields: dict[str, Any], actor: str) -> Story:
        """Create or update a story with the publisher's own copy of the article (admin API)."""
        url = self.story_url(site, url)
        now = self.clock()
        text = fields.get("text")
        if text is not None and len(text) > MAX_ARTICLE_CHARS:
            raise Invalid(f"text is longer than {MAX_ARTICLE_CHARS} characters", fields={"text": "too long"})
        values = {k: v for k, v in fields.items() if v is not None}
        values["fetched_at"] = now
        with self.storage.write() as tx:
            story = tx.stories.find(site.id, url)
            if story is None:
                values.update(self._closing(site, values.get("published_at"), now))
                story_id = tx.stories.insert(site.id, url, now, **values)
                tx.stories.add_event(story_id, "created", ActorKind.PUBLISHER, actor, "pushed", now)
            else:
                story_id = story.id
                if "text" in values:
                    values["representation"] = None  # stale: moderation recomputes it
                if "published_at" in values and story.auto_close:
                    # A real publication date replaces the first guess: the closing time follows it.
                    values["closes_at"] = self.auto_closes_at(site, values["published_at"], story.created_at)
                tx.stories.update(story_id, **values)
                tx.stories.add_event(story_id, "updated", ActorKind.PUBLISHER, actor, "pushed", now)
        return self.get(story_id)

    def close(self, story_id: int, actor_kind: ActorKind, actor: str, reason: str = "") -> Story:
        with self.storage.write() as tx:
            self._require(tx.stories.get(story_id), story_id)
            tx.stories.update(story_id, closed=True, closed_at=self.clock(), close_reason=reason[:500])
            tx.stories.add_event(story_id, "closed", actor_kind, actor, reason, self.clock())
        return self.get(story_id)

    def close_due(self) -> int:
        """Record the closing of stories whose closing date has passed (they already refuse comments):
        the audit event, and with it the ``story.closed`` webhook. Returns how many were closed."""
        now = self.clock()
        with self.storage.write() as tx:
            due = tx.stories.due_to_close(now)
            for story_id, closes_at in due:
                tx.stories.update(story_id, closed=True, closed_at=closes_at)  # no reason for readers
                tx.stories.add_event(story_id, "closed", ActorKind.SYSTEM, "schedule", SCHEDULED_CLOSE, now)
        return len(due)

    def reopen(self, story_id: int, actor_kind: ActorKind, actor: str, reason: str = "") -> Story:
        """Open again; an automatic closing date is dropped so the story stays open."""
        with self.storage.write() as tx:
            self._require(tx.stories.get(story_id), story_id)
            tx.stories.update(
                story_id, closed=False, closes_at=None, closed_at=None, close_reason="", auto_close=False
            )
            tx.stories.add_event(story_id, "reopened", actor_kind, actor, reason, self.clock())
        return self.get(story_id)

    def schedule_close(
        self, story_id: int, closes_at: datetime | None, actor_kind: ActorKind, actor: str
    ) -> Story:
        with self.storage.write() as tx:
            self._require(tx.stories.get(story_id), story_id)
            tx.stories.update(story_id, closes_at=closes_at, auto_close=False)  # the editor's date now
            when = closes_at.isoformat() if closes_at else "never"
            tx.stories.add_event(story_id, "scheduled", actor_kind, actor, f"closes at {when}", self.clock())
        return self.get(story_id)

    def sweep_auto_close(self) -> tuple[int, int]:
        """Keep automatic closing times right, then close the stories whose time has come.

        Run periodically by the server: stories that existed before a site set (or changed)
        auto_close_days get their closing time too, and those past it are closed by
        ``close_due``. Returns (rescheduled, closed).
        """
        rescheduled = 0
        with self.storage.read() as tx:
            sites = tx.sites.list()
        for site in sites:
            with self.storage.write() as tx:
                for story in tx.stories.open_auto_closing(site.id):
                    expected = self.auto_closes_at(site, story.published_at, story.created_at)
                    if story.closes_at != expected:
                        tx.stories.update(story.id, closes_at=expected)
                        rescheduled += 1
        return rescheduled, self.close_due()

    @staticmethod
    def auto_closes_at(site: Site, published_at: datetime | None, created_at: datetime) -> datetime | None:
        """When a story closes by itself: auto_close_days after publication (or first sight)."""
        days = site.settings.auto_close_days
        return (published_at or created_at) + timedelta(days=days) if days else None

    def list(self, site_id: str | None = None, limit: int = 100, offset: int = 0) -> list[Story]:
        with self.storage.read() as tx:
            return tx.stories.list(site_id, limit, offset)

    def counts(self, site: Site, urls: builtins.list[str]) -> dict[str, int]:
        """Published comment counts for a list of page URLs (section pages); unknown URLs count 0."""
        normalised = {url: normalise(url, site.settings.query_params) for url in urls}
        with self.storage.read() as tx:
            counts = tx.stories.counts(site.id, list(set(normalised.values())))
        return {url: counts.get(n, 0) for url, n in normalised.items()}

    def _article_values(self, site: Site, article: ArticleData, now: datetime) -> dict[str, Any]:
        return {
            "title": article.title,
            "author": article.author,
            "published_at": article.published_at,
            "text": article.text[:MAX_ARTICLE_CHARS],
            "fetched_at": now,
            **self._closing(site, article.published_at, now),
        }

    def _fetch(self, site: Site, url: str) -> ArticleData:
        assert self.fetcher is not None
        if self.fetch_limit is not None and not self.fetch_limit.allow(site.id):
            raise RateLimited("too many new stories at once on this site; please try again in a minute")
        article = self.fetcher.fetch(url)
        if article is None:
            raise NotFound(
                "no article could be read at this address, so it has no comments", code="no_article"
            )
        return article

    def _known_alias(self, tx: Repos, site_id: str, url: str) -> Story | None:
        """The story a non-canonical address was found to belong to (this process remembers)."""
        canonical = self._aliases.get((site_id, url))
        return tx.stories.find(site_id, canonical) if canonical else None

    def _remember_alias(self, site_id: str, url: str, canonical: str) -> None:
        if len(self._aliases) >= MAX_ALIASES:
            self._aliases.clear()  # a bound, not a cache policy: the page is fetched again if needed
        self._aliases[(site_id, url)] = canonical

    def _canonical(self, site: Site, canonical: str | None) -> str | None:
        """The page's canonical URL as a story address, if it is a real one on this site."""
        if not canonical:
            return None
        try:
            return self.story_url(site, canonical)
        except TownhallError:
            return None

    @staticmethod
    def _closing(site: Site, published_at: datetime | None, now: datetime) -> dict[str, Any]:
        closes_at = StoryService.auto_closes_at(site, published_at, now)
        return {"closes_at": closes_at} if closes_at else {}

    @staticmethod
    def _require(story: Story | None, story_id: int) -> Story:
        if story is None:
            raise NotFound("no story {id}", code="unknown_story", params={"id": story_id})
        return story
