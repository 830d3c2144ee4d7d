"""A story's article is read from the publisher's page over real HTTP, only from an allowed origin."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from townhall.config import Settings
from townhall.demo.content import load
from townhall.services import build_services
from townhall.services.articles import ArticleFetcher
from townhall.storage import Storage

ARTICLE = load()[0][1]  # the flood barrier story, our own text
PAGE = f"""<!doctype html><html><head><title>{ARTICLE.title}</title>
<meta name="author" content="{ARTICLE.author}">
<meta property="article:published_time" content="{ARTICLE.published.isoformat()}"></head>
<body><nav>Home · News · Sport</nav><article><h1>{ARTICLE.title}</h1>
{"".join(f"<p>{p}</p>" for p in ARTICLE.paragraphs)}</article>
<footer>Reader comments below. Contact the newsroom.</footer></body></html>"""


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/news/flood":
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
        elif self.path == "/moved":
            body = b""
            self.send_response(301)
            self.send_header("Location", "https://elsewhere.example/")
        else:
            body = b"not here"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def news_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_first_sight_of_a_story_reads_its_article(storage: Storage, config: Settings, news_site: str) -> None:
    services = build_services(config, storage, "secret", fetcher=ArticleFetcher(timeout=5))
    site = services.sites.add("ledger", "Ledger", [news_site])
    story = services.stories.resolve(site, f"{news_site}/news/flood#comments")
    assert story.url == f"{news_site}/news/flood"
    assert story.title == ARTICLE.title
    assert story.author == ARTICLE.author
    assert (
        story.published_at is not None and story.published_at.date() == ARTICLE.published.date()
    )  # day precision
    assert "softer clay under the east bank" in story.text
    assert "Contact the newsroom" not in story.text  # the page's furniture is not the article


def test_a_missing_page_or_a_redirect_leaves_the_story_without_text(news_site: str) -> None:
    fetcher = ArticleFetcher(timeout=5)
    assert fetcher.fetch(f"{news_site}/gone") is None
    assert fetcher.fetch(f"{news_site}/moved") is None  # never followed away from the allowed origin
