"""What moderation is handed: each comment's context, gathered from storage by the services.

The pipeline reads no storage. For every comment the comment service (and the rescorer, and the
pre-submit check) builds a :class:`ModerationRequest` here: the thread so far, the author's
history, and the site's context — its settings, its recent stories with their latest comments
(the off-topic signal's background, cached for a few minutes), where article representations
are stored, and the site's recent comments for the spam signal (read from the database, so that
every server process sees the same ones).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from townhall.models import Site, Story
from townhall.moderation.signals import trust
from townhall.moderation.verdict import (
    BACKGROUND_COMMENTS,
    BACKGROUND_STORIES,
    THREAD_CONTEXT,
    ModerationRequest,
    SiteContext,
    StoryText,
)
from townhall.services.clock import Clock, utcnow
from townhall.services.recent_comments import StoredRecentComments
from townhall.storage import Storage

REFRESH = timedelta(minutes=5)  # how long a site's story background is reused


def story_text(story: Story, comments: tuple[str, ...] = ()) -> StoryText:
    return StoryText(str(story.id), story.title, story.text, comments)


class StoredRepresentations:
    """Article representations kept with their story (``stories.representation``)."""

    def __init__(self, storage: Storage):
        self.storage = storage

    def load(self, key: str, tag: str) -> bytes | None:
        with self.storage.read() as tx:
            data, version = tx.stories.representation(int(key))
        return data if data is not None and version == tag else None

    def store(self, key: str, tag: str, data: bytes) -> None:
        with self.storage.write() as tx:
            tx.stories.set_representation(int(key), data, tag)


class ModerationContexts:
    """Builds moderation requests from storage; one per process, shared by the services."""

    def __init__(self, storage: Storage, clock: Clock = utcnow, refresh: timedelta = REFRESH):
        self.storage = storage
        self.clock = clock
        self.refresh = refresh
        self.representations = StoredRepresentations(storage)
        self._sites: dict[str, tuple[datetime, SiteContext]] = {}
        self._lock = threading.Lock()

    def site(self, site: Site) -> SiteContext:
        """The site's context, rebuilt when its settings change or its background is old."""
        now = self.clock()
        with self._lock:
            cached = self._sites.get(site.id)
        if cached is not None:
            built_at, context = cached
            fresh = now - built_at < self.refresh
            if fresh and context.settings == site.settings and tuple(context.origins) == site.origins:
                return context
        with self.storage.read() as tx:
            recent = [s for s in tx.stories.list(site.id, limit=BACKGROUND_STORIES) if s.title or s.text]
            samples = tuple(
                story_text(s, tuple(tx.comments.thread_texts(s.id, None, BACKGROUND_COMMENTS)))
                for s in recent
            )
            latest = tx.calibrations.history(site.id, 1)
        head = latest[0]["head"] if latest and latest[0]["kind"] == "calibrate" else None
        context = SiteContext(
            id=site.id,
            settings=site.settings,
            origins=site.origins,
            stories=samples,
            representations=self.representations,
            recent=StoredRecentComments(self.storage, site.id, self.clock),
            calibration={"head": head} if head else None,
        )
        with self._lock:
            self._sites[site.id] = (now, context)
        return context

    def rehearsals(self, site: Site, stories: int, text: str) -> list[ModerationRequest]:
        """``text`` as a comment under each of the site's ``stories`` most recently commented
        stories, with its thread so far: run before the server says ready, they leave in memory
        what each story's first real comment would otherwise wait for (its article
        representation, its thread's comments encoded)."""
        context = self.site(site)
        now = self.clock()
        with self.storage.read() as tx:
            found = [tx.stories.get(i) for i in tx.comments.active_stories(site.id, stories)]
            threads = [(s, tx.comments.thread_texts(s.id, None, THREAD_CONTEXT)) for s in found if s]
        return [
            ModerationRequest(
                site=context, story=story_text(s), text=text, now=now, name="Reader", thread=tuple(t)
            )
            for s, t in threads
        ]

    def forget(self, site_id: str) -> None:
        """Rebuild the site's context on its next comment (its calibration changed)."""
        with self._lock:
            self._sites.pop(site_id, None)

    def request(
        self,
        site: Site,
        story: Story,
        text: str,
        now: datetime,
        *,
        name: str | None = None,
        parent_text: str | None = None,
        author_id: int | None = None,
        author_key: str | None = None,
        network_key: str | None = None,
        honeypot: str | None = None,
        comment_id: int | None = None,
    ) -> ModerationRequest:
        """One comment in its context: the thread before it and its author's recent history."""
        since = now - timedelta(days=trust.RECENT_DAYS)
        with self.storage.read() as tx:
            thread = tx.comments.thread_texts(story.id, comment_id, THREAD_CONTEXT)
            history = tx.authors.history(author_id, since) if author_id is not None else None
        return ModerationRequest(
            site=self.site(site),
            story=story_text(story),
            text=text,
            now=now,
            name=name,
            parent_text=parent_text,
            thread=tuple(thread),
            history=history,
            author_key=author_key,
            network_key=network_key,
            honeypot=honeypot,
            comment_id=str(comment_id) if comment_id is not None else None,
        )
