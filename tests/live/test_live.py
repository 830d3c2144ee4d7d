"""Live updates: one process (memory broker) and two processes relayed through a real Redis."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests import servers
from tests.conftest import ORIGIN
from townhall.config import load
from townhall.live import MemoryBroker
from townhall.services import build_services
from townhall.storage import Storage


def test_memory_broker_delivers_a_publish_from_another_thread() -> None:
    async def scenario() -> int:
        broker = MemoryBroker()
        await broker.start()
        async with broker.listen(7) as queue:
            threading.Thread(target=broker.publish, args=([7, 8],)).start()
            story_id = await asyncio.wait_for(queue.get(), timeout=5)
        assert broker.listener_count() == 0
        await broker.stop()
        return story_id

    # Its own thread: Playwright's sync API may have an event loop running on this one.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(lambda: asyncio.run(scenario())).result(timeout=10) == 7


def test_storage_reports_changed_stories_only_after_commit(sqlite_storage: Storage) -> None:
    seen: list[set[int]] = []
    sqlite_storage.on_change(seen.append)
    config = load(
        overrides={"database_url": sqlite_storage.url, "fetch_articles": False, "moderation_enabled": False}
    )
    services = build_services(config, sqlite_storage, "secret")
    site = services.sites.add("ledger", "Ledger", [ORIGIN])
    assert seen == []  # adding a site touches no thread
    story = services.stories.resolve(site, f"{ORIGIN}/a")
    with pytest.raises(RuntimeError), sqlite_storage.write() as tx:
        tx.stories.touch(story.id)
        raise RuntimeError("rolled back")
    assert seen == []
    with sqlite_storage.write() as tx:
        tx.stories.touch(story.id)
    assert seen == [{story.id}]


def _wait_for_event(url: str, post: Callable[[], None], timeout: float = 15.0) -> str:
    with httpx.Client(timeout=timeout) as client, client.stream("GET", url) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines).startswith("retry:")
        post()
        deadline = time.monotonic() + timeout
        for line in lines:
            if line.startswith("event:"):
                return line
            assert time.monotonic() < deadline
    raise AssertionError("stream ended without an event")


def test_a_comment_posted_on_one_process_reaches_readers_on_another(
    postgres_url: str, redis_url: str
) -> None:
    storage = Storage(postgres_url)
    config = load(
        overrides={"database_url": postgres_url, "fetch_articles": False, "moderation_enabled": False}
    )
    services = build_services(config, storage, "secret")
    origin = "http://127.0.0.1:9"
    services.sites.ensure("live", "Live", [origin])
    story_url = f"{origin}/news/live-story"
    env = {
        "TOWNHALL_DATABASE_URL": postgres_url,
        "TOWNHALL_REDIS_URL": redis_url,
        "TOWNHALL_SECRET_KEY": "shared-secret",
        "TOWNHALL_FETCH_ARTICLES": "false",
        "TOWNHALL_MODERATION_ENABLED": "false",
    }
    port_a, port_b = servers.free_port(), servers.free_port()
    with (
        servers.townhall(["serve", "--port", str(port_a)], port_a, env) as server_a,
        servers.townhall(["serve", "--port", str(port_b)], port_b, env) as server_b,
    ):
        # Reading the thread creates the story; then listen on B and post through A.
        httpx.get(f"{server_b}/api/v1/threads", params={"site": "live", "url": story_url}).raise_for_status()

        def post() -> None:
            body = {"site": "live", "url": story_url, "body": "Posted through A.", "author_name": "Ana"}
            httpx.post(f"{server_a}/api/v1/comments", json=body).raise_for_status()

        live_url = f"{server_b}/api/v1/threads/live?site=live&url={story_url}"
        assert _wait_for_event(live_url, post) == "event: changed"
    storage.close()
