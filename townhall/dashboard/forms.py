"""Reading form values: ids, checkboxes and ban lengths."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from townhall.errors import Invalid
from townhall.i18n import N_

BAN_LENGTHS: dict[str, tuple[str, timedelta | None]] = {
    "1d": (N_("1 day"), timedelta(days=1)),
    "7d": (N_("7 days"), timedelta(days=7)),
    "30d": (N_("30 days"), timedelta(days=30)),
    "365d": (N_("a year"), timedelta(days=365)),
    "forever": (N_("for good"), None),
}


def int_param(value: Any) -> int | None:
    """A positive id from a query or form value; None for anything else."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def checked(value: Any) -> bool:
    return value in (True, "on", "1", "true", "yes")


def ban_until(choice: str, now: datetime) -> datetime | None:
    """When a ban of the chosen length ends; None for a ban for good."""
    if choice not in BAN_LENGTHS:
        raise Invalid("choose how long the ban lasts", fields={"length": "unknown length"})
    length = BAN_LENGTHS[choice][1]
    return now + length if length else None
