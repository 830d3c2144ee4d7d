"""Issue #12's targets against one run of bench/run.py: figures in, rows of "met / not met" out.

Pure functions over the run's JSON-shaped report (no processes, no clock), so a test can feed
them made-up figures. Standard library only: the tests load this file on its own.
"""

from __future__ import annotations

import operator
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NGINX = ("nginx", "static file")
OFF = ("townhall", "SQLite, 1 worker, models off")
SQLITE = ("townhall", "SQLite, 1 worker, models on")
POSTGRES = ("townhall", "PostgreSQL, 2 workers, models on")
ISSO = ("isso", "SQLite, 2 gunicorn workers, guard off")

SOAK_TARGET_POSTS = 20_000  # the soak the memory target speaks of

COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "<": operator.lt,
}


@dataclass(frozen=True)
class Goal:
    what: str
    op: str  # ">=", "<=" or "<"
    limit: float
    unit: str  # "×" (a ratio), "ms" or "MB"


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One cell's figure from its repeated runs: the median of each, errors added up."""
    summary: dict[str, Any] = {}
    for key in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request"):
        values = [r[key] for r in runs if r.get(key) is not None]
        summary[key] = statistics.median(values) if values else None
    summary["requests"] = sum(r.get("requests", 0) for r in runs)
    errors: dict[str, int] = {}
    for r in runs:
        for kind, count in (r.get("errors") or {}).items():
            errors[kind] = errors.get(kind, 0) + count
    summary["errors"] = {k: v for k, v in errors.items() if v}
    return summary


def find(report: dict[str, Any], subject: tuple[str, str], operation: str, c: int) -> dict[str, Any] | None:
    """A cell's summary, or None when the run did not measure it."""
    server, setup = subject
    for cell in report.get("cells", []):
        if (cell["server"], cell["setup"], cell["operation"], cell["concurrency"]) == (
            server,
            setup,
            operation,
            c,
        ):
            return dict(cell["summary"])
    return None


def rate_ratio(
    report: dict[str, Any], a: tuple[str, str], b: tuple[str, str], operation: str, c: int
) -> float | None:
    top, bottom = find(report, a, operation, c), find(report, b, operation, c)
    if top is None or bottom is None or not bottom["rps"] or top["rps"] is None:
        return None
    return float(top["rps"] / bottom["rps"])


def worst_first_ratio(report: dict[str, Any], setup: str, operation: str) -> float | None:
    """The highest first/warm latency ratio among a setup's workers (every worker pays its own first)."""
    workers = report.get("firsts", {}).get(setup, {}).get(operation, {}).get("workers", [])
    ratios = [w["ratio"] for w in workers if w.get("ratio") is not None]
    return max(ratios) if ratios else None


def workers_missed(report: dict[str, Any], setup: str, operation: str) -> str:
    """A note when some worker could not be reached for its first request."""
    firsts = report.get("firsts", {}).get(setup, {}).get(operation)
    if not firsts or len(firsts["workers"]) >= firsts.get("workers_expected", 0):
        return ""
    return f"only {len(firsts['workers'])} of {firsts['workers_expected']} workers reached"


def megabytes(kb: float | None) -> float | None:
    return None if kb is None else kb / 1024


def verdict(value: float | None, goal: Goal) -> str:
    if value is None:
        return "not measured"
    return "met" if COMPARE[goal.op](value, goal.limit) else "not met"


def row(goal: Goal, value: float | None, note: str = "") -> dict[str, Any]:
    return {
        "target": goal.what,
        "op": goal.op,
        "limit": goal.limit,
        "unit": goal.unit,
        "value": value,
        "verdict": verdict(value, goal),
        "note": note,
    }


def added_latency(report: dict[str, Any]) -> float | None:
    """What the models add to a post at c=1: moderated p50 minus unmoderated p50, same run."""
    on, off = find(report, SQLITE, "post", 1), find(report, OFF, "post", 1)
    if on is None or off is None or on["p50_ms"] is None or off["p50_ms"] is None:
        return None
    return float(on["p50_ms"] - off["p50_ms"])


