"""bench/run.py's pure parts: the smaps parser, the median of runs, the verdicts and the table,
and how a connection is traced to the process that accepted it. No benchmark runs here."""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"

ROLLUP = """55d0c0a00000-7ffd6b3f2000 ---p 00000000 00:00 0                          [rollup]
Rss:              262144 kB
Pss:              200000 kB
Pss_Dirty:        150000 kB
Shared_Clean:      50000 kB
Shared_Dirty:      12144 kB
Private_Clean:     10000 kB
Private_Dirty:    190000 kB
Referenced:       262144 kB
Anonymous:        190000 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
"""


@pytest.fixture(scope="module")
def bench() -> SimpleNamespace:
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCH))
        names = ("smaps", "verdicts", "firsts")
        return SimpleNamespace(**{name: importlib.import_module(name) for name in names})


def test_rollup_gives_rss_pss_and_private_pages(bench: SimpleNamespace) -> None:
    assert bench.smaps.parse_rollup(ROLLUP) == {"rss": 262144, "pss": 200000, "uss": 200000}


def test_group_memory_reads_a_real_process_group(bench: SimpleNamespace) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
    try:
        memory = bench.smaps.group_memory(sleeper.pid)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert list(memory["processes"]) == [sleeper.pid]
    total = memory["total"]
    assert 1000 < total["rss"] < 500_000  # kB: an idle interpreter
    assert 0 < total["uss"] <= total["pss"] <= total["rss"]


def run(rps: float, p50: float, p99: float = 0.0, **errors: int) -> dict[str, Any]:
    return {
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "requests": int(rps * 10),
        "cpu_ms_per_request": 1.0,
        "errors": errors,
    }


def test_a_cell_is_the_median_of_its_runs_with_every_error_counted(bench: SimpleNamespace) -> None:
    summary = bench.verdicts.summarise(
        [run(100, 5, 9), run(300, 1, 40, status=2), run(200, 3, 10, timeout=0)]
    )
    assert (summary["rps"], summary["p50_ms"], summary["p99_ms"]) == (200, 3, 10)
    assert summary["requests"] == 6000
    assert summary["errors"] == {"status": 2}


def cell(
    subject: tuple[str, str], operation: str, c: int, rps: float, p50: float, p99: float = 1.0
) -> dict[str, Any]:
    server, setup = subject
    summary = {
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "cpu_ms_per_request": 20.0,
        "requests": 1,
        "errors": {},
    }
    return {"server": server, "setup": setup, "operation": operation, "concurrency": c, "summary": summary}


def made_up_report(v: Any) -> dict[str, Any]:
    cells = [
        cell(v.ISSO, "post", 1, 100, 3.0),
        cell(v.ISSO, "post", 8, 200, 30.0),
        cell(v.OFF, "post", 1, 150, 4.0),
        cell(v.SQLITE, "post", 1, 120, 12.5),  # 1.2× Isso, adds 8.5 ms
        cell(v.SQLITE, "post", 8, 180, 40.0),  # 0.9×
        cell(v.POSTGRES, "post", 8, 280, 30.0),  # 1.4×, short of 1.5×
        cell(v.NGINX, "read", 1, 1000, 0.1),
        cell(v.NGINX, "read", 16, 1000, 0.1),
        cell(v.NGINX, "read", 64, 1000, 0.1),
        cell(v.SQLITE, "read", 1, 600, 0.2),
        cell(v.SQLITE, "read", 16, 500, 1.0),
        cell(v.SQLITE, "read", 64, 400, 5.0, 25.0),  # p99 5× p50
    ]
    worker = {"workers": [{"ratio": 1.5}]}
    return {
        "cells": cells,
        "firsts": {
            "sqlite": {"post": worker, "read": {"workers": [{"ratio": 30.0}]}},
            "postgres": {"post": {"workers": [{"ratio": 1.8}, {"ratio": 2.4}]}},
        },
        "memory": {
            "sqlite": {
                "after posts": {"rss": 250 * 1024, "pss": 240 * 1024},
                "after soak": {"rss": 310 * 1024, "pss": 1},
            },
            "postgres": {"after posts": {"rss": 650 * 1024, "pss": 350 * 1024}},
        },
        "soak": {"posts_after_warmup": 20000, "rss_growth_kb": 6 * 1024},
    }


