"""Thread reads and comment posts: Townhall against Isso and a static nginx ceiling.

Everything runs on this machine over loopback, in one go (about 4½ minutes at the default
10 s per measurement):

* nginx serves the exact JSON body Townhall returns for a 100-comment thread, as a static
  file: the ceiling no dynamic server beats. It also serves the "news site" whose origin the
  comment servers allow.
* Townhall (``python -m townhall serve``, SQLite, moderation off) with 1 and 2 worker
  processes for reads, 1 for posts; and posts again with moderation on when
  ``townhall.moderation.build_moderator`` exists.
* Isso (PyPI ``isso`` under gunicorn, SQLite, guard/rate limit off), seeded with the same
  100 comments.

wrk drives every measurement (bench/wrk.lua prints the figures). The table goes to stdout and
the figures to bench/results/latest.json. See docs/benchmarks.md for what each number means.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
WRK_SCRIPT = BENCH_DIR / "wrk.lua"
DEFAULT_OUTPUT = BENCH_DIR / "results" / "latest.json"

SITE = "bench"
STORY_PATH = "/2024/06/harbour-bridge-vote"  # the 100-comment story every read fetches
POSTS_PATH = "/2024/06/bench-posts"  # posts go to another story, so the read thread stays 100
SEED_COMMENTS = 100
READY_TIMEOUT = 60.0  # seconds a server may take to answer its first request
MODERATED_READY_TIMEOUT = 240.0  # loading the moderation models takes longer
STOP_TIMEOUT = 10.0
WARMUP_SECONDS = 2
SETTLE_TIMEOUT = 120.0
WRK_TIMEOUT = "30s"  # an Isso read costs ~60 ms of CPU, so at c64 requests queue for seconds

WORDS = " ".join(
    [
        "the council voted on the harbour bridge budget after a long meeting about traffic housing and",
        "the new transit plan residents asked why the school repairs were delayed again while the mayor",
        "said the report would be published next week and the zoning changes need another public hearing",
        "before anyone can say what it costs the city water energy and parks departments",
    ]
).split(" ")


# --------------------------------------------------------------------------- processes


def find_tool(name: str) -> str | None:
    """A Debian tool, also from /usr/sbin when that is not on PATH (nginx for non-root users)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def clean_environment(extra: dict[str, str] | None) -> dict[str, str]:
    """This process's environment without the caller's own TOWNHALL_* settings, plus ``extra``."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TOWNHALL_")}
    return {**inherited, **(extra or {})}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """A server started in its own process group, so stopping it also stops its workers."""

    def __init__(self, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None):
        self.name = name
        self.log = log
        self._log_file = log.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv built here
            argv,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=clean_environment(env),
            start_new_session=True,
        )

    def wait_ready(self, url: str, timeout: float, headers: dict[str, str] | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; log:\n{self.tail()}")
            try:
                status, _ = http("GET", url, headers=headers, timeout=2.0)
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer {url} within {timeout:.0f} s; log:\n{self.tail()}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of every live process in this server's group (master and workers)."""
        ticks = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == self.proc.pid:  # pgrp
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def tail(self, lines: int = 30) -> str:
        self._log_file.flush()
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(STOP_TIMEOUT)
        # Workers of this group may outlive the leader by a moment.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._log_file.close()


