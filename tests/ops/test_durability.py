"""Durability and races on the real server, SQLite and PostgreSQL.

kill -9 under concurrent posts: every comment the server acknowledged (201) is there after a
restart, served to its author with its edit token. And a burst of first posts to one new story
creates one story and gets no 5xx.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests import servers
from tests.conftest import ORIGIN, _truncate
from townhall.storage import Storage

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

ENV = {
    "TOWNHALL_SECRET_KEY": "durability-secret",
    "TOWNHALL_MODERATION_ENABLED": "false",
    "TOWNHALL_FETCH_ARTICLES": "false",
    "TOWNHALL_WRITE_RATE_LIMIT": "0",
    "TOWNHALL_LOG_LEVEL": "warning",
}
WRITERS = 8
ACKNOWLEDGED = 60  # posts to see acknowledged before the kill (the writers keep going meanwhile)
MAX_LOAD_SECONDS = 90.0


def _prepared(url: str) -> str:
    storage = Storage(url)
    if url.startswith("sqlite"):
        storage.migrate()
    else:
        _truncate(storage)
    storage.close()
    subprocess.run(
        [sys.executable, "-m", "townhall", "--database-url", url, "site", "add", "ledger",
         "--name", "The Ledger", "--origin", ORIGIN],
        check=True, capture_output=True, env={**os.environ, **ENV},
    )  # fmt: skip
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return _prepared(f"sqlite:///{tmp_path / 'durable.sqlite3'}")
    return _prepared(request.getfixturevalue("postgres_url"))


@contextlib.contextmanager
def server(database: str, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`townhall serve` as a process the test can kill -9 (it is gone when this ends either way)."""
    port = servers.free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "townhall", "--database-url", database, "serve", "--port", str(port)],
            stdout=output, stderr=subprocess.STDOUT, env={**os.environ, **ENV},
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_acknowledged_comments_survive_kill_9(database: str, tmp_path: Path) -> None:
    acknowledged: list[tuple[int, str, str]] = []  # (id, body, edit token)
    server_errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    log = tmp_path / "server.log"

    def write(writer: int, url: str) -> None:
        with httpx.Client(base_url=url, timeout=10) as client:
            n = 0
            while not stop.is_set():
                n += 1
                body = f"Writer {writer}, comment {n}: {uuid.uuid4().hex}"
                story = f"{ORIGIN}/story-{(writer + n) % 5}"  # a few stories, new ones among them
                data = {"site": "ledger", "url": story, "body": body, "author_name": f"Writer {writer}"}
                reader = {"X-Townhall-Reader": f"durable-reader-{writer:04d}"}
                try:
                    response = client.post("/api/v1/comments", json=data, headers=reader)
                except httpx.HTTPError:
                    return  # the server is gone: this post was never acknowledged
                if response.status_code >= 500:
                    with lock:
                        server_errors.append(response.text)
                elif response.status_code == 201:
                    answer = response.json()
                    with lock:
                        acknowledged.append((answer["comment"]["id"], body, answer["edit_token"]))

    with server(database, log) as (url, process):
        writers = [threading.Thread(target=write, args=(w, url)) for w in range(WRITERS)]
        for thread in writers:
            thread.start()
        began = time.monotonic()
        deadline = began + MAX_LOAD_SECONDS
        while len(acknowledged) < ACKNOWLEDGED and time.monotonic() < deadline and not server_errors:
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)  # mid-write, with posts in flight
        loaded = time.monotonic() - began
        process.wait(10)
        stop.set()
        for thread in writers:
            thread.join(15)
    assert not server_errors, server_errors[:3]
    assert len(acknowledged) >= ACKNOWLEDGED, f"only {len(acknowledged)} posts acknowledged before the kill"

    lost = []
    with server(database, log) as (url, _process), httpx.Client(base_url=url, timeout=10) as client:
        for comment_id, body, token in acknowledged:
            own = client.get(f"/api/v1/comments/{comment_id}", headers={"X-Townhall-Edit-Token": token})
            if own.status_code != 200 or own.json()["comment"]["body"] != body:
                lost.append((comment_id, own.status_code))
    backend = database.split(":")[0]
    print(
        f"\nkill -9 on {backend} after {loaded:.1f} s of {WRITERS} writers: {len(acknowledged)} posts "
        f"acknowledged, {len(lost)} lost after restart"
    )
    assert not lost, lost[:5]