def test_every_target_gets_its_figure_and_verdict(bench: SimpleNamespace) -> None:
    rows = bench.verdicts.evaluate(made_up_report(bench.verdicts))
    got = {row["target"]: (round(row["value"], 2), row["verdict"]) for row in rows}
    assert got == {
        "moderated posts, SQLite 1 worker, c=1: × Isso posts": (1.2, "met"),
        "moderated posts, SQLite 1 worker, c=8: × Isso posts": (0.9, "not met"),
        "moderated posts, PostgreSQL 2 workers, c=8: × Isso posts": (1.4, "not met"),
        "added moderation latency, p50 per post at c=1 (SQLite)": (8.5, "met"),
        "first moderated post after start, SQLite 1 worker: × a warm post": (1.5, "met"),
        "first moderated post after start, PostgreSQL 2 workers, worst worker: × a warm post": (
            2.4,
            "not met",
        ),
        "reads c=1, SQLite 1 worker: share of nginx static": (0.6, "met"),
        "reads c=16, SQLite 1 worker: share of nginx static": (0.5, "met"),
        "reads c=64, SQLite 1 worker: share of nginx static": (0.4, "not met"),
        "reads c=64, 1 worker: p99 / p50": (5.0, "not met"),
        "memory, SQLite 1 worker, models on: RSS (highest reading)": (310.0, "not met"),
        "memory, PostgreSQL 2 workers, models on: PSS of all processes": (350.0, "met"),
        "RSS growth over a soak of 20,000 moderated posts after warm-up": (6.0, "not met"),
    }
    report = made_up_report(bench.verdicts)
    table = bench.verdicts.format_table(rows, bench.verdicts.informative(report))
    assert "| reads c=64, 1 worker: p99 / p50 | <= 4.00× | 5.00× | not met |" in table
    assert "| first read after start, SQLite 1 worker: × a warm read | 30.0 |" in table
    cells = bench.verdicts.format_cells(report["cells"]).splitlines()
    assert cells[2] == "| read | 1 | nginx | static file | 1,000.0 | 0.10 | 1.00 | 20.00 | - |"
    assert len(cells) == 2 + len(report["cells"])


def test_a_worker_never_reached_is_said(bench: SimpleNamespace) -> None:
    firsts = {"postgres": {"post": {"workers": [{"ratio": 1.1}], "workers_expected": 2}}}
    rows = {row["target"]: row for row in bench.verdicts.evaluate({"firsts": firsts})}
    row = rows["first moderated post after start, PostgreSQL 2 workers, worst worker: × a warm post"]
    assert (row["value"], row["verdict"], row["note"]) == (1.1, "met", "only 1 of 2 workers reached")


def test_a_figure_the_run_did_not_measure_says_so(bench: SimpleNamespace) -> None:
    rows = bench.verdicts.evaluate({"soak": {"posts_after_warmup": 300, "rss_growth_kb": 100}})
    soak = rows[-1]
    assert soak["verdict"] == "met" and "this soak had 300" in soak["note"]
    assert {row["verdict"] for row in rows[:-1]} == {"not measured"}
    assert "| n/a | not measured |" in bench.verdicts.format_table(rows)


TCP_TABLE = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt uid timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0
   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 5151 1 0
   2: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 6161 1 0
"""


def test_tcp_table_rows_give_ports_and_inodes(bench: SimpleNamespace) -> None:
    assert bench.firsts.parse_tcp_table(TCP_TABLE) == [
        (8080, 0, 4242),
        (8080, 50000, 5151),
        (50000, 8080, 6161),
    ]


def test_a_connection_is_traced_to_the_process_that_accepted_it(bench: SimpleNamespace) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = listener.accept()
            with accepted:
                deadline = time.monotonic() + 5
                inode = None
                while inode is None and time.monotonic() < deadline:
                    inode = bench.firsts.server_inode(port, client.getsockname()[1])
                assert inode == os.fstat(accepted.fileno()).st_ino
                assert bench.firsts.socket_owner(inode, [os.getpid()]) == os.getpid()
                assert bench.firsts.socket_owner(inode, [1]) is None


def test_a_saved_run_renders_every_table(bench: SimpleNamespace) -> None:
    report = made_up_report(bench.verdicts)
    report["firsts"]["postgres"]["post"]["workers"] = [
        {"first_ms": 120.0, "warm_p50_ms": 60.0, "ratio": 2.0},
        {"first_ms": 90.0, "warm_p50_ms": 60.0, "ratio": 1.5},
    ]
    report["firsts"] = {"postgres": report["firsts"]["postgres"]}
    report["soak"]["samples"] = [{"posts": 0, "rss": 204800}, {"posts": 20000, "rss": 210944}]
    text = bench.verdicts.markdown(report)
    assert "| postgres | post | 2 | 90.0 | 60.00 | 1.5× |" in text
    assert "| sqlite | after soak | 310.0 | 0.0 |" in text
    assert "| posts after warm-up | 0 | 20,000 |\n|---|---:|---:|\n| RSS, MB | 200.0 | 206.0 |" in text
    assert text.rstrip().endswith("|")
    assert text.index("| target | goal |") > text.index("| operation | conc |")  # the targets come last
