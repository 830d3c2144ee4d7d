"""The write rate limit gives the same answer with one server process or two (real processes).

Thirty comments from one address against a limit of 20 a minute: 20 pass, whether they go to
one process on SQLite, or alternate between two processes on PostgreSQL (counted in the
database) or on PostgreSQL + Redis (counted in Redis), one after another or all at once.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests import servers
from tests.conftest import _truncate
from townhall.config import load
from townhall.services import build_services
from townhall.services.identity import guest
from townhall.storage import Storage

ORIGIN = "https://news.example"
LIMIT = 20
ATTEMPTS = 30
STORY = f"{ORIGIN}/limits/story"


def _site(database_url: str) -> None:
    storage = Storage(database_url)
    if storage.backend == "sqlite":
        storage.migrate()
    else:
        _truncate(storage)
    config = load(
        overrides={"database_url": database_url, "fetch_articles": False, "moderation_enabled": False}
    )
    services = build_services(config, storage, "setup")
    site = services.sites.ensure("ledger", "The Ledger", [ORIGIN])
    # The story and its author exist before the burst (concurrent first posts are another test's).
    services.comments.post(site, STORY, "Warming up.", guest("Ana", None, None, "setup"))
    storage.close()


@contextlib.contextmanager
def _processes(count: int, database_url: str, redis_url: str = "") -> Iterator[list[str]]:
    env = {
        "TOWNHALL_DATABASE_URL": database_url,
        "TOWNHALL_REDIS_URL": redis_url,
        "TOWNHALL_SECRET_KEY": secrets.token_hex(16),  # fresh keys: no counts from another test
        "TOWNHALL_FETCH_ARTICLES": "false",
        "TOWNHALL_MODERATION_ENABLED": "false",
        "TOWNHALL_WRITE_RATE_LIMIT": str(LIMIT),
        # Each burst comes from its own reader address, forwarded by the "proxy" on 127.0.0.1.
        "TOWNHALL_TRUSTED_PROXIES": "127.0.0.1",
    }
    with contextlib.ExitStack() as stack:
        urls = []
        for _ in range(count):
            port = servers.free_port()
            urls.append(stack.enter_context(servers.townhall(["serve", "--port", str(port)], port, env)))
        yield urls


def _post(url: str, i: int, address: str) -> int:
    body = {
        "site": "ledger",
        "url": STORY,
        "body": f"Comment number {i}",
        "author_name": "Ana",
    }
    headers = {"X-Forwarded-For": address}
    response = httpx.post(f"{url}/api/v1/comments", json=body, headers=headers, timeout=30)
    assert response.status_code in (201, 429), response.text
    return response.status_code


def _burst(urls: list[str], address: str, parallel: bool) -> int:
    servers.early_in_a_minute()
    targets = [(urls[i % len(urls)], i, address) for i in range(ATTEMPTS)]
    if parallel:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda target: _post(*target), targets))
    else:
        answers = [_post(*target) for target in targets]
    assert answers.count(429) == ATTEMPTS - answers.count(201)
    return answers.count(201)


def _both_bursts(urls: list[str]) -> None:
    """One after another, then all at once (8 at a time), each from a fresh address."""
    assert _burst(urls, "192.0.2.1", parallel=False) == LIMIT
    assert _burst(urls, "192.0.2.2", parallel=True) == LIMIT


def test_one_process_on_sqlite(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'townhall.sqlite3'}"
    _site(database)
    with _processes(1, database) as urls:
        _both_bursts(urls)


def test_two_processes_counting_in_postgresql(postgres_url: str) -> None:
    _site(postgres_url)
    with _processes(2, postgres_url) as urls:
        _both_bursts(urls)


def test_two_processes_counting_in_redis(postgres_url: str, redis_url: str) -> None:
    _site(postgres_url)
    with _processes(2, postgres_url, redis_url) as urls:
        _both_bursts(urls)
