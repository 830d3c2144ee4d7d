"""Load the sample articles and comments, and put them into a running Townhall."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from townhall.models import Site, Story
from townhall.services import Services
from townhall.services.identity import guest
from townhall.types import ActorKind


@dataclass(frozen=True, slots=True)
class SampleArticle:
    slug: str
    title: str
    author: str
    published: datetime
    closed: bool
    text: str

    @property
    def paragraphs(self) -> list[str]:
        return [" ".join(p.split()) for p in self.text.strip().split("\n\n")]


@dataclass(frozen=True, slots=True)
class SampleComment:
    story: str
    name: str
    body: str
    reply_to: int | None = None


def load() -> tuple[list[SampleArticle], list[SampleComment]]:
    data = tomllib.loads(resources.files(__package__).joinpath("articles.toml").read_text(encoding="utf-8"))
    articles = [
        SampleArticle(
            a["slug"], a["title"], a["author"], datetime.fromisoformat(a["published"]), a["closed"], a["text"]
        )
        for a in data["article"]
    ]
    comments = [SampleComment(c["story"], c["name"], c["body"], c.get("reply_to")) for c in data["comment"]]
    return articles, comments


def article_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/news/{slug}"


CLOSED_REASON = "Comments close a month after a story is published."


def posted_at(published: datetime, index: int, now: datetime) -> datetime:
    """When the story's ``index``-th sample comment was written: spread over the hours after
    publication (35 to 95 minutes apart, varied but the same every run), never in the future."""
    minutes = sum(35 + (17 * k) % 61 for k in range(index + 1))
    return min(published + timedelta(minutes=minutes), now - timedelta(minutes=index + 1))


@contextmanager
def _clock_at(service: Any, when: datetime) -> Iterator[None]:
    """Run one of the services as if it were ``when`` (the demo's history is written in one go)."""
    real = service.clock
    service.clock = lambda: when
    try:
        yield
    finally:
        service.clock = real


def seed(services: Services, site: Site, base_url: str) -> dict[str, Story]:
    """Push the stories with their text, post the comments through moderation, close what is closed."""
    articles, comments = load()
    stories: dict[str, Story] = {}
    for article in articles:
        fields = {
            "title": article.title,
            "author": article.author,
            "published_at": article.published,
            "text": article.text.strip(),
        }
        stories[article.slug] = services.stories.push(
            site, article_url(base_url, article.slug), fields, "demo"
        )
    posted: dict[str, list[int]] = {}
    for sample in comments:
        story = stories[sample.story]
        earlier = posted.setdefault(sample.story, [])
        parent = earlier[sample.reply_to] if sample.reply_to is not None else None
        identity = guest(sample.name, None, f"demo-reader-{sample.name}", services.secret)
        published = story.published_at or services.comments.clock()
        when = posted_at(published, len(earlier), services.comments.clock())
        with _clock_at(services.comments, when):
            result = services.comments.post(site, story.url, sample.body, identity, parent_id=parent)
        earlier.append(result.comment.id)
    for article in articles:
        if article.closed:
            closed = min(article.published + timedelta(days=30), services.stories.clock())
            with _clock_at(services.stories, closed):
                services.stories.close(stories[article.slug].id, ActorKind.SYSTEM, "demo", CLOSED_REASON)
    return stories
