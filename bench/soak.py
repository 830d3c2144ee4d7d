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
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from run import WORDS, Process, Townhall, free_port, http, running  # noqa: I001 - bench/ is the script's dir

from tests import servers  # noqa: E402 - the tests' helper starts a throwaway PostgreSQL

ORIGIN = "http://news.example"
READY_TIMEOUT = 300.0


def process_memory(pid: int) -> dict[str, int]:
    """kB of one process: rss, pss and uss (private clean + dirty), from smaps_rollup."""
    figures = {"rss": 0, "pss": 0, "uss": 0}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        value = int(rest.split()[0])
        if name == "Rss":
            figures["rss"] = value
        elif name == "Pss":
            figures["pss"] = value
        elif name in ("Private_Clean", "Private_Dirty"):
            figures["uss"] += value
    return figures


def group_memory(leader: int) -> dict[str, Any]:
    """Memory of every process in the server's process group (master and workers), in kB."""
    processes = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) != leader:
                continue
            processes[int(entry.name)] = process_memory(int(entry.name))
        except (OSError, ValueError):
            continue  # gone meanwhile
    total = {key: sum(p[key] for p in processes.values()) for key in ("rss", "pss", "uss")}
    return {"total": total, "processes": processes}


class Poster:
    """Posts comments over one keep-alive connection."""

    def __init__(self, port: int, seed: int):
        self.connection = HTTPConnection("127.0.0.1", port, timeout=60)
        self.rng = random.Random(seed)  # noqa: S311 - varied text, not security

    def text(self, n: int) -> str:
        words = self.rng.choices(WORDS, k=self.rng.randint(8, 90))
        return f"Comment {n}: " + " ".join(words).capitalize() + "."

    def post(self, n: int, story: int) -> float:
        body = {
            "site": "bench",
            "url": f"{ORIGIN}/2024/soak/story-{story}",
            "body": self.text(n),
            "author_name": f"Reader {n % 5003}",
        }
        return self.send(n, body)

    def send(self, n: int, body: dict[str, Any]) -> float:
        """Post one comment as reader address ``n``; seconds until the whole answer arrived."""
        headers = {
            "Content-Type": "application/json",
            "Origin": ORIGIN,
            # A documentation range (RFC 5737) in a header only: no traffic leaves loopback.
            "X-Forwarded-For": f"198.51.100.{n % 250 + 1}",
        }
        started = time.perf_counter()
        self.connection.request("POST", "/api/v1/comments", json.dumps(body), headers)
        response = self.connection.getresponse()
        raw = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 201:
            raise RuntimeError(f"post {n}: HTTP {response.status} {raw[:300]!r}")
        return elapsed


def post_many(port: int, start: int, count: int, per_story: int, concurrency: int, deadline: float) -> int:
    """Posts comments start .. start+count-1 from ``concurrency`` threads; returns how many were sent."""
    counter = iter(range(start, start + count))
    lock = threading.Lock()
    sent = [0]
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        poster = Poster(port, seed)
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
        server = Townhall(work, ORIGIN)
        if args.database_url:
            server.database_url = args.database_url
        server.env["TOWNHALL_WRITE_RATE_LIMIT"] = "0"
        server.prepare()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        argv_ = server_argv(server, port, args.workers)
        process = Process("townhall-soak", argv_, work / "soak.log", soak_env(server))
        with running(process):
            wait_ready(process, base + "/readyz")
            ready_after = time.monotonic() - started
            result: dict[str, Any] = {"settings": vars(args) | {"output": str(args.output)}}
            result["ready_seconds"] = round(ready_after, 2)
            result["memory_ready"] = group_memory(process.proc.pid)["total"]
            result.update(first_and_warm(port, args.workers))
            deadline = time.monotonic() + args.max_seconds
            n = 1000
            n += post_many(port, n, args.warmup, args.per_story, args.concurrency, deadline)
            warm = group_memory(process.proc.pid)
            result["memory_after_warmup"] = warm
            samples = [{"posts": 0, **warm["total"]}]
            step = max(1, args.posts // args.samples)
            done = 0
            soak_started = time.monotonic()
            while done < args.posts and time.monotonic() < deadline:
                count = min(step, args.posts - done)
                done += post_many(port, n + done, count, args.per_story, args.concurrency, deadline)
                samples.append({"posts": done, **group_memory(process.proc.pid)["total"]})
                print(f"  {done} posts: {samples[-1]}", flush=True)
            end = group_memory(process.proc.pid)
            result["soak_seconds"] = round(time.monotonic() - soak_started, 1)
            result["posts_after_warmup"] = done
            result["memory_end"] = end
            result["samples"] = samples
            growth = end["total"]["rss"] - warm["total"]["rss"]
            result["rss_growth_kb"] = growth
            result["rss_growth_per_post_bytes"] = round(growth * 1024 / max(done, 1), 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    report(result)
    return 0


def server_argv(server: Townhall, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "townhall",
        "--database-url",
        server.database_url,
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def soak_env(server: Townhall) -> dict[str, str]:
    return {**server.env, "TOWNHALL_MODERATION_ENABLED": "true"}


def wait_ready(process: Process, url: str) -> None:
    """Until /readyz answers 200 (not merely any answer: it says 503 until the models are warm)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.proc.poll() is not None:
            raise RuntimeError(f"server exited with {process.proc.returncode}:\n{process.tail()}")
        try:
            status, _ = http("GET", url, timeout=5.0)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready within {READY_TIMEOUT:.0f} s:\n{process.tail()}")


def first_and_warm(port: int, workers: int) -> dict[str, Any]:
    """The first moderated post per worker (new connections land on any worker), then warm ones."""
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
