"""Import and export of 100,000 comments: wall time and peak memory, each in its own process.

1. Writes a Disqus export with N comments (a generated file: threads of 50 posts, about a
   third of them replies to an earlier post of the same thread).
2. `townhall import disqus` into a fresh database, then `townhall export`, then `townhall
   restore` of that backup into a second fresh database; each command runs as a subprocess,
   timed from start to exit, with its peak resident memory (ru_maxrss from wait4).
3. The same for `townhall site list`: what the interpreter and Townhall's imports take alone.

Run: .venv/bin/python bench/moving.py [--comments 100000] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from tests import servers  # noqa: E402 - the tests' helpers start real servers the same way
from townhall.storage.engine import normalise_url  # noqa: E402

ORIGIN = "https://news.example"
WORDS = (
    "council",
    "ferry",
    "harbour",
    "budget",
    "tram",
    "school",
    "bridge",
    "market",
    "weather",
    "match",
    "roof",
    "flood",
    "volunteers",
    "timetable",
    "election",
    "library",
    "festival",
    "river",
    "planning",
    "housing",
    "night",
    "shift",
    "tickets",
    "museum",
)


def write_disqus(path: Path, comments: int, per_thread: int = 50, seed: int = 8) -> None:
    rng = random.Random(seed)
    start = datetime(2019, 1, 1, tzinfo=UTC)
    threads = (comments + per_thread - 1) // per_thread
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n')
        out.write('<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n')
        for t in range(threads):
            when = (start + timedelta(hours=t)).strftime("%Y-%m-%dT%H:%M:%SZ")
            out.write(
                f'<thread dsq:id="t{t}"><id>story-{t}</id><forum>bench</forum>'
                f"<link>{ORIGIN}/bench/story-{t}</link><title>Story {t}</title><message/>"
                f"<createdAt>{when}</createdAt><isClosed>false</isClosed><isDeleted>false</isDeleted></thread>\n"
            )
        for c in range(comments):
            t = c // per_thread
            first = t * per_thread
            parent = (
                f'<parent dsq:id="p{rng.randrange(first, c)}"/>' if c > first and rng.random() < 0.35 else ""
            )
            when = (start + timedelta(hours=t, minutes=c - first)).strftime("%Y-%m-%dT%H:%M:%SZ")
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 45)))
            reader = rng.randrange(comments // 5 + 1)
            out.write(
                f'<post dsq:id="p{c}"><id/><message><![CDATA[<p>{escape(text)}</p>]]></message>'
                f"<createdAt>{when}</createdAt><isDeleted>false</isDeleted><isSpam>false</isSpam>"
                f"<author><email>reader{reader}@example.org</email><name>Reader {reader}</name>"
                f'<isAnonymous>true</isAnonymous></author><thread dsq:id="t{t}"/>{parent}</post>\n'
            )
        out.write("</disqus>\n")


def measure(args: list[str]) -> tuple[float, float, float]:
    """Run ``townhall ARGS``; (wall seconds, CPU seconds, peak resident MiB). Fails loudly on failure.

    CPU time (user + system) is given beside wall time because this machine is shared: other
    work stretches the wall clock, not the CPU the command used."""
    started = time.perf_counter()
    env = {**os.environ, "TOWNHALL_SECRET_KEY": "bench-secret"}  # PostgreSQL needs one set
    process = subprocess.Popen([sys.executable, "-m", "townhall", *args], stdout=subprocess.PIPE, env=env)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    output = process.stdout.read().decode() if process.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"townhall {' '.join(args)} failed:\n{output}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # ru_maxrss: KiB on Linux


@contextmanager
def databases(tmp: Path, postgres: bool) -> Iterator[tuple[str, str]]:
    if not postgres:
        yield f"sqlite:///{tmp / 'import.sqlite3'}", f"sqlite:///{tmp / 'restore.sqlite3'}"
        return
    with servers.postgres() as url:
        engine = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("CREATE DATABASE restored"))
        engine.dispose()
        yield url, url.rsplit("/", 1)[0] + "/restored"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite files")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as name, nullcontext(Path(name)) as tmp:
        export = tmp / "disqus.xml"
        write_disqus(export, options.comments)
        backup = tmp / "backup.jsonl.gz"
        with databases(tmp, options.postgres) as (first, second):
            measure(["--database-url", first, "migrate"])
            measure(["--database-url", first, "site", "add", "bench", "--name", "Bench", "--origin", ORIGIN])
            sizes = f"Disqus file {export.stat().st_size / 2**20:.1f} MiB"
            rows = {
                "baseline (townhall site list)": measure(["--database-url", first, "site", "list"]),
                "import disqus": measure(
                    ["--database-url", first, "import", "disqus", str(export), "--site", "bench", "--quiet"]
                ),
                "export": measure(["--database-url", first, "export", "--output", str(backup), "--quiet"]),
                "restore": measure(["--database-url", second, "restore", str(backup), "--quiet"]),
            }
            sizes += f", backup {backup.stat().st_size / 2**20:.1f} MiB"
    backend = "PostgreSQL" if options.postgres else "SQLite"
    print(f"{options.comments} comments, {backend}; {sizes}")
    print("| step | wall seconds | CPU seconds | peak RSS (MiB) |\n|---|---|---|---|")
    for step, (seconds, cpu, peak) in rows.items():
        print(f"| {step} | {seconds:.1f} | {cpu:.1f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