class _Newsroom(BaseHTTPRequestHandler):
    """The publisher's site: any /news/… page is an article, served a little slowly (fetches overlap)."""

    def do_GET(self) -> None:
        time.sleep(0.3)
        title = self.path.rsplit("/", 1)[-1]
        paragraphs = "".join(
            f"<p>Paragraph {n} of the report on {title}, with enough words.</p>" for n in range(6)
        )
        head = f"<html><head><title>{title}</title></head>"
        body = f"{head}<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def newsroom() -> Iterator[str]:
    site = ThreadingHTTPServer(("127.0.0.1", 0), _Newsroom)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{site.server_address[1]}"
    site.shutdown()


def test_concurrent_first_posts_to_a_new_story(database: str, tmp_path: Path) -> None:
    first_posts_burst(database, tmp_path, None)


def test_concurrent_first_posts_while_the_article_is_fetched(
    postgres_url: str, tmp_path: Path, newsroom: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same with article fetching on (PostgreSQL, where several processes would race): each
    request that finds no story reads the page, slowly, and then all try to create it."""
    local = {"TOWNHALL_FETCH_ARTICLES": "true", "TOWNHALL_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
             "TOWNHALL_ALLOW_PRIVATE_ORIGINS": "true", "TOWNHALL_FETCH_RATE_LIMIT": "0"}  # fmt: skip
    for name, value in local.items():
        monkeypatch.setitem(ENV, name, value)
    first_posts_burst(_prepared(postgres_url), tmp_path, newsroom)


def first_posts_burst(database: str, tmp_path: Path, newsroom: str | None) -> None:
    """16 readers post the first comments to one new story at once: no 5xx, one story, 16 comments."""
    burst = 16
    origin, site = ORIGIN, "ledger"
    if newsroom is not None:
        origin, site = newsroom, "newsroom"
        subprocess.run(
            [sys.executable, "-m", "townhall", "--database-url", database, "site", "add", site,
             "--name", "Newsroom", "--origin", origin],
            check=True, capture_output=True, env={**os.environ, **ENV},
        )  # fmt: skip
    story = f"{origin}/news/breaking-{uuid.uuid4().hex[:8]}"
    start = threading.Barrier(burst)
    statuses: list[int] = []
    bodies: list[str] = []

    def first_post(n: int, url: str) -> None:
        data = {"site": site, "url": story, "body": f"First! says reader {n}", "author_name": f"R{n}"}
        with httpx.Client(base_url=url, timeout=30) as client:
            start.wait()
            response = client.post("/api/v1/comments", json=data,
                                   headers={"X-Townhall-Reader": f"first-reader-{n:06d}"})  # fmt: skip
        statuses.append(response.status_code)
        bodies.append(response.text)

    with server(database, tmp_path / "server.log") as (url, _process):
        threads = [threading.Thread(target=first_post, args=(n, url)) for n in range(burst)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        thread_page = httpx.get(url + "/api/v1/threads", params={"site": site, "url": story}).json()
    assert len(statuses) == burst
    assert all(status < 500 for status in statuses), [
        b for s, b in zip(statuses, bodies, strict=True) if s >= 500
    ]
    assert statuses.count(201) == burst, (statuses, bodies[:2])  # one story, every reader's comment in it
    assert thread_page["total"] == burst
    storage = Storage(database)
    try:
        with storage.read() as tx:
            assert len([s for s in tx.stories.list(site, 100, 0) if s.url == story]) == 1
    finally:
        storage.close()
