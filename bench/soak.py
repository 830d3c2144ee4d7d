"""Memory soak: post N moderated comments to a real Townhall server and watch its memory.

Starts ``python -m townhall serve`` (SQLite, 1 worker by default; ``--database-url`` for
PostgreSQL with ``--workers 2``) with the moderation models on, over loopback only, and:

* times the first moderated post after the server says it is ready, then a run of single
  posts once warm (the first post should cost at most twice a warm one);
* posts ``--warmup`` comments, reads the memory of every server process (RSS; PSS and USS
  from /proc/PID/smaps_rollup), posts ``--posts`` more and reads it again, with samples
  between. Comments vary in length and words, a new story starts every ``--per-story`` posts,
  and every post says it comes from another reader address (the server trusts 127.0.0.1).

The loop is bounded by the count and by ``--max-seconds``; the server is stopped at the end.
bench/run.py runs the same loop (``soak_posts``) as the last part of its one run.
Figures go to stdout and, as JSON, to ``--output``. See docs/benchmarks.md.

    .venv/bin/python bench/soak.py --posts 20000
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from harness import Process, free_port, running
from smaps import group_memory
from subjects import SITE, Townhall, comment_text, forwarded_for

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests import servers  # noqa: E402 - the tests' helper starts a throwaway PostgreSQL

ORIGIN = "http://news.example"
READY_TIMEOUT = 300.0


class Poster:
    """Posts comments over one keep-alive connection."""

    def __init__(self, port: int, seed: int, origin: str = ORIGIN):
        self.connection = HTTPConnection("127.0.0.1", port, timeout=60)
        self.rng = random.Random(seed)  # noqa: S311 - varied text, not security
        self.origin = origin

    def post(self, n: int, story: int) -> float:
        body = {
            "site": SITE,
            "url": f"{self.origin}/2024/soak/story-{story}",
            "body": comment_text(n, self.rng),
            "author_name": f"Reader {n % 5003}",
        }
        return self.send(n, body)

    def send(self, n: int, body: dict[str, Any]) -> float:
        """Post one comment as reader address ``n``; seconds until the whole answer arrived."""
        headers = {
            "Content-Type": "application/json",
            "Origin": self.origin,
            "X-Forwarded-For": forwarded_for(n),
        }
        started = time.perf_counter()
        self.connection.request("POST", "/api/v1/comments", json.dumps(body), headers)
        response = self.connection.getresponse()
        raw = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 201:
            raise RuntimeError(f"post {n}: HTTP {response.status} {raw[:300]!r}")
        return elapsed


def post_many(
    port: int, start: int, count: int, per_story: int, concurrency: int, deadline: float, origin: str = ORIGIN
) -> int:
    """Posts comments start .. start+count-1 from ``concurrency`` threads; returns how many were sent."""
    counter = iter(range(start, start + count))
    lock = threading.Lock()
    sent = [0]
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        poster = Poster(port, seed, origin)
        while time.monotonic() < deadline and not errors:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            try:
                poster.post(n, n // per_story)
            except (OSError, RuntimeError) as exc:
                errors.append(exc)
                return
            with lock:
                sent[0] += 1

    threads = [threading.Thread(target=worker, args=(start + i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(str(errors[0]))
    return sent[0]


@dataclass(frozen=True)
class Soak:
    warmup: int = 2000  # posts before the first reading
    posts: int = 20000  # posts after it
    samples: int = 10  # readings between
    per_story: int = 100
    concurrency: int = 2  # client threads
    max_seconds: float = 3600.0


def soak_posts(port: int, leader: int, soak: Soak, origin: str = ORIGIN, first: int = 1000) -> dict[str, Any]:
    """Post the warm-up comments, read memory, post the soak's with readings between: RSS growth."""
    deadline = time.monotonic() + soak.max_seconds
    warmup, posts, per_story, concurrency = soak.warmup, soak.posts, soak.per_story, soak.concurrency
    n = first + post_many(port, first, warmup, per_story, concurrency, deadline, origin)
    warm = group_memory(leader)
    readings = [{"posts": 0, **warm["total"]}]
    step = max(1, posts // max(soak.samples, 1))
    done = 0
    started = time.monotonic()
    while done < posts and time.monotonic() < deadline:
        count = min(step, posts - done)
        done += post_many(port, n + done, count, per_story, concurrency, deadline, origin)
        readings.append({"posts": done, **group_memory(leader)["total"]})
        print(f"  soak: {done} posts: {readings[-1]}", flush=True)
    end = group_memory(leader)
    growth = end["total"]["rss"] - warm["total"]["rss"]
    return {
        "warmup_posts": warmup,
        "posts_after_warmup": done,
        "posts_asked": posts,
        "soak_seconds": round(time.monotonic() - started, 1),
        "memory_after_warmup": warm,
        "memory_end": end,
        "samples": readings,
        "rss_growth_kb": growth,
        "rss_growth_per_post_bytes": round(growth * 1024 / max(done, 1), 1),
    }


def main(argv: list[str] | None = None) -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--posts", type=int, default=20000, help="posts after warm-up")
    parser.add_argument("--warmup", type=int, default=2000, help="posts before the first reading")
    parser.add_argument("--per-story", type=int, default=100, help="posts per story")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temporary directory")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    parser.add_argument("--samples", type=int, default=10, help="memory readings during the soak")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="stop posting after this long")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "soak.json")
    args = parser.parse_args(argv)
    if args.postgres:
        with servers.postgres() as url:
            args.database_url = url
            return soak(args)
    return soak(args)


def soak(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="townhall-soak-") as tmp:
        work = Path(tmp)
        server = Townhall(work, ORIGIN, args.database_url)
        server.prepare()
        port = free_port()
        started = time.monotonic()
        with running(server.start(port, args.workers, moderation=True)) as process:
            result: dict[str, Any] = {"settings": vars(args) | {"output": str(args.output)}}
            result["ready_seconds"] = round(time.monotonic() - started, 2)
            result["memory_ready"] = group_memory(process.pid)["total"]
            result.update(first_and_warm(port, args.workers))
            plan = Soak(
                args.warmup, args.posts, args.samples, args.per_story, args.concurrency, args.max_seconds
            )
            result.update(soak_posts(port, process.pid, plan))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    report(result)
    return 0


def wait_ready(process: Process, url: str) -> None:
    """Until /readyz answers 200 (not merely any answer: it says 503 until the models are warm)."""
    process.wait_ready(url, READY_TIMEOUT, strict=True)


def first_and_warm(port: int, workers: int) -> dict[str, Any]:
    """The first moderated post (new connections land on any worker), then warm ones.

    bench/run.py reaches every worker on purpose (bench/firsts.py); this is the quick look."""
    firsts = []
    for i in range(workers):
        firsts.append(Poster(port, 7 + i).post(i, 0) * 1000)  # a new connection each
    poster = Poster(port, 99)
    for n in range(workers, 100):  # warm up this story and connection
        poster.post(n, 0)
    warm = [poster.post(n, 0) * 1000 for n in range(100, 200)]
    # A warm post that, like the first one, opens a new story (its article is read and encoded).
    new_story = [poster.post(n, 10_000 + n) * 1000 for n in range(200, 220)]
    return {
        "warm_new_story_post_ms_p50": round(statistics.median(new_story), 1),
        "first_post_ms": [round(f, 1) for f in firsts],
        "warm_post_ms_p50": round(statistics.median(warm), 1),
        "warm_post_ms_p90": round(statistics.quantiles(warm, n=10)[-1], 1),
    }


def report(result: dict[str, Any]) -> None:
    warm = result["memory_after_warmup"]["total"]
    end = result["memory_end"]["total"]
    print(f"ready after {result['ready_seconds']} s; memory when ready {result['memory_ready']} kB")
    print(
        f"first post {result['first_post_ms']} ms; warm post p50 {result['warm_post_ms_p50']} ms,"
        f" to a new story {result['warm_new_story_post_ms_p50']} ms"
    )
    print(f"after warm-up: {megabytes(warm)}")
    print(f"after {result['posts_after_warmup']} more posts ({result['soak_seconds']} s): {megabytes(end)}")
    growth = result["rss_growth_kb"] / 1024
    print(f"RSS growth {growth:.2f} MB ({result['rss_growth_per_post_bytes']} B per post)")


def megabytes(figures: dict[str, int]) -> str:
    return ", ".join(f"{key.upper()} {figures[key] / 1024:.1f} MB" for key in ("rss", "pss", "uss"))


if __name__ == "__main__":
    sys.exit(main())
