"""CPU time and SQL statements of one post through the comment service, in-process.

Posts ``--posts`` distinct comments (after 100 of warm-up) through ``CommentService.post`` on a
fresh SQLite file, to the demo's three open stories (pushed with their text), each from a new
reader, and prints the median and p90 of the process CPU time per post (``time.process_time``:
every thread, ONNX Runtime's included — steadier than wall time on a shared machine) and the SQL
statements sent per post. ``--models off`` measures the post path alone.

To compare two versions of the code, run the older one from an export on ``PYTHONPATH``:

    git archive OLD townhall | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old .venv/bin/python bench/post_cpu.py --models off
    .venv/bin/python bench/post_cpu.py --models off
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from townhall.config import load
from townhall.demo.content import load as load_demo
from townhall.moderation import build_moderator
from townhall.services import build_services
from townhall.services.identity import guest
from townhall.storage import Storage

ORIGIN = "https://news.example"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--models", choices=("on", "off"), default="on")
    parser.add_argument("--names", type=int, default=997, help="distinct author names, used in turn")
    args = parser.parse_args(argv)
    with_models = args.models == "on"
    with tempfile.TemporaryDirectory(prefix="townhall-postcpu-") as tmp:
        storage = Storage(f"sqlite:///{Path(tmp) / 'post.sqlite3'}")
        storage.migrate()
        overrides = {"database_url": storage.url, "fetch_articles": False, "moderation_enabled": with_models}
        moderator = build_moderator() if with_models else None
        if moderator is not None:
            moderator.warm()
        services = build_services(load(overrides=overrides), storage, "bench", moderator=moderator)
        site = services.sites.add("bench", "Bench", [ORIGIN])
        stories = []
        for article in load_demo()[0]:
            if not article.closed:
                url = f"{ORIGIN}/news/{article.slug}"
                services.stories.push(site, url, {"title": article.title, "text": article.text}, "bench")
                stories.append((url, (article.title + " " + article.text).lower().split()))
        statements = [0]
        rng = random.Random(3)  # noqa: S311 - varied text, not security

        def post(n: int) -> float:
            url, words = stories[n % len(stories)]
            body = f"Comment {n}: " + " ".join(rng.choices(words, k=rng.randint(8, 60))) + "."
            identity = guest(f"Reader {n % args.names}", None, f"reader-{n}", "bench")
            started = time.process_time()
            services.comments.post(site, url, body, identity, network_key=f"net-{n % 250}")
            return (time.process_time() - started) * 1000

        for n in range(100):
            post(n)
        event.listen(
            storage.engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1)
        )
        took = [post(n) for n in range(100, 100 + args.posts)]
        storage.close()
    print(
        f"models {args.models}, {args.posts} posts: CPU per post median {statistics.median(took):.2f} ms,"
        f" p90 {statistics.quantiles(took, n=10)[-1]:.2f} ms; SQL statements per post"
        f" {statements[0] / args.posts:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
