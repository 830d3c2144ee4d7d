"""The parts of bench/run.py's one run, each against fresh servers: SQLite, Isso, PostgreSQL.

Each phase appends to one JSON-shaped report: ``cells`` (wrk measurements), ``firsts`` (first
request after start, per worker), ``memory`` (RSS/PSS totals in kB) and ``soak``.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import verdicts
from firsts import Request, first_and_warm, timed
from harness import Process, Series, free_port, http, running
from smaps import group_memory
from soak import Soak, soak_posts
from subjects import (
    POSTS_PATH,
    SEED_COMMENTS,
    STORY_PATH,
    Isso,
    Townhall,
    comment_text,
    count_nested,
    seed_comments,
)

PARTS = ("sqlite", "isso", "postgres", "soak")
FIRSTS_ADDRESS_BASE = 100_000  # X-Forwarded-For numbers of the first-post series (soak posts start at 1,000)


@dataclass
class Plan:
    """What one run measures, and for how long."""

    seconds: int = 10
    runs: int = 3
    reads: list[int] = field(default_factory=lambda: [1, 16, 64])
    posts: list[int] = field(default_factory=lambda: [1, 8])
    isso_workers: int = 2
    warm_requests: int = 30  # warm requests per worker after its first one
    soak_warmup: int = 2000
    soak_posts: int = 20000
    soak_samples: int = 10
    soak_max_seconds: float = 1200.0
    parts: list[str] = field(default_factory=lambda: list(PARTS))
    postgres_settings: dict[str, str] = field(default_factory=dict)


@dataclass
class Site:
    """The 'news site' nginx serves, whose origin the comment servers allow."""

    origin: str
    www: Path

    @property
    def story_url(self) -> str:
        return self.origin + STORY_PATH

    @property
    def posts_url(self) -> str:
        return self.origin + POSTS_PATH


READ_HEADERS = {"Accept": "application/json"}  # plus Origin: what the widget's fetch sends


def read_headers(site: Site) -> dict[str, str]:
    return {"Origin": site.origin, **READ_HEADERS}


def read_request(path: str, headers: dict[str, str]) -> Request:
    def go(connection: HTTPConnection, _n: int) -> float:
        return timed(connection, "GET", path, None, headers, 200)

    return go


def post_request(townhall: Townhall, story_url: str) -> Request:
    rng = random.Random(7)  # noqa: S311 - varied text, not security

    def go(connection: HTTPConnection, n: int) -> float:
        number = FIRSTS_ADDRESS_BASE + n
        body = townhall.post_body(story_url, comment_text(number, rng), f"Reader {number % 997}")
        raw = json.dumps(body).encode()
        return timed(connection, "POST", "/api/v1/comments", raw, townhall.post_headers(number), 201)

    return go


def check_thread(body: bytes, status: int, where: str) -> None:
    shown = count_nested(json.loads(body)["comments"]) if status == 200 else 0
    if shown != SEED_COMMENTS:
        raise RuntimeError(f"{where}: the thread has {shown} comments (HTTP {status}), not {SEED_COMMENTS}")


def seed(townhall: Townhall, port: int, workers: int, site: Site) -> bytes:
    """100 comments on the read story and one on the posts story, models off; the thread's bytes."""
    base = f"http://127.0.0.1:{port}"
    with running(townhall.start(port, workers, moderation=False)):
        townhall.seed(base, site.story_url, seed_comments())
        townhall.seed(base, site.posts_url, seed_comments(1), first_n=SEED_COMMENTS)
        status, body = http("GET", base + Townhall.thread_path(site.story_url), headers=read_headers(site))
        check_thread(body, status, "Townhall")
    return body


