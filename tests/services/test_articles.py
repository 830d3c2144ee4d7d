"""A story's article is read from the publisher's page over real HTTP, only from an allowed origin,
only from public addresses unless the operator allows a network, and a story exists only when
its article could be read (or was pushed)."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from townhall.config import Settings
from townhall.demo.content import load
from townhall.errors import NotFound, RateLimited
from townhall.services import build_services
from townhall.services.articles import ArticleFetcher
from townhall.services.counters import SlidingWindow
from townhall.services.netsafety import Refused, SafeFetcher, allowed_address, networks, target
from townhall.storage import Storage

ARTICLE = load()[0][1]  # the flood barrier story, our own text
PAGE = f"""<!doctype html><html><head><title>{ARTICLE.title}</title>
<meta name="author" content="{ARTICLE.author}">
<meta property="article:published_time" content="{ARTICLE.published.isoformat()}"></head>
<body><nav>Home · News · Sport</nav><article><h1>{ARTICLE.title}</h1>
{"".join(f"<p>{p}</p>" for p in ARTICLE.paragraphs)}</article>
<footer>Reader comments below. Contact the newsroom.</footer></body></html>"""


LOOPBACK = ["127.0.0.0/8"]
AMP = PAGE.replace("<head>", '<head><link rel="canonical" href="/news/flood">')
ELSEWHERE = PAGE.replace("<head>", '<head><link rel="canonical" href="https://elsewhere.example/flood">')


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        pages = {"/news/flood": PAGE, "/amp/flood": AMP, "/copy/flood": ELSEWHERE, "/huge": "x" * 100_000}
        path = self.path.split("?", 1)[0]
        if path in pages:
            body = pages[path].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
        elif path in ("/moved", "/old-flood"):
            body = b""
            self.send_response(301)
            where = "https://elsewhere.example/" if path == "/moved" else "/news/flood"
            self.send_header("Location", where)
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


def _services(storage: Storage, config: Settings, allow: list[str] | None = LOOPBACK, **settings: object):
    config = config.model_copy(update=settings)
    return build_services(config, storage, "secret", fetcher=ArticleFetcher(5, allow or ()))


def test_first_sight_of_a_story_reads_its_article(storage: Storage, config: Settings, news_site: str) -> None:
    services = _services(storage, config)
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


def test_a_missing_page_or_a_redirect_off_the_origin_is_no_article(news_site: str) -> None:
    fetcher = ArticleFetcher(timeout=5, allow_networks=LOOPBACK)
    assert fetcher.fetch(f"{news_site}/gone") is None
    assert fetcher.fetch(f"{news_site}/moved") is None  # never followed away from the allowed origin
    followed = fetcher.fetch(f"{news_site}/old-flood")  # a redirect within the origin is followed
    assert followed is not None and followed.title == ARTICLE.title


def test_pages_are_read_only_up_to_the_cap(news_site: str) -> None:
    with pytest.raises(Refused, match="larger"):
        SafeFetcher(5, LOOPBACK, max_bytes=10_000).get(f"{news_site}/huge")


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared (carrier-grade NAT)
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd00:ec2::254",  # a cloud's IPv6 metadata address
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
        "ff02::1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not allowed_address(ipaddress.ip_address(address))


def test_public_addresses_pass_and_a_listed_network_is_allowed() -> None:
    assert allowed_address(ipaddress.ip_address("93.184.215.14"))
    assert allowed_address(ipaddress.ip_address("2a00:1450:4001:82b::200e"))
    allow = (ipaddress.ip_network("127.0.0.0/8"),)
    assert allowed_address(ipaddress.ip_address("127.0.0.1"), allow)
    assert not allowed_address(ipaddress.ip_address("10.0.0.1"), allow)


def test_a_name_that_resolves_to_a_non_public_address_is_refused() -> None:
    for host in (
        "localhost",
        "[::1]",
        "127.0.0.1",
        "169.254.169.254",
        "[fd00:ec2::254]",
        "[::ffff:10.0.0.1]",
    ):
        with pytest.raises(Refused, match="loopback or private"):
            target(f"http://{host}/news")
    assert target("http://localhost/news", networks(LOOPBACK)).addresses == (
        ipaddress.ip_address("127.0.0.1"),
    )


def test_an_origin_on_loopback_is_never_fetched_nor_published_unless_allowed(
    storage: Storage, config: Settings, news_site: str
) -> None:
    services = _services(storage, config, allow=None)
    site = services.sites.add(
        "ledger", "Ledger", [news_site, "http://localhost:" + news_site.rsplit(":", 1)[1]]
    )
    for url in (f"{news_site}/news/flood", news_site.replace("127.0.0.1", "localhost") + "/news/flood"):
        with pytest.raises(NotFound) as refused:
            services.stories.resolve(site, url)
        assert refused.value.code == "no_article"
    assert services.stories.list() == []


def test_stories_exist_only_for_real_articles_under_one_address(
    storage: Storage, config: Settings, news_site: str
) -> None:
    services = _services(storage, config)
    site = services.sites.add("ledger", "Ledger", [news_site])
    with pytest.raises(NotFound):
        services.stories.resolve(site, f"{news_site}/junk-1")
    first = services.stories.resolve(site, f"{news_site}/news/flood?page=2&utm_source=x")
    assert first.url == f"{news_site}/news/flood"  # query strings dropped unless the site lists them
    # A page whose canonical URL names another address on the site is that story, and the
    # address is remembered: asking again fetches nothing (the rate limit would show it).
    assert services.stories.resolve(site, f"{news_site}/amp/flood").id == first.id
    services.stories.fetch_limit = SlidingWindow(services.counters, "none-left", 1)
    assert services.stories.fetch_limit.allow(site.id)  # the one fetch this limit allows, used up
    assert services.stories.resolve(site, f"{news_site}/amp/flood").id == first.id
    services.stories.fetch_limit = None
    # A canonical URL on another origin is ignored: the story stays where it was read.
    copy = services.stories.resolve(site, f"{news_site}/copy/flood")
    assert copy.url == f"{news_site}/copy/flood" and copy.id != first.id
    assert len(services.stories.list()) == 2


def test_a_site_keeps_the_query_parameters_it_lists(
    storage: Storage, config: Settings, news_site: str
) -> None:
    services = _services(storage, config)
    site = services.sites.add("ledger", "Ledger", [news_site])
    site = services.sites.update_settings(site.id, {"query_params": ["p"]})
    one = services.stories.resolve(site, f"{news_site}/news/flood?p=1&page=3")
    two = services.stories.resolve(site, f"{news_site}/news/flood?p=2")
    assert (one.url, two.url) == (f"{news_site}/news/flood?p=1", f"{news_site}/news/flood?p=2")


def test_page_fetches_are_rate_limited_per_site(storage: Storage, config: Settings, news_site: str) -> None:
    services = _services(storage, config, fetch_rate_limit=3)
    site = services.sites.add("ledger", "Ledger", [news_site])
    outcomes = []
    for i in range(6):
        try:
            services.stories.resolve(site, f"{news_site}/junk-{i}")
        except NotFound:
            outcomes.append("no article")
        except RateLimited:
            outcomes.append("limited")
    assert outcomes == ["no article"] * 3 + ["limited"] * 3
