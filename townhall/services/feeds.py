"""Atom feeds of published comments, per site and per story (feedgen writes the XML).

Entries carry the comment's sanitised HTML (made once, when the comment was written) as
``type="html"`` content, which feedgen escapes; names and titles go in as text. Ids are tag URIs
on the site's first origin, so they stay the same wherever the feed is served from.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator

from townhall.errors import NotFound
from townhall.models import Comment, Site, Story
from townhall.services.stories import StoryService
from townhall.storage import Storage
from townhall.types import CommentStatus

ENTRIES = 50
# Characters XML 1.0 cannot carry at all (lxml refuses them): dropped from what goes in a feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _tag(site: Site, specific: str) -> str:
    host = urlsplit(site.origins[0]).hostname or "townhall.invalid"
    return f"tag:{host},2026:townhall/{site.id}/{specific}"


class Feeds:
    def __init__(self, storage: Storage, stories: StoryService):
        self.storage = storage
        self.stories = stories

    def site_feed(self, site: Site, self_url: str) -> bytes:
        with self.storage.read() as tx:
            comments = tx.comments.list(site_id=site.id, status=CommentStatus.PUBLISHED, limit=ENTRIES)
            stories = {sid: tx.stories.get(sid) for sid in {c.story_id for c in comments}}
        feed = self._feed(site, _tag(site, "comments"), f"Comments on {site.name}", self_url, site.origins[0])
        for comment in comments:
            story = stories[comment.story_id]
            assert story is not None
            self._entry(feed, site, story, comment, f"{comment.author.name} on “{story.title or story.url}”")
        return self._finish(feed, comments, site.created_at)

    def story_feed(self, site: Site, story: Story, self_url: str) -> bytes:
        if story.site_id != site.id:
            raise NotFound(f"no story {story.id}", code="unknown_story")
        with self.storage.read() as tx:
            comments = tx.comments.list(story_id=story.id, status=CommentStatus.PUBLISHED, limit=ENTRIES)
        title = f"Comments on “{story.title or story.url}” ({site.name})"
        feed = self._feed(site, _tag(site, f"story/{story.id}"), title, self_url, story.url)
        for comment in comments:
            self._entry(feed, site, story, comment, f"{comment.author.name} commented")
        return self._finish(feed, comments, story.created_at)

    def story_by_url(self, site: Site, url: str) -> Story:
        story = self.stories.find(site, url)
        if story is None:
            raise NotFound("no comments on this story yet", code="unknown_story")
        return story

    @staticmethod
    def _feed(site: Site, feed_id: str, title: str, self_url: str, page: str) -> FeedGenerator:
        feed = FeedGenerator()
        feed.id(feed_id)
        feed.title(_xml(title))
        feed.author({"name": _xml(site.name)})
        feed.link(href=self_url, rel="self", type="application/atom+xml")
        feed.link(href=page, rel="alternate", type="text/html")
        feed.generator("Townhall")
        return feed

    @staticmethod
    def _entry(feed: FeedGenerator, site: Site, story: Story, comment: Comment, title: str) -> None:
        entry = feed.add_entry(order="append")
        entry.id(_tag(site, f"comment/{comment.id}"))
        entry.title(_xml(title))
        entry.author({"name": _xml(comment.author.name)})
        entry.link(href=story.url, rel="alternate", type="text/html")
        entry.published(comment.created_at)
        entry.updated(comment.edited_at or comment.created_at)
        entry.content(_xml(comment.html), type="html")

    @staticmethod
    def _finish(feed: FeedGenerator, comments: list[Comment], empty_since: datetime) -> bytes:
        times = [c.edited_at or c.created_at for c in comments]
        feed.updated(max(times) if times else empty_since)
        data: bytes = feed.atom_str(pretty=False)
        return data
