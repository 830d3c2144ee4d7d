"""Memory of a server's processes, from Linux's /proc/PID/smaps_rollup.

RSS counts every page a process maps, shared or not; PSS divides each shared page among the
processes that map it, so PSS summed over a server's processes is what the server costs the
machine (workers forked from one parent share the models' pages); USS is what is private to
one process. Standard library only, so the tests can load this file on its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

KINDS = ("rss", "pss", "uss")


def parse_rollup(text: str) -> dict[str, int]:
    """kB of one process (rss, pss, uss) from the text of its smaps_rollup."""
    figures = dict.fromkeys(KINDS, 0)
    for line in text.splitlines():
        name, colon, rest = line.partition(":")
        if not colon or not rest.split():
            continue  # the first line names the address range, not a figure
        value = int(rest.split()[0])
        if name == "Rss":
            figures["rss"] = value
        elif name == "Pss":
            figures["pss"] = value
        elif name in ("Private_Clean", "Private_Dirty"):
            figures["uss"] += value
    return figures


def group_pids(leader: int, proc: Path = Path("/proc")) -> list[int]:
    """Every live process whose process group is ``leader`` (a server and its workers)."""
    pids = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # Field 5 (pgrp) comes after the command name, which may itself hold spaces or ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == leader:
            pids.append(int(entry.name))
    return sorted(pids)


def group_memory(leader: int) -> dict[str, Any]:
    """kB of every process in the group and their sum: {"total": {...}, "processes": {pid: {...}}}."""
    processes: dict[int, dict[str, int]] = {}
    for pid in group_pids(leader):
        try:
            processes[pid] = parse_rollup(Path(f"/proc/{pid}/smaps_rollup").read_text())
        except OSError:
            continue
    total = {kind: sum(p[kind] for p in processes.values()) for kind in KINDS}
    return {"total": total, "processes": processes}
