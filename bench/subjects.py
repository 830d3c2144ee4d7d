"""The servers bench/run.py measures: nginx (static ceiling and the news site), Townhall, Isso.

Each runs from a fresh temporary directory on a free loopback port; PostgreSQL comes from the
tests' helper (tests/servers.py), started with its durability settings as installed.
"""

from __future__ import annotations

import json
import os
import random
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import Process, find_tool, http, run_checked

SITE = "bench"
STORY_PATH = "/2024/06/harbour-bridge-vote"  # the 100-comment story every read fetches
POSTS_PATH = "/2024/06/bench-posts"  # posts go to another story, so the read thread stays 100
SEED_COMMENTS = 100
READY_TIMEOUT = 60.0  # seconds a server may take to answer its first request
MODERATED_READY_TIMEOUT = 300.0  # loading and warming the models takes longer
# PostgreSQL as a package installs it: the tests' cluster turns fsync off, a benchmark should not.
POSTGRES_SETTINGS = {"fsync": "on", "full_page_writes": "on"}

WORDS = " ".join(
    [
        "the council voted on the harbour bridge budget after a long meeting about traffic housing and",
        "the new transit plan residents asked why the school repairs were delayed again while the mayor",
        "said the report would be published next week and the zoning changes need another public hearing",
        "before anyone can say what it costs the city water energy and parks departments",
    ]
).split(" ")


# --------------------------------------------------------------------------- seed data


@dataclass(frozen=True)
class SeedComment:
    author: str
    text: str
    parent: int | None  # index into the seed list


def seed_comments(count: int = SEED_COMMENTS) -> list[SeedComment]:
    """The same 100 comments every run: 40 top-level, 60 replies up to 3 deep, Markdown."""
    rng = random.Random(20240611)  # noqa: S311 - reproducible text, not security
    comments: list[SeedComment] = []
    for i in range(count):
        sentences = []
        for _ in range(rng.randint(2, 5)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
            sentences.append(" ".join(words).capitalize() + ".")
        if i % 7 == 3:
            sentences[0] = "*" + sentences[0] + "*"
        if i % 11 == 5:
            sentences.append("See [the minutes](https://news.example/minutes).")
        text = " ".join(sentences)
        if i % 9 == 4:
            text += "\n\n> " + " ".join(rng.choice(WORDS) for _ in range(10))
        # Pattern per five: top, reply, reply-to-reply, reply to the top, top.
        parent = {0: None, 1: i - 1, 2: i - 1, 3: i - 3, 4: None}[i % 5]
        comments.append(SeedComment(author=f"Reader {i % 37}", text=text, parent=parent))
    return comments


def count_nested(comments: list[dict[str, Any]], key: str = "replies") -> int:
    return sum(1 + count_nested(c.get(key) or [], key) for c in comments)


def forwarded_for(n: int) -> str:
    """A distinct client address per post (RFC 2544's benchmarking range, in a header only), so
    the per-address write limit runs on every post and never trips."""
    return f"198.{18 + (n >> 16) % 2}.{(n >> 8) % 256}.{n % 256}"


def comment_text(n: int, rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 90))
    return f"Comment {n}: " + " ".join(words).capitalize() + "."


# --------------------------------------------------------------------------- nginx


def start_nginx(root: Path, port: int) -> Process:
    """nginx with a generated config: worker_processes auto, access_log off, daemon off."""
    www = root / "www"
    (root / "logs").mkdir(parents=True, exist_ok=True)
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must read files under a 0700 temp dir
    conf = f"""{user}worker_processes auto;
daemon off;
pid {root}/nginx.pid;
error_log {root}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 65;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    types {{ application/json json; text/html html; }}
    default_type text/html;
    server {{
        listen 127.0.0.1:{port};
        root {www};
        location = /thread.json {{ default_type application/json; }}
        location / {{ try_files $uri $uri.html =404; }}
    }}
}}
"""
    (root / "nginx.conf").write_text(conf, encoding="utf-8")
    nginx = find_tool("nginx") or "nginx"
    return Process(
        "nginx", [nginx, "-c", str(root / "nginx.conf"), "-p", str(root)], root / "logs" / "stdout.log"
    )


def write_site(www: Path) -> None:
    """The 'news site' page whose origin the comment servers allow."""
    page = www / (STORY_PATH.lstrip("/") + ".html")
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(
        "<!doctype html><title>Harbour bridge vote</title><h1>Harbour bridge vote</h1>"
        "<p>The council voted on the harbour bridge budget.</p>",
        encoding="utf-8",
    )


# --------------------------------------------------------------------------- Townhall


