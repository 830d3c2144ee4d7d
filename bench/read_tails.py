"""Read latency tails at c=64 on one worker, with the garbage collector's pauses measured.

Seeds one story with bench/run.py's 100-comment thread (a server without models), then for each
setup starts ``townhall serve`` (SQLite, one worker; ``--models`` on or off) through a small
wrapper that records every collection of the oldest generation (when, how long) and writes them
out when the server stops. wrk reads the thread at ``--concurrency`` for ``--seconds``, ``--runs``
times (after a 2 s warm-up), with bench/wrk.lua, as bench/run.py does. ``--no-freeze`` starts the
same code with ``gc.freeze()`` made a no-op, which is how the server ran before it froze its
start-up objects.

    .venv/bin/python bench/read_tails.py                       # frozen and not, models on
    .venv/bin/python bench/read_tails.py --setups frozen --models off
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness import Process, free_port, running, wrk  # noqa: I001 - bench/ is the script's dir
from subjects import STORY_PATH, Townhall, seed_comments

ORIGIN = "http://news.example"
# Runs the server with a hook on the collector: each full collection's start and length, written
# as JSON when the process exits. BENCH_NO_FREEZE makes gc.freeze() do nothing.
WRAPPER = """
import gc, json, os, runpy, sys, time
log, started = os.environ["BENCH_GC_LOG"], [0.0]
def hook(phase, info):
    if info["generation"] != 2:
        return
    if phase == "start":
        started[0] = time.perf_counter()
        return
    took = (time.perf_counter() - started[0]) * 1000
    with open(log, "a") as f:  # uvicorn ends the process by its signal: no atexit
        f.write(json.dumps([time.time(), took, info["collected"], gc.get_freeze_count()]) + "\\n")
gc.callbacks.append(hook)
if os.environ.get("BENCH_NO_FREEZE"):
    gc.freeze = lambda: None
sys.argv = ["townhall", *sys.argv[1:]]
runpy.run_module("townhall", run_name="__main__")
"""


def measure(townhall: Townhall, work: Path, setup: str, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = work / f"gc-{setup}.json"
    argv = [
        sys.executable,
        "-c",
        WRAPPER,
        "--database-url",
        townhall.database_url,
        "serve",
        "--port",
        str(port),
    ]
    env = {**townhall.env, "TOWNHALL_MODERATION_ENABLED": "true" if args.models == "on" else "false"}
    env["BENCH_GC_LOG"] = str(log)
    if setup == "not frozen":
        env["BENCH_NO_FREEZE"] = "1"
    url = base + Townhall.thread_path(ORIGIN + STORY_PATH)
    headers = {"Origin": ORIGIN, "Accept": "application/json"}
    runs = []
    with running(Process(f"townhall-{setup.replace(' ', '-')}", argv, work / f"{setup}.log", env)) as server:
        server.wait_ready(base + "/readyz", 300.0, strict=True)
        wrk(url, 16, 2, headers)  # warm-up, not recorded
        started = time.time()
        for _ in range(args.runs):
            runs.append(wrk(url, args.concurrency, args.seconds, headers))
        ended = time.time()
    pauses = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    during = [p for p in pauses if started <= p[0] <= ended]
    return {
        "setup": setup,
        "runs": runs,
        "p50_ms": [r["p50_us"] / 1000 for r in runs],
        "p99_ms": [r["p99_us"] / 1000 for r in runs],
        "rps": [r["requests"] / r["duration_us"] * 1e6 for r in runs],
        "full_collections": len(during),
        "full_collection_ms": [round(p[1], 1) for p in during],
        "frozen_objects": during[-1][3] if during else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--setups", default="not frozen,frozen", help="comma-separated: 'not frozen', 'frozen'"
    )
    parser.add_argument("--models", choices=("on", "off"), default="on")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="townhall-tails-") as tmp:
        work = Path(tmp)
        townhall = Townhall(work, ORIGIN)
        townhall.env["TOWNHALL_WRITE_RATE_LIMIT"] = "0"
        townhall.prepare()
        port = free_port()
        with running(townhall.start(port, 1, moderation=False)):
            townhall.seed(f"http://127.0.0.1:{port}", ORIGIN + STORY_PATH, seed_comments())
        for setup in args.setups.split(","):
            results.append(measure(townhall, work, setup.strip(), args))
    print(f"reads at c={args.concurrency}, one worker, models {args.models}, load {os.getloadavg()[0]:.1f}:")
    for r in results:
        pauses = r["full_collection_ms"]
        print(
            f"  {r['setup']}: p50 {', '.join(f'{x:.2f}' for x in r['p50_ms'])} ms;"
            f" p99 {', '.join(f'{x:.1f}' for x in r['p99_ms'])} ms;"
            f" req/s {', '.join(f'{x:,.0f}' for x in r['rps'])};"
            f" {r['full_collections']} full collections"
            + (f" of {statistics.median(pauses):.0f} ms median, {max(pauses):.0f} max" if pauses else "")
            + f" (frozen objects: {r['frozen_objects']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