def tail_ratio(report: dict[str, Any]) -> float | None:
    cell = find(report, SQLITE, "read", 64)
    if cell is None or not cell["p50_ms"]:
        return None
    return float(cell["p99_ms"] / cell["p50_ms"])


def memory_total(report: dict[str, Any], setup: str, kind: str) -> float | None:
    """The highest reading of RSS or PSS (kB, summed over the server's processes) for a setup."""
    readings = report.get("memory", {}).get(setup, {})
    values = [reading[kind] for reading in readings.values() if reading]
    return max(values) if values else None


def evaluate(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of the issue with the figure this run measured for it."""
    rows = []
    for c in (1, 8):
        goal = Goal(f"moderated posts, SQLite 1 worker, c={c}: × Isso posts", ">=", 1.0, "×")
        rows.append(row(goal, rate_ratio(report, SQLITE, ISSO, "post", c)))
    goal = Goal("moderated posts, PostgreSQL 2 workers, c=8: × Isso posts", ">=", 1.5, "×")
    rows.append(row(goal, rate_ratio(report, POSTGRES, ISSO, "post", 8)))
    goal = Goal("added moderation latency, p50 per post at c=1 (SQLite)", "<=", 10.0, "ms")
    rows.append(row(goal, added_latency(report)))
    for setup, label in (("sqlite", "SQLite 1 worker"), ("postgres", "PostgreSQL 2 workers, worst worker")):
        goal = Goal(f"first moderated post after start, {label}: × a warm post", "<=", 2.0, "×")
        rows.append(
            row(goal, worst_first_ratio(report, setup, "post"), workers_missed(report, setup, "post"))
        )
    for c in (1, 16, 64):
        goal = Goal(f"reads c={c}, SQLite 1 worker: share of nginx static", ">=", 0.5, "×")
        rows.append(row(goal, rate_ratio(report, SQLITE, NGINX, "read", c)))
    goal = Goal("reads c=64, 1 worker: p99 / p50", "<=", 4.0, "×")
    rows.append(row(goal, tail_ratio(report)))
    goal = Goal("memory, SQLite 1 worker, models on: RSS (highest reading)", "<=", 300.0, "MB")
    rows.append(row(goal, megabytes(memory_total(report, "sqlite", "rss"))))
    goal = Goal("memory, PostgreSQL 2 workers, models on: PSS of all processes", "<=", 400.0, "MB")
    rss = megabytes(memory_total(report, "postgres", "rss"))
    note = (
        "" if rss is None else f"RSS summed over the processes (shared pages counted in each): {rss:.0f} MB"
    )
    rows.append(row(goal, megabytes(memory_total(report, "postgres", "pss")), note))
    rows.append(soak_row(report.get("soak") or {}))
    return rows


def soak_row(soak: dict[str, Any]) -> dict[str, Any]:
    posts = soak.get("posts_after_warmup", 0)
    goal = Goal(f"RSS growth over a soak of {posts:,} moderated posts after warm-up", "<", 5.0, "MB")
    growth = megabytes(soak.get("rss_growth_kb"))
    note = ""
    if growth is not None and posts < SOAK_TARGET_POSTS:
        note = f"the target speaks of {SOAK_TARGET_POSTS:,} posts; this soak had {posts:,}"
    return row(goal, growth, note)


def informative(report: dict[str, Any]) -> list[tuple[str, str]]:
    """Figures without a target that explain the ones with one."""
    lines = []

    def add(label: str, value: float | None, fmt: str) -> None:
        lines.append((label, "n/a" if value is None else format(value, fmt)))

    add("unmoderated posts, SQLite 1 worker, c=1: × Isso", rate_ratio(report, OFF, ISSO, "post", 1), ".2f")
    add("unmoderated posts, SQLite 1 worker, c=8: × Isso", rate_ratio(report, OFF, ISSO, "post", 8), ".2f")
    add(
        "moderated posts, PostgreSQL 2 workers, c=1: × Isso",
        rate_ratio(report, POSTGRES, ISSO, "post", 1),
        ".2f",
    )
    for subject, label in (
        (SQLITE, "SQLite 1 worker"),
        (OFF, "SQLite 1 worker, models off"),
        (POSTGRES, "PostgreSQL 2 workers"),
    ):
        cell = find(report, subject, "post", 8)
        cpu = None if cell is None else cell["cpu_ms_per_request"]
        add(f"server CPU per post at c=8, {label}: ms", cpu, ".1f")
    for setup, label in (("sqlite", "SQLite 1 worker"), ("postgres", "PostgreSQL 2 workers, worst worker")):
        add(
            f"first read after start, {label}: × a warm read", worst_first_ratio(report, setup, "read"), ".1f"
        )
    return lines


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "×":
        return f"{value:.2f}×"
    return f"{value:.1f} {unit}"


def table(header: str, rows: list[list[str]]) -> str:
    """A Markdown table; ``header`` is "name|name:|…", a trailing colon right-aligns a column."""
    names = header.split("|")
    lines = ["| " + " | ".join(n.rstrip(":") for n in names) + " |"]
    lines.append("|" + "|".join("---:" if n.endswith(":") else "---" for n in names) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def format_table(rows: list[dict[str, Any]], extra: list[tuple[str, str]] | None = None) -> str:
    """The targets as a Markdown table (it reads in a terminal too), then the informative figures."""
    targets = []
    for r in rows:
        goal = f"{r['op']} {format_value(r['limit'], r['unit'])}"
        note = f" ({r['note']})" if r["note"] else ""
        targets.append([r["target"], goal, format_value(r["value"], r["unit"]), r["verdict"] + note])
    text = table("target|goal:|measured:|verdict", targets)
    if extra:
        text += "\n\n" + table("also measured| :", [[label, value] for label, value in extra])
    return text


def format_cells(cells: list[dict[str, Any]]) -> str:
    """Every cell's summary, reads first, by concurrency."""
    rows = []
    order = {"read": 0, "post": 1}
    for cell in sorted(cells, key=lambda c: (order[c["operation"]], c["concurrency"])):
        s = cell["summary"]
        errors = ", ".join(f"{k} {v}" for k, v in s["errors"].items()) or "-"
        cpu = "-" if s["cpu_ms_per_request"] is None else f"{s['cpu_ms_per_request']:.2f}"
        figures = [f"{s['rps']:,.1f}", f"{s['p50_ms']:,.2f}", f"{s['p99_ms']:,.2f}", cpu, errors]
        rows.append([cell["operation"], str(cell["concurrency"]), cell["server"], cell["setup"], *figures])
    return table("operation|conc:|server|setup|req/s:|p50 ms:|p99 ms:|CPU ms/req:|errors", rows)


def format_firsts(firsts: dict[str, Any]) -> str:
    """Each worker's first request after start against its warm ones."""
    rows = []
    for setup, operations in firsts.items():
        for operation, found in operations.items():
            for number, w in enumerate(found["workers"], 1):
                ratio = "n/a" if w["ratio"] is None else f"{w['ratio']:.1f}×"
                rows.append(
                    [setup, operation, str(number), f"{w['first_ms']:.1f}", f"{w['warm_p50_ms']:.2f}", ratio]
                )
    return table("setup|request|worker:|first ms:|warm p50 ms:|first / warm:", rows)


def format_memory(memory: dict[str, Any]) -> str:
    rows = []
    for setup, readings in memory.items():
        rows += [
            [setup, when, f"{t['rss'] / 1024:.1f}", f"{t['pss'] / 1024:.1f}"] for when, t in readings.items()
        ]
    return table("setup|reading|RSS MB:|PSS MB:", rows)


def format_soak(soak: dict[str, Any]) -> str:
    samples = soak.get("samples") or []
    if not samples:
        return ""
    header = "posts after warm-up|" + "|".join(f"{s['posts']:,}:" for s in samples)
    return table(header, [["RSS, MB", *(f"{s['rss'] / 1024:.1f}" for s in samples)]])


def markdown(report: dict[str, Any]) -> str:
    """The whole report as docs/benchmarks.md shows it; the targets last."""
    parts = [
        format_cells(report.get("cells", [])),
        format_firsts(report.get("firsts", {})),
        format_memory(report.get("memory", {})),
        format_soak(report.get("soak", {})),
        format_table(evaluate(report), informative(report)),
    ]
    return "\n\n".join(part for part in parts if part)
