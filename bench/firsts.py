"""The first request a server answers after it says it is ready, per worker, against warm ones.

Every worker pays its own first request (its own caches, its own compiled statements), so with
several workers each one is reached on purpose: a new connection is opened, the kernel's
TCP table says which socket inode the server end has, and the worker holding that inode is
the one that accepted it. A connection landing on a worker already measured is closed unused.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from smaps import group_pids

ACCEPT_WAIT = 30.0  # seconds a worker may take to accept a new connection
SEARCH_SECONDS = 60.0  # how long to look for workers not yet measured (one may still be warming)
MAX_CONNECTIONS = 300
RETRY_PAUSE = 0.2  # after a connection that landed on a worker already measured
# A request on a fresh connection: (connection, sequence number) -> its latency in ms.
Request = Callable[[HTTPConnection, int], float]


def parse_tcp_table(text: str) -> list[tuple[int, int, int]]:
    """(local port, remote port, socket inode) of each row of /proc/net/tcp or tcp6."""
    rows = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        remote_port = int(fields[2].rsplit(":", 1)[1], 16)
        rows.append((local_port, remote_port, int(fields[9])))
    return rows


def server_inode(server_port: int, client_port: int) -> int | None:
    """The inode of the server's end of the loopback connection from ``client_port``."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            text = Path(table).read_text()
        except OSError:
            continue
        for local, remote, inode in parse_tcp_table(text):
            if (local, remote) == (server_port, client_port) and inode:
                return inode
    return None


def socket_owner(inode: int, pids: list[int]) -> int | None:
    """Which of ``pids`` holds the socket ``inode`` among its open files."""
    wanted = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if str(fd.readlink()) == wanted:
                    return pid
            except OSError:
                continue
    return None


def accepting_worker(connection: HTTPConnection, port: int, pids: list[int]) -> int | None:
    """The worker that accepted ``connection`` (None if none did within ACCEPT_WAIT)."""
    connection.connect()
    client_port = connection.sock.getsockname()[1]
    deadline = time.monotonic() + ACCEPT_WAIT
    while time.monotonic() < deadline:
        inode = server_inode(port, client_port)
        owner = socket_owner(inode, pids) if inode else None
        if owner is not None:
            return owner
        time.sleep(0.005)
    return None


def worker_pids(leader: int, workers: int) -> list[int]:
    """The serving processes: the leader itself with one worker, else its forked children."""
    if workers == 1:
        return [leader]
    return [pid for pid in group_pids(leader) if pid != leader]


def first_and_warm(port: int, leader: int, workers: int, request: Request, warm: int) -> dict[str, Any]:
    """Per worker: its first request, then ``warm`` more on the same connection (median)."""
    pids = worker_pids(leader, workers)
    measured: dict[int, dict[str, Any]] = {}
    opened = 0
    sequence = 0
    deadline = time.monotonic() + SEARCH_SECONDS
    while len(measured) < len(pids) and opened < MAX_CONNECTIONS and time.monotonic() < deadline:
        connection = HTTPConnection("127.0.0.1", port, timeout=60)
        opened += 1
        try:
            owner = accepting_worker(connection, port, pids)
            if owner is None or owner in measured:
                time.sleep(RETRY_PAUSE)  # a worker still warming up accepts nothing yet
                continue
            first = request(connection, sequence)
            warm_ms = [request(connection, sequence + 1 + i) for i in range(warm)]
            sequence += warm + 1
            warm_p50 = statistics.median(warm_ms)
            measured[owner] = {
                "pid": owner,
                "first_ms": round(first, 2),
                "warm_p50_ms": round(warm_p50, 2),
                "ratio": round(first / warm_p50, 2) if warm_p50 else None,
            }
        finally:
            connection.close()
    return {"workers": list(measured.values()), "workers_expected": len(pids), "connections_opened": opened}


def timed(
    connection: HTTPConnection,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    expect: int,
) -> float:
    """One request's latency in ms (sending it to reading the whole answer); a wrong status raises."""
    started = time.perf_counter()
    connection.request(method, path, body, headers)
    response = connection.getresponse()
    raw = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != expect:
        raise RuntimeError(f"{method} {path}: HTTP {response.status} {raw[:300]!r}")
    return elapsed
