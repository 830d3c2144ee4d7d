"""Reading an article from the publisher's own page (only from the site's allowed origins)."""

from __future__ import annotations

import codecs
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urljoin

import trafilatura

from townhall.services.netsafety import Refused, SafeFetcher

log = logging.getLogger(__name__)

MAX_PAGE_BYTES = 3_000_000


@dataclass(frozen=True, slots=True)
class ArticleData:
    title: str
    author: str
    published_at: datetime | None
    text: str
    canonical: str | None = None  # the page's <link rel="canonical">, absolute


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
    """Fetches a story's page from its allowed origin (public addresses only, unless allowed)."""

    def __init__(self, timeout: float = 5.0, allow_networks: Iterable[str] = ()):
        self.timeout = timeout
        self.pages = SafeFetcher(timeout, allow_networks, MAX_PAGE_BYTES)

    def fetch(self, url: str) -> ArticleData | None:
        try:
            page = self.pages.get(url, headers={"User-Agent": "Townhall article reader"})
        except Refused as exc:
            log.warning("did not fetch article %s: %s", url, exc)
            return None
        if page.status != 200 or "html" not in page.content_type:
            log.warning("no article at %s (status %s, %s)", url, page.status, page.content_type)
            return None
        html = page.body.decode(_charset(page.content_type), errors="replace")
        article = extract(html, page.url)
        if article is None:
            return None
        return replace(article, canonical=_canonical(html, page.url))


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            try:
                codecs.lookup(value.strip('"'))
            except LookupError:
                break
            return value.strip('"')
    return "utf-8"


class _CanonicalLink(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        rel = (values.get("rel") or "").lower().split()
        if tag == "link" and "canonical" in rel and self.href is None and values.get("href"):
            self.href = values["href"]


def _canonical(html: str, url: str) -> str | None:
    """The page's own canonical URL (absolute), if it declares one."""
    parser = _CanonicalLink()
    parser.feed(html[:500_000])
    return urljoin(url, parser.href.strip()) if parser.href else None
