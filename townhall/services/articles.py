"""Reading an article from the publisher's own page (only from the site's allowed origins)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import trafilatura

log = logging.getLogger(__name__)

MAX_PAGE_BYTES = 3_000_000


@dataclass(frozen=True, slots=True)
class ArticleData:
    title: str
    author: str
    published_at: datetime | None
    text: str


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def extract(html: str, url: str) -> ArticleData | None:
    """Title, author, date and body text of the article in a page; None when none is found."""
    extracted = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if extracted is None:
        return None
    document = extracted if isinstance(extracted, dict) else extracted.as_dict()
    return ArticleData(
        title=str(document.get("title") or "").strip()[:500],
        author=str(document.get("author") or "").strip()[:200],
        published_at=_parse_date(document.get("date")),
        text=str(document.get("text") or "").strip(),
    )


class ArticleFetcher:
    """Fetches a story's page once, when the story is first seen."""

    def __init__(self, timeout: float = 5.0):
        self.timeout = timeout

    def fetch(self, url: str) -> ArticleData | None:
        # No redirects: a redirect could lead away from the allowed origin.
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
                response = client.get(url, headers={"User-Agent": "Townhall article reader"})
        except httpx.HTTPError as exc:
            log.warning("could not fetch article %s: %s", url, exc)
            return None
        content_type = response.headers.get("content-type", "")
        if (
            response.status_code != 200
            or "html" not in content_type
            or len(response.content) > MAX_PAGE_BYTES
        ):
            log.warning("no article at %s (status %s, %s)", url, response.status_code, content_type)
            return None
        return extract(response.text, url)
