"""Moderation speed and memory, in one run, against the issue's ceilings.

1. What the models add to posting a comment: the same comments posted through the comment
   service with the models on and off (real SQLite file); the difference of the medians.
2. `townhall moderate score` throughput on real reader comments (C3, ../shared/data), in a
   subprocess, timed from start to finish (model loading included) and without the load.
3. Resident memory of `townhall serve` with the models loaded, after it has moderated comments.

Run: .venv/bin/python bench/moderation.py [--comments 300] [--batch 2000]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import servers  # noqa: E402 - the tests' helpers start real servers the same way
from townhall.config import load  # noqa: E402
from townhall.demo.content import load as load_demo  # noqa: E402
from townhall.moderation.pipeline import Models, Pipeline  # noqa: E402
from townhall.services import build_services  # noqa: E402
from townhall.services.identity import guest  # noqa: E402
from townhall.storage import Storage  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ORIGIN = "https://news.example"


def reader_comments(limit: int) -> list[str]:
    with (DATA / "c3" / "C3_anonymized.csv").open(encoding="utf-8") as handle:
        texts = [row["comment_text"] for row in csv.DictReader(handle) if row["comment_text"].strip()]
    return texts[:limit]


def post_latencies(texts: list[str], with_models: bool, workdir: Path) -> list[float]:
    storage = Storage(f"sqlite:///{workdir / ('on' if with_models else 'off')}.sqlite3")
    storage.migrate()
    config = load(
        overrides={"database_url": storage.url, "fetch_articles": False, "moderation_enabled": with_models}
    )
    moderator = Pipeline(Models.load()) if with_models else None
    services = build_services(config, storage, "bench", moderator=moderator)
    site = services.sites.add("bench", "Bench", [ORIGIN])
    article = load_demo()[0][0]
    url = f"{ORIGIN}/news/{article.slug}"
    services.stories.push(site, url, {"title": article.title, "text": article.text}, "bench")
    services.comments.post(site, url, "Warm-up comment about the night bus.", guest("W", None, "w", "s"))
    took = []
    for number, text in enumerate(texts):
        identity = guest(f"Reader {number}", None, f"reader-{number}", "s")
        start = time.perf_counter()
        services.comments.post(site, url, text[:5000], identity)
        took.append((time.perf_counter() - start) * 1000)
    storage.close()
    return took


def batch_throughput(texts: list[str], workdir: Path) -> dict[str, float]:
    article = load_demo()[0][0]
    lines = [
        json.dumps({"id": str(i), "text": t, "article": {"title": article.title, "text": article.text}})
        for i, t in enumerate(texts)
    ]
    source = workdir / "batch.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    single = workdir / "one.jsonl"
    single.write_text(lines[0] + "\n", encoding="utf-8")
    score = [sys.executable, "-m", "townhall", "moderate", "score", "--quiet", "--input"]
    start = time.perf_counter()
    subprocess.run([*score, str(single)], check=True, capture_output=True)
    startup = time.perf_counter() - start  # interpreter, imports and model load, for one comment
    start = time.perf_counter()
    done = subprocess.run([*score, str(source)], check=True, capture_output=True, text=True)
    total = time.perf_counter() - start
    scored = len(done.stdout.splitlines())
    return {
        "comments": scored,
        "seconds": total,
        "startup_seconds": startup,
        "per_second": scored / total,
        "per_second_after_load": scored / max(total - startup, 1e-9),
    }


def server_memory(texts: list[str], workdir: Path) -> float:
    database = workdir / "serve.sqlite3"
    port = servers.free_port()
    origin = f"http://127.0.0.1:{port}"
    base = [sys.executable, "-m", "townhall", "--database-url", f"sqlite:///{database}"]
    subprocess.run([*base, "migrate"], check=True, capture_output=True)
    subprocess.run(
        [*base, "site", "add", "bench", "--name", "Bench", "--origin", origin],
        check=True,
        capture_output=True,
    )
    env = {
        "TOWNHALL_DATABASE_URL": f"sqlite:///{database}",
        "TOWNHALL_FETCH_ARTICLES": "false",
        "TOWNHALL_WRITE_RATE_LIMIT": "0",
        "TOWNHALL_LOG_LEVEL": "warning",
    }
    with servers.townhall(["serve", "--port", str(port)], port, env) as url:
        for number, text in enumerate(texts[:100]):
            body = {
                "site": "bench",
                "url": f"{origin}/news/story-{number % 5}",
                "body": text[:5000],
                "author_name": f"Reader {number}",
            }
            httpx.post(f"{url}/api/v1/comments", json=body, timeout=30).raise_for_status()
        pid = subprocess.run(
            ["pgrep", "-f", f"serve --port {port}"], capture_output=True, text=True
        ).stdout.split()
        rss_kb = 0
        for process in pid:
            status = Path(f"/proc/{process}/status").read_text()
            rss_kb += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
    return rss_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=300, help="comments posted with models on and off")
    parser.add_argument("--batch", type=int, default=2000, help="comments for `moderate score`")
    args = parser.parse_args()
    texts = reader_comments(max(args.comments, args.batch))
    with tempfile.TemporaryDirectory(prefix="townhall-modbench-") as tmp:
        workdir = Path(tmp)
        off = post_latencies(texts[: args.comments], False, workdir)
        on = post_latencies(texts[: args.comments], True, workdir)
        batch = batch_throughput(texts[: args.batch], workdir)
        rss = server_memory(texts, workdir)
    added = statistics.median(on) - statistics.median(off)
    rows = [
        ("post, models off: median ms", statistics.median(off), None),
        ("post, models on: median ms", statistics.median(on), None),
        ("moderation adds to a post: median ms", added, ("≤", 30.0)),
        ("post, models on: p90 ms", statistics.quantiles(on, n=10)[-1], None),
        ("moderate score: comments/s (whole run, load included)", batch["per_second"], ("≥", 300.0)),
        ("moderate score: comments/s (after the models load)", batch["per_second_after_load"], ("≥", 300.0)),
        ("moderate score: start-up and model load, s", batch["startup_seconds"], None),
        ("server with models, after 100 posts: resident MB", rss, ("≤", 400.0)),
    ]
    print(f"{'measure':58} {'value':>10}  target")
    for name, value, target in rows:
        verdict = ""
        if target:
            sign, limit = target
            met = value <= limit if sign == "≤" else value >= limit
            verdict = f"{sign} {limit:g}: {'met' if met else 'MISSED'} (ratio {value / limit:.2f})"
        print(f"{name:58} {value:10.1f}  {verdict}")


if __name__ == "__main__":
    main()
