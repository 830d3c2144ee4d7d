"""What every benchmark cell needs: servers in their own process group, HTTP over loopback, wrk.

A cell is one (server, setup, operation, concurrency); it is measured ``runs`` times with wrk
and summarised by the median of each figure (bench/verdicts.py).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smaps import group_pids
from verdicts import summarise

BENCH_DIR = Path(__file__).resolve().parent
WRK_SCRIPT = BENCH_DIR / "wrk.lua"
STOP_TIMEOUT = 10.0
SETTLE_TIMEOUT = 120.0
WARMUP_SECONDS = 2
WRK_TIMEOUT = "30s"  # a slow server's queue at c=64 can hold a request for seconds
IDLE_SAMPLE = 0.3  # seconds between CPU readings while waiting for an idle server
IDLE_CPU = 0.1  # below this share of one core the server counts as idle (clock ticks are 10 ms)
_wrk_runs = itertools.count(1)  # BENCH_SEED: every wrk run posts other comments (bench/wrk.lua)


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
        self.started = time.monotonic()
        self._log_file = log.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv built here
            argv,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=clean_environment(env),
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(
        self, url: str, timeout: float, headers: dict[str, str] | None = None, strict: bool = False
    ) -> float:
        """Until ``url`` answers (any status below 500, or only 200 when ``strict``); seconds since start."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; log:\n{self.tail()}")
            try:
                status, _ = http("GET", url, headers=headers, timeout=5.0)
                if status == 200 or (status < 500 and not strict):
                    return time.monotonic() - self.started
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer {url} within {timeout:.0f} s; log:\n{self.tail()}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of every live process in this server's group (master and workers)."""
        ticks = 0
        for pid in group_pids(self.pid):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue  # gone meanwhile
            fields = stat[stat.rindex(")") + 2 :].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def tail(self, lines: int = 30) -> str:
        self._log_file.flush()
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait(STOP_TIMEOUT)
        # Workers of this group may outlive the leader by a moment.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
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


def wrk(
    url: str, concurrency: int, seconds: int, headers: dict[str, str], post_env: dict[str, str] | None = None
) -> dict[str, Any]:
    """One wrk run; the figures bench/wrk.lua prints (requests, duration, latency percentiles, errors)."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"benchmark traffic stays on loopback, not {url}")
    threads = max(1, min(2, concurrency))
    argv = [find_tool("wrk") or "wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds}s"]
    argv += ["--timeout", WRK_TIMEOUT, "--latency", "-s", str(WRK_SCRIPT)]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    argv.append(url)
    env = {**os.environ, **(post_env or {}), "BENCH_SEED": str(next(_wrk_runs))}
    done = subprocess.run(  # noqa: S603
        argv, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return dict(json.loads(line.removeprefix("BENCH_JSON ")))
    raise RuntimeError(f"wrk gave no figures ({done.returncode}):\n{done.stdout}\n{done.stderr}")


@dataclass
class Series:
    """One server and one operation, measured at each concurrency ``runs`` times (runs interleaved)."""

    process: Process
    settle_url: str  # a cheap URL, answered once the server's queue has drained
    seconds: int
    runs: int

    def settle(self) -> None:
        """Until the server has finished what wrk left queued, so the next run starts on an idle one.

        wrk stops with requests still in the servers' queues (Isso's sync workers, a moderated
        post's thread pool). A cheap URL answers once one worker is free; with several workers
        another may still be busy, so also wait until the server's processes stop using CPU."""
        http("GET", self.settle_url, timeout=SETTLE_TIMEOUT)
        deadline = time.monotonic() + SETTLE_TIMEOUT
        before = self.process.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(IDLE_SAMPLE)
            now = self.process.cpu_seconds()
            if now - before <= IDLE_CPU * IDLE_SAMPLE:
                return
            before = now

    def measure(
        self,
        subject: tuple[str, str],
        operation: str,
        url: str,
        concurrencies: list[int],
        headers: dict[str, str] | None = None,
        post_env: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Cells (JSON-shaped) for each concurrency: every run's figures and their summary."""
        headers = headers or {}
        wrk(url, 16, WARMUP_SECONDS, headers, post_env)  # fill caches, open files; not recorded
        self.settle()
        runs: dict[int, list[dict[str, Any]]] = {c: [] for c in concurrencies}
        for n in range(self.runs):
            for c in concurrencies:
                runs[c].append(self.one_run(url, c, headers, post_env))
                report_run(subject, operation, c, n, runs[c][-1])
        cells = []
        for c in concurrencies:
            server, setup = subject
            cell = {"server": server, "setup": setup, "operation": operation, "concurrency": c}
            cells.append({**cell, "runs": runs[c], "summary": summarise(runs[c])})
        return cells

    def one_run(
        self, url: str, c: int, headers: dict[str, str], post_env: dict[str, str] | None
    ) -> dict[str, Any]:
        load = os.getloadavg()[0]
        cpu_before = self.process.cpu_seconds()
        figures = wrk(url, c, self.seconds, headers, post_env)
        cpu = self.process.cpu_seconds() - cpu_before
        self.settle()
        seconds = figures["duration_us"] / 1e6
        requests = figures["requests"]
        return {
            "rps": requests / seconds if seconds else 0.0,
            "p50_ms": figures["p50_us"] / 1000,
            "p99_ms": figures["p99_us"] / 1000,
            "requests": requests,
            "cpu_ms_per_request": cpu * 1000 / requests if requests else None,
            # A run in which nothing came back has no latency to show: count it as failed.
            "errors": {k: v for k, v in figures["errors"].items() if v} | ({} if requests else {"none": 1}),
            "load_1min": load,
        }


def report_run(subject: tuple[str, str], operation: str, c: int, n: int, run: dict[str, Any]) -> None:
    server, setup = subject
    flag = f"  ERRORS {run['errors']}" if run["errors"] else ""
    print(
        f"  {server:8} {setup:34} {operation:4} c={c:<3} run {n + 1}: {run['rps']:9.1f} req/s"
        f"  p50 {run['p50_ms']:8.2f} ms  p99 {run['p99_ms']:8.2f} ms{flag}",
        flush=True,
    )
