"""Timestamps as the sources write them, read as aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(text: str) -> datetime | None:
    """'2019-03-04T01:02:03Z' (Disqus) → aware UTC; None when missing or malformed."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def wordpress(text: str) -> datetime | None:
    """'2019-03-04 01:02:03' (a WXR *_gmt field, UTC) → aware UTC; WordPress writes zeros for none."""
    text = text.strip()
    if not text or text.startswith("0000"):
        return None
    return iso(text.replace(" ", "T"))


def epoch(value: float | None) -> datetime | None:
    """Seconds since 1970 (Isso) → aware UTC."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (ValueError, OverflowError, OSError):
        return None