@contextlib.contextmanager
def running(process: Process) -> Iterator[Process]:
    try:
        yield process
    finally:
        process.stop()


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None, timeout: float = 30.0
) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))  # noqa: S310
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback only
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def run_checked(argv: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(  # noqa: S603
        argv, env=clean_environment(env), capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


# --------------------------------------------------------------------------- seed data


@dataclass(frozen=True)
class SeedComment:
    author: str
    text: str
    parent: int | None  # index into the seed list


def seed_comments(count: int = SEED_COMMENTS) -> list[SeedComment]:
    """The same 100 comments for both servers: 40 top-level, 60 replies up to 3 deep, Markdown."""
    rng = random.Random(20240611)  # noqa: S311 - reproducible text, not security
    comments: list[SeedComment] = []
    for i in range(count):
        sentences = []
        for _ in range(rng.randint(2, 5)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
            sentences.append(" ".join(words).capitalize() + ".")
        if i % 7 == 3:
            sentences[0] = "*" + sentences[0] + "*"
        if i % 11 == 5:
            sentences.append("See [the minutes](https://news.example/minutes).")
        text = " ".join(sentences)
        if i % 9 == 4:
            text += "\n\n> " + " ".join(rng.choice(WORDS) for _ in range(10))
        # Pattern per five: top, reply, reply-to-reply, reply to the top, top.
        parent = {0: None, 1: i - 1, 2: i - 1, 3: i - 3, 4: None}[i % 5]
        comments.append(SeedComment(author=f"Reader {i % 37}", text=text, parent=parent))
    return comments


def count_nested(comments: list[dict[str, Any]], key: str = "replies") -> int:
    return sum(1 + count_nested(c.get(key) or [], key) for c in comments)


# --------------------------------------------------------------------------- nginx


def start_nginx(root: Path, port: int) -> Process:
    """nginx with a generated config: worker_processes auto, access_log off, daemon off."""
    www = root / "www"
    (root / "logs").mkdir(parents=True, exist_ok=True)
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must read files under a 0700 temp dir
    conf = f"""{user}worker_processes auto;
daemon off;
pid {root}/nginx.pid;
error_log {root}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 65;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    types {{ application/json json; text/html html; }}
    default_type text/html;
    server {{
        listen 127.0.0.1:{port};
        root {www};
        location = /thread.json {{ default_type application/json; }}
        location / {{ try_files $uri $uri.html =404; }}
    }}
}}
"""
    (root / "nginx.conf").write_text(conf, encoding="utf-8")
    nginx = find_tool("nginx") or "nginx"
    return Process(
        "nginx", [nginx, "-c", str(root / "nginx.conf"), "-p", str(root)], root / "logs" / "stdout.log"
    )


def write_site(www: Path) -> None:
    """The 'news site' page whose origin the comment servers allow."""
    page = www / (STORY_PATH.lstrip("/") + ".html")
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(
        "<!doctype html><title>Harbour bridge vote</title><h1>Harbour bridge vote</h1>"
        "<p>The council voted on the harbour bridge budget.</p>",
        encoding="utf-8",
    )


# --------------------------------------------------------------------------- Townhall


class Townhall:
    def __init__(self, work: Path, origin: str):
        self.work = work
        self.origin = origin
        self.database_url = f"sqlite:///{work / 'townhall.sqlite3'}"
        self.env = {
            "TOWNHALL_FETCH_ARTICLES": "false",
            "TOWNHALL_SECRET_KEY": "bench-" + os.urandom(16).hex(),
            "TOWNHALL_LOG_LEVEL": "warning",
            "TOWNHALL_MODERATION_ENABLED": "false",
            # Posts come from one address; each wrk request says it forwards another (see wrk.lua).
            "TOWNHALL_TRUSTED_PROXIES": "127.0.0.1",
        }

    def cli(self, *args: str) -> str:
        return run_checked(
            [sys.executable, "-m", "townhall", "--database-url", self.database_url, *args], self.env
        )

    def prepare(self) -> None:
        self.cli("migrate")
        self.cli("site", "add", SITE, "--name", "Bench", "--origin", self.origin)

    def start(self, port: int, workers: int, moderation: bool = False) -> Process:
        argv = [
            sys.executable,
            "-m",
            "townhall",
            "--database-url",
            self.database_url,
            "serve",
            "--port",
            str(port),
        ]
        argv += ["--workers", str(workers)]
        env = {**self.env, "TOWNHALL_MODERATION_ENABLED": "true" if moderation else "false"}
        name = f"townhall-w{workers}{'-moderated' if moderation else ''}"
        process = Process(name, argv, self.work / f"{name}.log", env)
        base = f"http://127.0.0.1:{port}"
        process.wait_ready(base + "/healthz", MODERATED_READY_TIMEOUT if moderation else READY_TIMEOUT)
        return process

    @staticmethod
    def thread_path(story_url: str) -> str:
        query = urllib.parse.urlencode({"site": SITE, "url": story_url, "limit": SEED_COMMENTS})
        return f"/api/v1/threads?{query}"

    def seed(self, base: str, story_url: str, comments: list[SeedComment]) -> None:
        ids: list[int] = []
        for i, seed in enumerate(comments):
            body: dict[str, Any] = {
                "site": SITE,
                "url": story_url,
                "body": seed.text,
                "author_name": seed.author,
            }
            if seed.parent is not None:
                body["parent_id"] = ids[seed.parent]
            headers = {"Origin": self.origin, "X-Forwarded-For": f"10.255.{i // 256}.{i % 256}"}
            status, raw = http("POST", base + "/api/v1/comments", body, headers)
            if status != 201:
                raise RuntimeError(f"Townhall seed comment {i}: HTTP {status} {raw[:300]!r}")
            reply = json.loads(raw)
            if reply["status"] != "published":
                raise RuntimeError(f"Townhall seed comment {i} was not published: {reply['status']}")
            ids.append(int(reply["comment"]["id"]))


# --------------------------------------------------------------------------- Isso


class Isso:
    def __init__(self, work: Path, origin: str):
        self.work = work
        self.origin = origin
        self.config = work / "isso.cfg"

    def write_config(self) -> None:
        # Isso's defaults except: our database, the news site's origin, no guard (its rate limit
        # is 2 comments a minute per address), no moderation queue (Townhall's is off too).
        self.config.write_text(
            f"""[general]
dbpath = {self.work / "isso.sqlite3"}
host = {self.origin}
notify = stdout
gravatar = false

[moderation]
enabled = false

[server]
listen = http://127.0.0.1:0/

[guard]
enabled = false
ratelimit = 1000000
direct-reply = 1000000
reply-to-self = true
""",
            encoding="utf-8",
        )

    def start(self, port: int, workers: int) -> Process:
        argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
        argv += ["--preload", "--log-level", "warning", "--timeout", "120", "isso.run:application"]
        process = Process(
            f"isso-w{workers}", argv, self.work / "isso.log", {"ISSO_SETTINGS": str(self.config)}
        )
        process.wait_ready(f"http://127.0.0.1:{port}/info", READY_TIMEOUT)
        return process

    def seed(self, base: str, comments: list[SeedComment]) -> None:
        ids: list[int] = []
        for i, seed in enumerate(comments):
            body: dict[str, Any] = {"text": seed.text, "author": seed.author, "title": "Harbour bridge vote"}
            if seed.parent is not None:
                body["parent"] = ids[seed.parent]
            query = urllib.parse.urlencode({"uri": STORY_PATH})
            status, raw = http("POST", f"{base}/new?{query}", body, {"Origin": self.origin})
            if status != 201:
                raise RuntimeError(f"Isso seed comment {i}: HTTP {status} {raw[:300]!r}")
            ids.append(int(json.loads(raw)["id"]))


# --------------------------------------------------------------------------- wrk


@dataclass
class Result:
    server: str  # nginx, townhall, isso
    setup: str  # e.g. "static file", "1 worker", "2 workers, moderation on"
    operation: str  # read, post
    concurrency: int
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    cpu_ms_per_request: float | None  # the server's own CPU time (all its processes) over requests
    errors: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def failed(self) -> int:
        return sum(self.errors.values())


def wrk(
    url: str, concurrency: int, seconds: int, headers: dict[str, str], post_env: dict[str, str] | None = None
) -> dict[str, Any]:
    threads = max(1, min(2, concurrency))
    argv = [
        find_tool("wrk") or "wrk",
        "-t",
        str(threads),
        "-c",
        str(concurrency),
        "-d",
        f"{seconds}s",
        "--timeout",
        WRK_TIMEOUT,
    ]
    argv += ["--latency", "-s", str(WRK_SCRIPT)]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    argv.append(url)
    env = {**os.environ, **(post_env or {})}
    done = subprocess.run(  # noqa: S603
        argv, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return dict(json.loads(line.removeprefix("BENCH_JSON ")))
    raise RuntimeError(f"wrk gave no figures ({done.returncode}):\n{done.stdout}\n{done.stderr}")


@dataclass
class Target:
    """A running server under test, and a cheap URL that answers once its queue has drained."""

    server: str  # nginx, townhall, isso
    setup: str
    process: Process
    settle_url: str

    def settle(self) -> None:
        # wrk stops with requests still queued in slow servers (Isso's sync workers finish them
        # after the connections close); a new connection is answered only after those, so the
        # next measurement starts on an idle server.
        http("GET", self.settle_url, timeout=SETTLE_TIMEOUT)


class Bench:
    def __init__(self, seconds: int, concurrencies: list[int]):
        self.seconds = seconds
        self.concurrencies = concurrencies
        self.results: list[Result] = []

    def measure(
        self,
        target: Target,
        operation: str,
        url: str,
        headers: dict[str, str],
        post_env: dict[str, str] | None = None,
        concurrencies: list[int] | None = None,
        note: str = "",
    ) -> None:
        server, setup = target.server, target.setup
        wrk(url, 16, WARMUP_SECONDS, headers, post_env)  # fill caches, open files; not recorded
        target.settle()
        for c in concurrencies or self.concurrencies:
            cpu_before = target.process.cpu_seconds()
            figures = wrk(url, c, self.seconds, headers, post_env)
            cpu = target.process.cpu_seconds() - cpu_before
            target.settle()
            seconds = figures["duration_us"] / 1e6
            result = Result(
                server=server,
                setup=setup,
                operation=operation,
                concurrency=c,
                rps=figures["requests"] / seconds if seconds else 0.0,
                p50_ms=figures["p50_us"] / 1000,
                p99_ms=figures["p99_us"] / 1000,
                requests=figures["requests"],
                cpu_ms_per_request=cpu * 1000 / figures["requests"] if figures["requests"] else None,
                errors={k: v for k, v in figures["errors"].items() if v},
                note=note,
            )
            self.results.append(result)
            flag = f"  ERRORS {result.errors}" if result.errors else ""
            print(
                f"  {server:8} {setup:24} {operation:5} c={c:<3} {result.rps:10.1f} req/s"
                f"  p50 {result.p50_ms:8.2f} ms  p99 {result.p99_ms:8.2f} ms{flag}",
                flush=True,
            )

    def find(self, server: str, setup: str, operation: str, concurrency: int) -> Result | None:
        for r in self.results:
            if (r.server, r.setup, r.operation, r.concurrency) == (server, setup, operation, concurrency):
                return r
        return None


# --------------------------------------------------------------------------- report


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
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)  # noqa: S603
            return (done.stdout + done.stderr).strip().splitlines()[0]
        return "unknown"

    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": tool_version(["wrk", "--version"]),
        "nginx": tool_version([find_tool("nginx") or "nginx", "-v"]),
        "packages": {
            p: version(p) for p in ("townhall", "uvicorn", "uvloop", "httptools", "isso", "gunicorn")
        },
    }


def ratio(a: Result | None, b: Result | None) -> float | None:
    if a is None or b is None or not b.rps:
        return None
    return a.rps / b.rps


def ratios(bench: Bench) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    isso_setup = next((r.setup for r in bench.results if r.server == "isso"), "")
    for c in bench.concurrencies:
        nginx = bench.find("nginx", "static file", "read", c)
        isso_read = bench.find("isso", isso_setup, "read", c)
        for setup in ("1 worker", "2 workers"):
            townhall = bench.find("townhall", setup, "read", c)
            target = 0.25 if c == 16 else None
            what = f"read c{c}: Townhall ({setup}) / nginx static"
            rows.append({"what": what, "value": ratio(townhall, nginx), "target": target})
            what = f"read c{c}: Townhall ({setup}) / Isso ({isso_setup})"
            rows.append({"what": what, "value": ratio(townhall, isso_read), "target": None})
    for setup in ("1 worker", "1 worker, moderation on"):
        for c in bench.concurrencies:
            townhall = bench.find("townhall", setup, "post", c)
            if townhall is None:
                continue
            isso_post = bench.find("isso", isso_setup, "post", c)
            what = f"post c{c}: Townhall ({setup}) / Isso ({isso_setup})"
            rows.append({"what": what, "value": ratio(townhall, isso_post), "target": None})
    return rows


def print_table(bench: Bench, ratio_rows: list[dict[str, Any]], notes: list[str]) -> None:
    header = f"{'operation':9} {'server':9} {'setup':26} {'conc':>4} {'req/s':>10} {'p50 ms':>9}"
    header += f" {'p99 ms':>9} {'CPU ms/req':>10}  errors"
    print("\n" + header)
    print("-" * len(header))
    order = {"read": 0, "post": 1}
    for r in sorted(bench.results, key=lambda r: (order[r.operation], r.concurrency)):
        errors = ", ".join(f"{k} {v}" for k, v in r.errors.items()) or "-"
        setup = r.setup + (f" [{r.note}]" if r.note else "")
        cpu = "-" if r.cpu_ms_per_request is None else f"{r.cpu_ms_per_request:.3f}"
        print(
            f"{r.operation:9} {r.server:9} {setup:26} {r.concurrency:>4} {r.rps:>10.1f} "
            f"{r.p50_ms:>9.2f} {r.p99_ms:>9.2f} {cpu:>10}  {errors}"
        )
    print("\nratios (req/s over req/s)")
    for row in ratio_rows:
        value = "n/a" if row["value"] is None else f"{row['value']:.3f}"
        target = ""
        if row["target"] is not None and row["value"] is not None:
            verdict = "met" if row["value"] >= row["target"] else "MISSED"
            target = f"   target >= {row['target']:.2f}: {verdict}"
        print(f"  {row['what']:62} {value:>10}{target}")
    for note in notes:
        print(f"note: {note}")


# --------------------------------------------------------------------------- main


def moderator_available() -> bool:
    try:
        import townhall.moderation as moderation  # noqa: PLC0415
    except ImportError:
        return False
    return hasattr(moderation, "build_moderator")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement (default 10)")
    parser.add_argument("--concurrency", default="1,16,64", help="comma-separated connection counts")
    parser.add_argument("--isso-workers", type=int, default=2, help="gunicorn workers for Isso (default 2)")
    parser.add_argument("--skip-isso", action="store_true", help="leave Isso out (quicker)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where the JSON figures go")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (databases, logs)")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 120:
        parser.error("--duration must be 1 to 120 seconds")
    concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    if not concurrencies or any(not 1 <= c <= 1024 for c in concurrencies):
        parser.error("--concurrency takes numbers from 1 to 1024")
    for tool in ("wrk", "nginx"):
        if find_tool(tool) is None:
            print(
                f"{tool} is not installed: `make system-deps` installs it (Debian packages wrk, nginx-light)"
            )
            return 2

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="townhall-bench-"))
    notes: list[str] = []
    bench = Bench(args.duration, concurrencies)
    load_before = os.getloadavg()
    print(f"bench: {args.duration} s per run, concurrency {concurrencies}, work dir {work}", flush=True)
    try:
        run_all(bench, work, args, notes)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    ratio_rows = ratios(bench)
    print_table(bench, ratio_rows, notes)
    elapsed = time.monotonic() - started
    report = {
        "command": " ".join(
            [Path(sys.executable).name, "bench/run.py", *(argv if argv is not None else sys.argv[1:])]
        ),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "elapsed_s": round(elapsed, 1),
        "duration_s": args.duration,
        "machine": machine(),
        # Other work on the machine while this ran (1, 5 and 15 minute load averages).
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "results": [asdict(r) for r in bench.results],
        "ratios": ratio_rows,
        "notes": notes,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nwrote {args.output} ({elapsed:.0f} s in all; load average now {load})")
    failed = [r for r in bench.results if r.failed]
    if failed:
        print(f"{len(failed)} measurement(s) had errors: see the errors column")
        return 1
    return 0


def run_all(bench: Bench, work: Path, args: argparse.Namespace, notes: list[str]) -> None:
    comments = seed_comments()
    nginx_root = work / "nginx"
    nginx_port = free_port()
    origin = f"http://127.0.0.1:{nginx_port}"
    story_url = origin + STORY_PATH
    posts_url = origin + POSTS_PATH
    write_site(nginx_root / "www")
    # What the widget's fetch sends from the news site's page (a cross-origin request).
    read_headers = {"Origin": origin, "Accept": "application/json"}

    with running(start_nginx(nginx_root, nginx_port)) as nginx:
        nginx.wait_ready(story_url, READY_TIMEOUT)
        static_url = origin + "/thread.json"

        # Townhall: seed, give nginx the thread body, then reads with 1 and 2 workers.
        townhall = Townhall(work, origin)
        townhall.prepare()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        health = base + "/healthz"
        thread_url = base + Townhall.thread_path(story_url)
        with running(townhall.start(port, workers=1)) as server:
            townhall.seed(base, story_url, comments)
            status, body = http("GET", thread_url, headers=read_headers)
            shown = count_nested(json.loads(body)["comments"]) if status == 200 else 0
            if shown != SEED_COMMENTS:
                raise RuntimeError(
                    f"Townhall's thread has {shown} comments (HTTP {status}), not {SEED_COMMENTS}"
                )
            (nginx_root / "www" / "thread.json").write_bytes(body)
            status, static_body = http("GET", static_url)
            if status != 200 or static_body != body:
                raise RuntimeError("nginx does not serve Townhall's thread body byte for byte")
            print(f"thread: {SEED_COMMENTS} comments, {len(body)} bytes of JSON", flush=True)

            bench.measure(Target("nginx", "static file", nginx, static_url), "read", static_url, {})
            target = Target("townhall", "1 worker", server, health)
            bench.measure(target, "read", thread_url, read_headers)
            gzip_headers = {**read_headers, "Accept-Encoding": "gzip"}
            bench.measure(target, "read", thread_url, gzip_headers, concurrencies=[16], note="gzip")

        with running(townhall.start(port, workers=2)) as server:
            bench.measure(Target("townhall", "2 workers", server, health), "read", thread_url, read_headers)

        post_url = base + "/api/v1/comments"
        post_env = {"BENCH_POST": "townhall", "BENCH_PATH": "/api/v1/comments", "BENCH_SITE": SITE}
        post_env |= {"BENCH_URL": posts_url, "BENCH_ORIGIN": origin}
        with running(townhall.start(port, workers=1)) as server:
            bench.measure(Target("townhall", "1 worker", server, health), "post", post_url, {}, post_env)

        if moderator_available():
            try:
                moderated = townhall.start(port, workers=1, moderation=True)
            except RuntimeError as exc:
                last = str(exc).strip().splitlines()[-1]
                notes.append(
                    f"Townhall with moderation on did not start, so its posts were not measured: {last}"
                )
                print(f"  townhall with moderation on did not start: {last}", flush=True)
            else:
                with running(moderated) as server:
                    target = Target("townhall", "1 worker, moderation on", server, health)
                    bench.measure(target, "post", post_url, {}, post_env)
        else:
            notes.append(
                "Townhall posts with moderation on were not measured: townhall.moderation.build_moderator "
                "does not exist yet (the Townhall posts above are with moderation off)"
            )

        if args.skip_isso:
            notes.append("Isso was skipped (--skip-isso)")
            return
        isso = Isso(work, origin)
        isso.write_config()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        setup = f"{args.isso_workers} worker{'s' if args.isso_workers > 1 else ''}"
        with running(isso.start(port, args.isso_workers)) as server:
            isso.seed(base, comments)
            read_url = f"{base}/?{urllib.parse.urlencode({'uri': STORY_PATH})}"
            status, body = http("GET", read_url, headers=read_headers)
            shown = count_nested(json.loads(body)["replies"]) if status == 200 else 0
            if shown != SEED_COMMENTS:
                raise RuntimeError(f"Isso's thread has {shown} comments (HTTP {status}), not {SEED_COMMENTS}")
            print(f"isso thread: {SEED_COMMENTS} comments, {len(body)} bytes of JSON", flush=True)
            target = Target("isso", setup, server, base + "/info")
            bench.measure(target, "read", read_url, read_headers)
            post_path = f"/new?{urllib.parse.urlencode({'uri': POSTS_PATH})}"
            isso_post = {"BENCH_POST": "isso", "BENCH_PATH": post_path, "BENCH_ORIGIN": origin}
            bench.measure(target, "post", base + post_path, {}, isso_post)


if __name__ == "__main__":
    sys.exit(main())
