"""Where a moderated post's time goes: py-spy on a real ``townhall serve``, driven over loopback.

Starts ``python -m townhall serve`` on a fresh SQLite file with the models on
(``TOWNHALL_MODERATION_ENABLED=true``, ``TOWNHALL_FETCH_ARTICLES=false``), pushes the demo's
sample articles through the admin API (so every comment has a real article to be compared with,
and the site has its own off-topic background), warms it with ``--warmup`` posts, then samples
the server with py-spy while one client posts ``--posts`` distinct comments, one at a time, to
127.0.0.1. Writes:

* the collapsed stacks (``--stacks``, py-spy's raw format, one line per distinct stack);
* a small flame graph (``--svg``): frames under ``--min-share`` of the samples are left out,
  which keeps the file small enough to commit;
* a table of the costs (ms of sampled thread time per post and share of all samples), by step
  of the post and by leaf component, on stdout and as JSON (``--output``).

py-spy counts a sample for every thread that is running (not idle) at that moment, so a post's
"ms" here is thread time, the event loop's and the worker thread's together; ONNX Runtime's
own thread pool is not Python and is counted in the frame that called ``session.run``.

    .venv/bin/python bench/profile_post.py             # 1,000 posts after 200 of warm-up
    .venv/bin/python bench/profile_post.py --posts 300 --svg /tmp/p.svg
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import soak  # noqa: I001 - bench/ is the script's dir
from run import Process, Townhall, free_port, http, running

from townhall.demo import content  # noqa: E402 - the sample articles we wrote

ORIGIN = "http://news.example"
DOCS = Path(__file__).resolve().parent.parent / "docs"
RESULTS = Path(__file__).resolve().parent / "results"

# Steps of the post, by priority: a sample belongs to the first step that any frame of its stack
# matches (so SQL run by the moderation context counts as the context's, not as "write").
STEPS: tuple[tuple[str, str], ...] = (
    ("encode the comment (tokeniser + ONNX MiniLM)", r"^Embedder\.embed "),
    ("article representation (load or encode)", r"^Pipeline\.article "),
    ("site background", r"^Pipeline\.background "),
    ("off-topic scoring (dot products, words, names)", r"moderation/signals/off_topic(/|\.py)"),
    ("language identification", r"moderation/language\.py"),
    ("toxicity head", r"moderation/signals/toxicity\.py"),
    ("spam signal (incl. its SQL: recent comments)", r"moderation/signals/spam\.py"),
    ("word lists and author name", r"moderation/(signals/wordlists|names)\.py"),
    ("policy and verdict", r"moderation/(policy|verdict)\.py"),
    ("moderation context (SQL: thread, history, site)", r"services/moderation_context\.py"),
    ("other pipeline work", r"moderation/pipeline\.py"),
    ("story lookup", r"^StoryService\.resolve "),
    ("Markdown render and sanitise", r"services/text\.py"),
    (
        "write transaction (insert, events, story, commit)",
        r"^(Storage\.write|CommentRepo\.(insert|add_event|get)|AuthorRepo\.upsert|RecentRepo\.fingerprint"
        r"|StoryRepo\.(get|touch)) ",
    ),
    ("checks before moderation (author, bans, body)", r"^CommentService\.post "),
    ("API route (identity, rate limit, response shape)", r"api/public\.py"),
    ("FastAPI/pydantic (validation, serialisation)", r"(fastapi|pydantic)/"),
    ("ASGI middleware and routing (Starlette, ours)", r"(starlette|townhall/(ops|api))"),
    ("uvicorn and the event loop (HTTP parsing, sockets)", r"(uvicorn|asyncio|uvloop|anyio)"),
)
# Leaf components: the innermost frame that matches names what the CPU was doing.
LEAVES: tuple[tuple[str, str], ...] = (
    ("ONNX Runtime (session.run)", r"^Session\.run \(onnxruntime"),
    ("tokeniser (HF tokenizers)", r"tokenizers|encode_batch"),
    ("SQLAlchemy (statement building, caching, results)", r"sqlalchemy/(?!engine/default\.py)"),
    ("SQLite (the driver's execute and commit)", r"sqlalchemy/engine/default\.py|sqlite3"),
    ("numpy", r"numpy"),
    ("pydantic/FastAPI", r"(pydantic|fastapi)"),
    ("JSON (orjson, json)", r"(orjson|json/)"),
    ("Markdown and nh3", r"(markdown_it|nh3)"),
    ("regular expressions", r"\(re/"),
    ("uvicorn/asyncio/anyio", r"(uvicorn|asyncio|uvloop|anyio)"),
    ("Starlette", r"starlette"),
    ("townhall code", r"townhall/"),
)
# A thread whose innermost Python frame is one of these is waiting (in C), not working: py-spy's
# own idle test misses some of them. The event loop waiting in uvloop shows as Runner.run.
IDLE_LEAVES = re.compile(
    r"^(_worker \(concurrent/futures/thread\.py\)|Condition\.wait |Event\.wait |Queue\.get |"
    r"Runner\.run \(asyncio/runners\.py\)|Thread\._bootstrap|select |Scheduler\._run)"
)


def words_of(text: str) -> list[str]:
    return re.findall(r"[A-Za-z']+", text)


class Poster(soak.Poster):
    """Distinct comments on the pushed stories, in their own words, one at a time."""

    def __init__(self, port: int, urls: list[str], vocab: dict[str, list[str]], seed: int = 7):
        super().__init__(port, seed)
        self.urls = urls
        self.vocab = vocab

    def post(self, n: int, story: int = 0) -> float:
        url = self.urls[(n + story) % len(self.urls)]
        words = self.rng.choices(self.vocab[url], k=self.rng.randint(8, 60))
        body = {
            "site": "bench",
            "url": url,
            "body": f"Comment {n}: " + " ".join(words).capitalize() + ".",
            "author_name": f"Reader {n % 997}",
        }
        return self.send(n, body)


def push_articles(base: str, key: str) -> tuple[list[str], dict[str, list[str]]]:
    articles, _comments = content.load()
    urls, vocab = [], {}
    for article in articles:
        if article.closed:
            continue
        url = f"{ORIGIN}/news/{article.slug}"
        body = {"url": url, "title": article.title, "text": article.text}
        status, raw = http("PUT", base + "/api/v1/admin/stories", body, {"Authorization": f"Bearer {key}"})
        if status not in (200, 201):
            raise RuntimeError(f"pushing {url}: HTTP {status} {raw[:300]!r}")
        urls.append(url)
        vocab[url] = [w.lower() for w in words_of(article.title + " " + article.text)]
    return urls, vocab


def read_stacks(path: Path) -> tuple[Counter[tuple[str, ...]], int]:
    """The working stacks, and how many samples were of waiting threads (left out)."""
    stacks: Counter[tuple[str, ...]] = Counter()
    idle = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = tuple(stack.split(";"))
        if IDLE_LEAVES.match(frames[-1]):
            idle += int(count)
        else:
            stacks[frames] += int(count)
    return stacks, idle


Rules = tuple[tuple[str, str], ...]


def classify(stacks: Counter[tuple[str, ...]], rules: Rules, leaf: bool) -> Counter[str]:
    """Leaf: the innermost frame matching any rule names the sample. Otherwise the rules are
    priorities: the first rule matching any frame of the stack names it."""
    compiled = [(name, re.compile(pattern)) for name, pattern in rules]
    out: Counter[str] = Counter()
    for stack, count in stacks.items():
        found = "other"
        if leaf:
            for frame in reversed(stack):
                hit = next((name for name, rx in compiled if rx.search(frame)), None)
                if hit is not None:
                    found = hit
                    break
        else:
            found = next((name for name, rx in compiled if any(rx.search(f) for f in stack)), "other")
        out[found] += count
    return out


def table(counts: Counter[str], total: int, ms_per_sample_post: float) -> list[dict[str, Any]]:
    return [
        {
            "what": name,
            "samples": n,
            "ms_per_post": round(n * ms_per_sample_post, 2),
            "share": round(n / total, 4),
        }
        for name, n in counts.most_common()
    ]


# --------------------------------------------------------------------------- flame graph


def flame_svg(stacks: Counter[tuple[str, ...]], min_share: float, title: str) -> str:
    """A plain SVG flame graph (root at the bottom); frames below ``min_share`` are dropped."""
    tree: dict[str, Any] = {"n": 0, "kids": {}}
    for stack, count in stacks.items():
        node = tree
        node["n"] += count
        for frame in stack:
            node = node["kids"].setdefault(frame, {"n": 0, "kids": {}})
            node["n"] += count
    total = tree["n"]
    width, row, font = 1200.0, 16, 11
    rects: list[tuple[int, float, float, str, int]] = []
    text_x = 2

    def walk(node: dict[str, Any], depth: int, x: float) -> None:
        for frame, kid in sorted(node["kids"].items(), key=lambda kv: -kv[1]["n"]):
            if kid["n"] / total >= min_share:
                w = width * kid["n"] / total
                rects.append((depth, x, w, frame, kid["n"]))
                walk(kid, depth + 1, x)
            x += width * kid["n"] / total

    walk(tree, 0, 0.0)
    depth = max((r[0] for r in rects), default=0) + 1
    height = (depth + 2) * row
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{int(width)}" height="{height}" '
        f'font-family="monospace" font-size="{font}">',
        f'<text x="4" y="{row - 4}">{html.escape(title)}</text>',
    ]
    for d, x, w, frame, n in rects:
        y = height - (d + 1) * row
        short = frame
        hue = 20 + zlib.crc32(frame.encode()) % 40  # stable colours from run to run
        label = short if len(short) * font * 0.6 < w - 4 else short[: max(0, int((w - 4) / (font * 0.6)) - 1)]
        label = label if len(label) > 2 else ""
        parts.append(
            f"<g><title>{html.escape(short)}: {n} samples, {100 * n / total:.1f}%</title>"
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" fill="hsl({hue},85%,60%)"/>'
            + (f'<text x="{x + text_x:.1f}" y="{y + row - 4}">{html.escape(label)}</text>' if label else "")
            + "</g>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- the run


def main(argv: list[str] | None = None) -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--posts", type=int, default=1000, help="posts while py-spy samples")
    parser.add_argument("--warmup", type=int, default=200, help="posts before sampling starts")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--min-share", type=float, default=0.004, help="smallest frame kept in the SVG")
    parser.add_argument("--svg", type=Path, default=DOCS / "profile-moderated-post.svg")
    parser.add_argument("--stacks", type=Path, default=RESULTS / "profile-post-stacks.txt")
    parser.add_argument("--output", type=Path, default=RESULTS / "profile-post.json")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="stop posting after this long")
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        sys.exit("py-spy is not installed: .venv/bin/pip install -e '.[bench]'")
    args.stacks.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="townhall-profile-") as tmp:
        work = Path(tmp)
        server = Townhall(work, ORIGIN)
        server.env["TOWNHALL_WRITE_RATE_LIMIT"] = "0"
        server.prepare()
        key = server.cli("key", "create", "--site", "bench", "--label", "profile").strip().splitlines()[-1]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        argv_ = [sys.executable, "-m", "townhall", "--database-url", server.database_url, "serve"]
        argv_ += ["--port", str(port)]
        env = {**server.env, "TOWNHALL_MODERATION_ENABLED": "true"}
        process = Process("townhall-profile", argv_, work / "server.log", env)
        with running(process):
            soak.wait_ready(process, base + "/readyz")
            urls, vocab = push_articles(base, key)
            poster = Poster(port, urls, vocab)
            for n in range(args.warmup):
                poster.post(n)
            load_before = os.getloadavg()
            cpu_before = process.cpu_seconds()
            recorder = subprocess.Popen(  # noqa: S603 - fixed argv
                [
                    spy,
                    "record",
                    "--pid",
                    str(process.proc.pid),
                    "--rate",
                    str(args.rate),
                    "--format",
                    "raw",
                    "--nolineno",
                    "--output",
                    str(args.stacks),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            time.sleep(1.0)  # py-spy attaches
            started = time.perf_counter()
            deadline = time.monotonic() + args.max_seconds
            latencies = []
            n = args.warmup
            while n < args.warmup + args.posts and time.monotonic() < deadline:
                latencies.append(poster.post(n) * 1000)
                n += 1
            wall = time.perf_counter() - started
            recorder.send_signal(signal.SIGINT)
            _out, err = recorder.communicate(timeout=60)
            cpu = process.cpu_seconds() - cpu_before
            if not args.stacks.exists():
                sys.exit(f"py-spy wrote nothing: {err.decode(errors='replace')[-500:]}")
    posts = len(latencies)
    stacks, idle = read_stacks(args.stacks)
    samples = sum(stacks.values())
    # Samples fall a little outside the posting window (py-spy attaches and stops); scale by the
    # window's share so a post's ms are those of the posting loop.
    ms_per_sample_post = 1000.0 / args.rate / posts
    latencies.sort()
    result: dict[str, Any] = {
        "posts": posts,
        "wall_seconds": round(wall, 2),
        "server_cpu_ms_per_post": round(cpu * 1000 / posts, 2),
        "latency_ms_p50": round(latencies[posts // 2], 2),
        "latency_ms_p90": round(latencies[int(posts * 0.9)], 2),
        "samples": samples,
        "idle_samples_left_out": idle,
        "sampled_ms_per_post": round(samples * ms_per_sample_post, 2),
        "rate": args.rate,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "steps": table(classify(stacks, STEPS, leaf=False), samples, ms_per_sample_post),
        "leaves": table(classify(stacks, LEAVES, leaf=True), samples, ms_per_sample_post),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    title = (
        f"townhall serve, SQLite, models on: {posts} moderated posts, c=1, py-spy {args.rate} Hz; "
        f"frames >= {args.min_share:.1%} of {samples} samples"
    )
    args.svg.parent.mkdir(parents=True, exist_ok=True)
    args.svg.write_text(flame_svg(stacks, args.min_share, title), encoding="utf-8")
    report(result)
    print(f"flame graph: {args.svg} ({args.svg.stat().st_size // 1024} KiB); stacks: {args.stacks}")
    return 0


def report(result: dict[str, Any]) -> None:
    print(
        f"{result['posts']} posts in {result['wall_seconds']} s: latency p50 {result['latency_ms_p50']} ms,"
        f" p90 {result['latency_ms_p90']} ms; server CPU {result['server_cpu_ms_per_post']} ms/post;"
        f" sampled {result['sampled_ms_per_post']} ms/post ({result['samples']} samples);"
        f" load {result['load_average_before']} -> {result['load_average_after']}"
    )
    for heading, rows in (("by step of the post", result["steps"]), ("by leaf component", result["leaves"])):
        print(f"\n{heading}:\n| what | ms per post | share |\n|---|---:|---:|")
        for r in rows:
            print(f"| {r['what']} | {r['ms_per_post']:.2f} | {100 * r['share']:.1f} % |")


if __name__ == "__main__":
    sys.exit(main())
