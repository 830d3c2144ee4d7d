"""The read path: story versions and rendered thread pages, kept in memory.

A repeated read touches neither the database nor the renderer: the story's version comes from
a short-lived index (dropped at once when this process changes the story, or when a change from
another process arrives through the live-update broker; otherwise trusted for ``STORY_TTL``
seconds), and the page's JSON and its gzip copy come from a cache keyed by that version.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from starlette.datastructures import Headers
from starlette.responses import Response

from townhall.models import Story

STORY_TTL = 2.0  # seconds another process's change may take to show without Redis

PageKey = tuple[int, int, bool, str, str | None, int | None]


@dataclass(frozen=True, slots=True)
class CachedPage:
    body: bytes
    etag: str
    gzipped: bytes


@dataclass(frozen=True, slots=True)
class StoryEntry:
    story_id: int
    version: int
    closed: bool
    closes_at: datetime | None
    seen: float

    def is_closed(self, now: datetime) -> bool:
        return self.closed or (self.closes_at is not None and now >= self.closes_at)


class ThreadCache:
    def __init__(self, size: int = 2048, story_ttl: float = STORY_TTL):
        self.size = size
        self.story_ttl = story_ttl
        self._pages: OrderedDict[PageKey, CachedPage] = OrderedDict()
        self._stories: dict[tuple[str, str], StoryEntry] = {}
        self._lock = threading.Lock()

    def story(self, site_id: str, url: str) -> StoryEntry | None:
        entry = self._stories.get((site_id, url))
        if entry is None or time.monotonic() - entry.seen > self.story_ttl:
            return None
        return entry

    def remember(self, site_id: str, url: str, story: Story) -> StoryEntry:
        entry = StoryEntry(story.id, story.version, story.closed, story.closes_at, time.monotonic())
        with self._lock:
            if len(self._stories) > 8 * self.size:
                self._stories.clear()
            self._stories[(site_id, url)] = entry
        return entry

    def forget(self, story_ids: Iterable[int]) -> None:
        """Called (from any thread) when these stories changed: their next read asks the database."""
        gone = set(story_ids)
        with self._lock:
            for key in [k for k, entry in self._stories.items() if entry.story_id in gone]:
                del self._stories[key]

    def page(self, key: PageKey) -> CachedPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def render(self, key: PageKey, build: Callable[[], bytes]) -> tuple[CachedPage, bool]:
        """The page for ``key``, and whether it came from the cache (True) or was built now."""
        page = self.page(key)
        if page is not None:
            return page, True
        body = build()
        page = CachedPage(
            body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"', gzip.compress(body, 6)
        )
        with self._lock:
            self._pages[key] = page
            if len(self._pages) > self.size:
                self._pages.popitem(last=False)
        return page, False


def page_key(entry: StoryEntry, now: datetime, sort: str, cursor: str | None, limit: int | None) -> PageKey:
    return (entry.story_id, entry.version, entry.is_closed(now), sort, cursor, limit)


def page_response(page: CachedPage, headers: Headers) -> Response:
    """200 with the page (gzipped when the client takes it) or 304 when the ETag matches."""
    common = {"ETag": page.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if headers.get("if-none-match") == page.etag:
        return Response(status_code=304, headers=common)
    if "gzip" in headers.get("accept-encoding", ""):
        return Response(
            page.gzipped, media_type="application/json", headers={**common, "Content-Encoding": "gzip"}
        )
    return Response(page.body, media_type="application/json", headers=common)
