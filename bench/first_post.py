"""The first moderated post after start against warm ones, over several fresh starts.

Prepares one SQLite database (migrate, a site, the demo's open stories pushed with their text,
and one comment on each so the stories and their threads exist), then ``--starts`` times: starts
``townhall serve`` with the models on (``--workers N``: forked workers sharing the models), waits
until ``/readyz`` says 200, and has ``bench/firsts.py`` reach every worker on a new connection:
its first post, then ``--warm`` posts on the same connection (median). Every post is a distinct
comment to an existing story from a new reader address, so first and warm posts do the same work.

    .venv/bin/python bench/first_post.py --starts 5
    .venv/bin/python bench/first_post.py --starts 3 --workers 2 --postgres
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from firsts import first_and_warm, timed  # noqa: I001 - bench/ is the script's dir
from harness import free_port, http, running
from subjects import Townhall

from tests import servers  # noqa: E402 - the tests' helper starts a throwaway PostgreSQL
from townhall.demo import content  # noqa: E402 - the sample articles we wrote

ORIGIN = "http://news.example"


def prepare(townhall: Townhall) -> list[str]:
    """Migrate, add the site, push the stories and comment once on each (server without models)."""
    townhall.prepare()
    key = townhall.cli("key", "create", "--site", "bench", "--label", "first-post").strip().splitlines()[-1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    urls = []
    with running(townhall.start(port, 1, moderation=False)):
        for article in content.load()[0]:
            if article.closed:
                continue
            url = f"{ORIGIN}/news/{article.slug}"
            body = {"url": url, "title": article.title, "text": article.text}
            status, raw = http(
                "PUT", base + "/api/v1/admin/stories", body, {"Authorization": f"Bearer {key}"}
            )
            if status not in (200, 201):
                raise RuntimeError(f"pushing {url}: HTTP {status} {raw[:200]!r}")
            comment = townhall.post_body(url, f"A first comment on {article.title}.", "Seed")
            status, raw = http("POST", base + "/api/v1/comments", comment, townhall.post_headers(0))
            if status != 201:
                raise RuntimeError(f"seeding {url}: HTTP {status} {raw[:200]!r}")
            urls.append(url)
    return urls


def post_request(townhall: Townhall, urls: list[str], start: int) -> Any:
    rng = random.Random(start)  # noqa: S311 - varied text, not security
    words = " ".join(a.text for a in content.load()[0]).split()

    def go(connection: HTTPConnection, n: int) -> float:
        number = 1000 * (start + 1) + n
        text = f"Comment {number}: " + " ".join(rng.choices(words, k=rng.randint(12, 50)))
        body = townhall.post_body(urls[n % len(urls)], text, f"Reader {number}")
        raw = json.dumps(body).encode()
        return timed(connection, "POST", "/api/v1/comments", raw, townhall.post_headers(number), 201)

    return go


@contextmanager
def database(postgres: bool) -> Iterator[str]:
    if postgres:
        with servers.postgres() as url:
            yield url
    else:
        yield ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--starts", type=int, default=5, help="fresh starts of the server")
    parser.add_argument("--warm", type=int, default=30, help="warm posts after each worker's first")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL instead of SQLite")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="townhall-first-") as tmp, database(args.postgres) as url:
        townhall = Townhall(Path(tmp), ORIGIN, url)
        townhall.env["TOWNHALL_WRITE_RATE_LIMIT"] = "0"
        urls = prepare(townhall)
        for start in range(args.starts):
            port = free_port()
            with running(townhall.start(port, args.workers, moderation=True)) as server:
                found = first_and_warm(
                    port, server.pid, args.workers, post_request(townhall, urls, start), args.warm
                )
            for worker in found["workers"]:
                rows.append(worker)
                print(
                    f"start {start + 1}: first post {worker['first_ms']:.1f} ms, warm p50"
                    f" {worker['warm_p50_ms']:.1f} ms, ratio {worker['ratio']:.2f}",
                    flush=True,
                )
    ratios = [r["ratio"] for r in rows]
    print(
        f"{len(rows)} first posts: ratio median {statistics.median(ratios):.2f}, max {max(ratios):.2f};"
        f" first post median {statistics.median(r['first_ms'] for r in rows):.1f} ms, warm p50 median"
        f" {statistics.median(r['warm_p50_ms'] for r in rows):.1f} ms; load {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
