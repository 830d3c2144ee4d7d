"""Issue #12's figures in one run: Townhall with its models on, beside Isso and a static nginx.

Everything runs on this machine over 127.0.0.1, one server at a time, from a fresh temporary
directory, and every server is stopped (its whole process group) afterwards:

* **nginx** serves the exact bytes of Townhall's 100-comment thread as a static file (the
  ceiling for reads) and the "news site" page whose origin the comment servers allow;
* **Townhall, SQLite, 1 worker**: posts with the models off, then (fresh starts, models on)
  the first read after start and thread reads at c=1/16/64, the first moderated post after
  start, moderated posts at c=1/8 and its memory;
* **Isso** (PyPI ``isso`` under gunicorn, 2 sync workers, SQLite, guard off): posts at c=1/8;
* **Townhall, PostgreSQL, 2 workers** (``serve --workers 2`` forks workers that share the
  models), in a throwaway cluster with PostgreSQL's own durability settings: the first read
  and first moderated post of each worker, moderated posts at c=1/8, memory (RSS and PSS);
* **the soak**, last (so its time limit cuts nothing else): a fresh SQLite server with the
  models on, ``--soak-warmup`` moderated posts, then ``--soak-posts`` more, RSS read between
  (bench/soak.py's loop: 2 client threads, comments of 8 to 90 words, a new story every 100).

wrk drives every throughput cell (bench/wrk.lua). Each cell runs ``--runs`` times and reports
the median. At the end: one table of the issue's targets, each with the figure measured and
"met" / "not met", and the whole report as JSON (``--output``). Exits 1 if any cell had errors
or any part could not be measured. See docs/benchmarks.md.

    .venv/bin/python bench/run.py            # the full run
    .venv/bin/python bench/run.py --quick    # a smoke check of every part (about 3 minutes)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import verdicts
from harness import Process, find_tool, free_port, http, running
from phases import PARTS, Phases, Plan, Site
from subjects import POSTGRES_SETTINGS, WORDS, Townhall, start_nginx, write_site

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_OUTPUT = BENCH_DIR / "results" / "latest.json"
READY_TIMEOUT = 60.0

sys.path.insert(0, str(REPO))
from tests import servers  # noqa: E402 - the tests' helper starts a throwaway PostgreSQL

# What other bench scripts take from here (onnx_session.py, profile_post.py).
__all__ = ["WORDS", "Process", "Townhall", "free_port", "http", "main", "running"]


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, Plan]:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 10; --quick: 2)")
    parser.add_argument("--runs", type=int, help="runs per cell, the median reported (default 3; --quick: 1)")
    parser.add_argument(
        "--soak-posts", type=int, help="moderated posts in the soak after warm-up (default 20000)"
    )
    parser.add_argument(
        "--soak-warmup", type=int, help="moderated posts before the soak's first reading (default 2000)"
    )
    parser.add_argument(
        "--soak-max-seconds", type=float, default=1200.0, help="stop the soak after this long (default 1200)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke check: 2 s runs, 1 run, a 300-post soak"
    )
    parser.add_argument("--isso-workers", type=int, default=2, help="gunicorn workers for Isso (default 2)")
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"parts to run, comma-separated (default all: {','.join(PARTS)}); for trying things out",
    )
    parser.add_argument(
        "--postgres-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL setting over its defaults (repeatable), e.g. synchronous_commit=off",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where the JSON report goes")
    parser.add_argument(
        "--report", type=Path, metavar="JSON", help="print the tables of a saved run's JSON and stop (no run)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (databases, logs)")
    args = parser.parse_args(argv)
    quick = args.quick
    plan = Plan(
        seconds=args.duration or (2 if quick else 10),
        runs=args.runs or (1 if quick else 3),
        warm_requests=5 if quick else 30,
        soak_warmup=args.soak_warmup if args.soak_warmup is not None else (50 if quick else 2000),
        soak_posts=args.soak_posts if args.soak_posts is not None else (300 if quick else 20000),
        soak_samples=3 if quick else 10,
        soak_max_seconds=args.soak_max_seconds,
        isso_workers=args.isso_workers,
        parts=[part.strip() for part in args.parts.split(",") if part.strip()],
        postgres_settings=POSTGRES_SETTINGS | dict(pair.split("=", 1) for pair in args.postgres_setting),
    )
    if any("=" not in pair or " " in pair for pair in args.postgres_setting):
        parser.error("--postgres-setting takes NAME=VALUE")
    if not plan.parts or set(plan.parts) - set(PARTS):
        parser.error(f"--parts takes some of {','.join(PARTS)}")
    if not 1 <= plan.seconds <= 120:
        parser.error("--duration must be 1 to 120 seconds")
    if not 1 <= plan.runs <= 20:
        parser.error("--runs must be 1 to 20")
    if not 0 <= plan.soak_posts <= 200_000 or not 0 <= plan.soak_warmup <= 50_000:
        parser.error("--soak-posts takes 0 to 200000, --soak-warmup 0 to 50000")
    return args, plan


def main(argv: list[str] | None = None) -> int:
    args, plan = parse_args(argv)
    if args.report:
        saved = json.loads(args.report.read_text(encoding="utf-8"))
        print(f"`{saved.get('command')}` at {saved.get('commit')}, finished {saved.get('finished_at')}")
        print(f"load: {saved.get('load')}\n")
        print(verdicts.markdown(saved))
        return 0
    for tool in ("wrk", "nginx"):
        if find_tool(tool) is None:
            print(
                f"{tool} is not installed: `make system-deps` installs it (Debian packages wrk, nginx-light)"
            )
            return 2
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="townhall-bench-"))
    uptime_before = uptime()
    print(f"bench: {plan}\nwork dir {work}; {uptime_before}", flush=True)
    notes: list[str] = []
    report: dict[str, Any] = {}
    try:
        report = run_all(plan, work, notes)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    rows = verdicts.evaluate(report)
    also = verdicts.informative(report)
    elapsed = time.monotonic() - started
    loads = [run["load_1min"] for cell in report.get("cells", []) for run in cell["runs"]]
    report |= {
        "command": " ".join(
            [".venv/bin/python", "bench/run.py", *(argv if argv is not None else sys.argv[1:])]
        ),
        "commit": git_commit(),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "elapsed_s": round(elapsed, 1),
        "plan": vars(plan),
        "machine": machine(),
        "load": {
            "uptime_before": uptime_before,
            "uptime_after": uptime(),
            "during_1min_max": max(loads, default=None),
            "during_1min_mean": round(sum(loads) / len(loads), 2) if loads else None,
        },
        "targets": rows,
        "also": also,
        "notes": notes,
    }
    print("\n" + verdicts.markdown(report))
    for note in notes:
        print(f"note: {note}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.output} ({elapsed:.0f} s in all; {report['load']['uptime_after']})")
    failed = [c for c in report.get("cells", []) if c["summary"]["errors"]]
    if failed:
        print(f"{len(failed)} cell(s) had errors: see the errors column")
    if failed or notes:
        return 1
    return 0


def run_all(plan: Plan, work: Path, notes: list[str]) -> dict[str, Any]:
    """Every phase; a phase that fails is noted (and the run exits 1) and the next one still runs."""
    nginx_root = work / "nginx"
    nginx_port = free_port()
    site = Site(f"http://127.0.0.1:{nginx_port}", nginx_root / "www")
    write_site(site.www)
    with running(start_nginx(nginx_root, nginx_port)) as nginx:
        nginx.wait_ready(site.story_url, READY_TIMEOUT)
        phases = Phases(plan, work, site, nginx)
        parts = {
            "sqlite": ("Townhall on SQLite", phases.sqlite),
            "isso": ("Isso", phases.isso),
            "postgres": ("Townhall on PostgreSQL", lambda: postgres_phase(phases)),
            "soak": ("Soak (Townhall on SQLite)", phases.soak),
        }
        timings = {}
        for key in PARTS:  # always in this order: the soak last, its time limit cuts nothing else
            if key in plan.parts:
                started = time.monotonic()
                attempt(parts[key][1], parts[key][0], notes)
                timings[key] = round(time.monotonic() - started, 1)
                print(f"  ({key}: {timings[key]:.0f} s)", flush=True)
    return phases.report | {"part_seconds": timings}


def postgres_phase(phases: Phases) -> None:
    with (
        servers.postgres(phases.plan.postgres_settings) as url,
        servers.redis(phases.work / "redis") as redis_url,
    ):
        phases.postgres(url, redis_url)


def attempt(part: Any, name: str, notes: list[str]) -> None:
    print(f"\n== {name}", flush=True)
    try:
        part()
    except (RuntimeError, OSError, subprocess.SubprocessError, servers.MissingBinary) as exc:
        last = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        notes.append(f"{name} was not measured to the end: {last}")
        print(f"  {name} FAILED: {exc}", flush=True)


def uptime() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def git_commit() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return done.stdout.strip()
    return "unknown"


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    def tool_version(argv: list[str]) -> str:
        with contextlib.suppress(OSError, subprocess.SubprocessError, IndexError):
            done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)  # noqa: S603
            return (done.stdout + done.stderr).strip().splitlines()[0]
        return "unknown"

    postgres = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    packages = ("townhall", "uvicorn", "uvloop", "httptools", "onnxruntime", "isso", "gunicorn")
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": tool_version(["wrk", "--version"]),
        "nginx": tool_version([find_tool("nginx") or "nginx", "-v"]),
        "postgresql": tool_version([str(postgres[-1]), "--version"]) if postgres else "not installed",
        "packages": {p: version(p) for p in packages},
    }


if __name__ == "__main__":
    sys.exit(main())