class Phases:
    def __init__(self, plan: Plan, work: Path, site: Site, nginx: Process):
        self.plan = plan
        self.work = work
        self.site = site
        self.nginx = nginx
        self.report: dict[str, Any] = {
            "cells": [],
            "firsts": {},
            "memory": {},
            "memory_detail": {},
            "soak": {},
        }

    def series(self, process: Process, settle_url: str) -> Series:
        return Series(process, settle_url, self.plan.seconds, self.plan.runs)

    def townhall(self, name: str, database_url: str = "") -> tuple[Townhall, int]:
        """A migrated database with the bench site, in its own directory; and a free port."""
        townhall = Townhall(self.work / name, self.site.origin, database_url)
        townhall.work.mkdir()
        townhall.prepare()
        return townhall, free_port()

    def sqlite(self) -> None:
        """Unmoderated posts, nginx and Townhall reads, first requests, moderated posts, memory."""
        plan, site = self.plan, self.site
        townhall, port = self.townhall("sqlite")
        base = f"http://127.0.0.1:{port}"
        body = seed(townhall, port, 1, site)
        (site.www / "thread.json").write_bytes(body)
        static_url = site.origin + "/thread.json"
        status, static_body = http("GET", static_url)
        if status != 200 or static_body != body:
            raise RuntimeError("nginx does not serve Townhall's thread body byte for byte")
        print(f"thread: {SEED_COMMENTS} comments, {len(body)} bytes of JSON", flush=True)

        post_url = base + "/api/v1/comments"
        post_env = townhall.wrk_post_env(site.posts_url)
        with running(townhall.start(port, 1, moderation=False)) as server:
            cells = self.series(server, base + "/healthz").measure(
                verdicts.OFF, "post", post_url, plan.posts, post_env=post_env
            )
            self.report["cells"] += cells

        self.report["cells"] += self.series(self.nginx, static_url).measure(
            verdicts.NGINX, "read", static_url, plan.reads
        )

        path = Townhall.thread_path(site.story_url)
        with self.fresh_start(
            townhall, port, 1, "sqlite", "read", read_request(path, read_headers(site))
        ) as server:
            self.report["cells"] += self.series(server, base + "/healthz").measure(
                verdicts.SQLITE, "read", base + path, plan.reads, headers=read_headers(site)
            )

        with self.fresh_start(
            townhall, port, 1, "sqlite", "post", post_request(townhall, site.posts_url)
        ) as server:
            self.report["cells"] += self.series(server, base + "/healthz").measure(
                verdicts.SQLITE, "post", post_url, plan.posts, post_env=post_env
            )
            self.read_memory("sqlite", "after posts", server)

    def soak(self) -> None:
        """A fresh SQLite server, models on: warm-up posts, then the soak; RSS before and after."""
        plan, site = self.plan, self.site
        townhall, port = self.townhall("soak")
        with running(townhall.start(port, 1, moderation=True)) as server:
            soak = Soak(
                plan.soak_warmup, plan.soak_posts, plan.soak_samples, max_seconds=plan.soak_max_seconds
            )
            self.report["soak"] = soak_posts(port, server.pid, soak, site.origin)
            self.read_memory("sqlite", "after soak", server)

    @contextlib.contextmanager
    def fresh_start(
        self, townhall: Townhall, port: int, workers: int, setup: str, operation: str, request: Request
    ) -> Iterator[Process]:
        """A new server with the models on, once it says ready: each worker's first ``operation``
        and warm ones are timed before anything else reaches it."""
        with running(townhall.start(port, workers, moderation=True)) as server:
            firsts = first_and_warm(port, server.pid, workers, request, self.plan.warm_requests)
            self.report["firsts"].setdefault(setup, {})[operation] = firsts
            shown = ", ".join(
                f"{w['first_ms']:.1f} ms (warm {w['warm_p50_ms']:.1f})" for w in firsts["workers"]
            )
            print(f"  first {operation} after start, {setup}, per worker: {shown}", flush=True)
            yield server

    def read_memory(self, setup: str, when: str, server: Process) -> None:
        memory = group_memory(server.pid)
        self.report["memory"].setdefault(setup, {})[when] = memory["total"]
        self.report["memory_detail"].setdefault(setup, {})[when] = memory["processes"]
        total = memory["total"]
        print(
            f"  memory, {setup} {when}: RSS {total['rss'] / 1024:.1f} MB, PSS {total['pss'] / 1024:.1f} MB"
            f" ({len(memory['processes'])} processes)",
            flush=True,
        )

    def isso(self) -> None:
        isso = Isso(self.work, self.site.origin)
        isso.write_config()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with running(isso.start(port, self.plan.isso_workers)) as server:
            self.report["cells"] += self.series(server, base + "/info").measure(
                verdicts.ISSO, "post", base + isso.post_path(), self.plan.posts, post_env=isso.wrk_post_env()
            )

    def postgres(self, url: str, redis_url: str) -> None:
        """Two forked workers sharing the models, with Redis as docs/operations.md deploys several
        processes: first requests per worker, posts, memory."""
        plan, site = self.plan, self.site
        townhall, port = self.townhall("postgres", url)
        townhall.env["TOWNHALL_REDIS_URL"] = redis_url
        base = f"http://127.0.0.1:{port}"
        seed(townhall, port, 2, site)
        path = Townhall.thread_path(site.story_url)
        with self.fresh_start(townhall, port, 2, "postgres", "read", read_request(path, read_headers(site))):
            pass  # the first reads are all this server is for
        with self.fresh_start(
            townhall, port, 2, "postgres", "post", post_request(townhall, site.posts_url)
        ) as server:
            self.report["cells"] += self.series(server, base + "/healthz").measure(
                verdicts.POSTGRES,
                "post",
                base + "/api/v1/comments",
                plan.posts,
                post_env=townhall.wrk_post_env(site.posts_url),
            )
            self.read_memory("postgres", "after posts", server)