class Townhall:
    """`python -m townhall` over one database (SQLite in ``work`` unless ``database_url`` says)."""

    def __init__(self, work: Path, origin: str, database_url: str = ""):
        self.work = work
        self.origin = origin
        self.database_url = database_url or f"sqlite:///{work / 'townhall.sqlite3'}"
        self.env = {
            "TOWNHALL_FETCH_ARTICLES": "false",
            "TOWNHALL_SECRET_KEY": "bench-" + os.urandom(16).hex(),
            "TOWNHALL_LOG_LEVEL": "warning",
            "TOWNHALL_MODERATION_ENABLED": "false",
            # Posts come from one address; each says it forwards another (see forwarded_for).
            "TOWNHALL_TRUSTED_PROXIES": "127.0.0.1",
        }
        self.starts = 0

    def cli(self, *args: str) -> str:
        return run_checked(
            [sys.executable, "-m", "townhall", "--database-url", self.database_url, *args], self.env
        )

    def prepare(self) -> None:
        self.cli("migrate")
        self.cli("site", "add", SITE, "--name", "Bench", "--origin", self.origin)

    def start(self, port: int, workers: int, moderation: bool) -> Process:
        """A fresh server; returns once /readyz says 200 (models loaded and warm)."""
        argv = [sys.executable, "-m", "townhall", "--database-url", self.database_url, "serve"]
        argv += ["--port", str(port), "--workers", str(workers)]
        env = {**self.env, "TOWNHALL_MODERATION_ENABLED": "true" if moderation else "false"}
        self.starts += 1
        name = f"townhall-{self.starts}-w{workers}{'-moderated' if moderation else ''}"
        process = Process(name, argv, self.work / f"{name}.log", env)
        timeout = MODERATED_READY_TIMEOUT if moderation else READY_TIMEOUT
        try:
            seconds = process.wait_ready(f"http://127.0.0.1:{port}/readyz", timeout, strict=True)
        except BaseException:
            process.stop()
            raise
        print(f"  {name}: ready after {seconds:.1f} s", flush=True)
        return process

    @staticmethod
    def thread_path(story_url: str) -> str:
        query = urllib.parse.urlencode({"site": SITE, "url": story_url, "limit": SEED_COMMENTS})
        return f"/api/v1/threads?{query}"

    def post_body(self, story_url: str, text: str, author: str) -> dict[str, Any]:
        return {"site": SITE, "url": story_url, "body": text, "author_name": author}

    def post_headers(self, n: int) -> dict[str, str]:
        return {
            "Origin": self.origin,
            "X-Forwarded-For": forwarded_for(n),
            "Content-Type": "application/json",
        }

    def seed(self, base: str, story_url: str, comments: list[SeedComment], first_n: int = 0) -> None:
        """Post the comments; every one must be published (the server runs without models)."""
        ids: list[int] = []
        for i, seed in enumerate(comments):
            body = self.post_body(story_url, seed.text, seed.author)
            if seed.parent is not None:
                body["parent_id"] = ids[seed.parent]
            status, raw = http("POST", base + "/api/v1/comments", body, self.post_headers(first_n + i))
            if status != 201:
                raise RuntimeError(f"Townhall seed comment {i}: HTTP {status} {raw[:300]!r}")
            reply = json.loads(raw)
            if reply["status"] != "published":
                raise RuntimeError(f"Townhall seed comment {i} was not published: {reply['status']}")
            ids.append(int(reply["comment"]["id"]))

    def wrk_post_env(self, story_url: str) -> dict[str, str]:
        """What bench/wrk.lua needs to build Townhall posts."""
        return {
            "BENCH_POST": "townhall",
            "BENCH_PATH": "/api/v1/comments",
            "BENCH_SITE": SITE,
            "BENCH_URL": story_url,
            "BENCH_ORIGIN": self.origin,
        }


# --------------------------------------------------------------------------- Isso


class Isso:
    """Isso under gunicorn (sync workers, ``--preload``), SQLite, its guard and moderation off."""

    def __init__(self, work: Path, origin: str):
        self.work = work
        self.origin = origin
        self.config = work / "isso.cfg"

    def write_config(self) -> None:
        # Isso's defaults except: our database, the news site's origin, no guard (its rate limit
        # is 2 comments a minute per address), no moderation queue.
        self.config.write_text(
            f"""[general]
dbpath = {self.work / "isso.sqlite3"}
host = {self.origin}
notify = stdout
gravatar = false

[moderation]
enabled = false

[server]
listen = http://127.0.0.1:0/

[guard]
enabled = false
ratelimit = 1000000
direct-reply = 1000000
reply-to-self = true
""",
            encoding="utf-8",
        )

    def start(self, port: int, workers: int) -> Process:
        argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
        argv += ["--preload", "--log-level", "warning", "--timeout", "120", "isso.run:application"]
        env = {"ISSO_SETTINGS": str(self.config)}
        process = Process(f"isso-w{workers}", argv, self.work / "isso.log", env)
        try:
            process.wait_ready(f"http://127.0.0.1:{port}/info", READY_TIMEOUT)
        except BaseException:
            process.stop()
            raise
        return process

    def post_path(self) -> str:
        return f"/new?{urllib.parse.urlencode({'uri': POSTS_PATH})}"

    def wrk_post_env(self) -> dict[str, str]:
        return {"BENCH_POST": "isso", "BENCH_PATH": self.post_path(), "BENCH_ORIGIN": self.origin}
