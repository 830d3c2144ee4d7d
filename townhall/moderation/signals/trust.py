"""Reader trust: a reader with approved comments and no recent rejection skips borderline holds;
a reader with recent rejections is held."""

from __future__ import annotations

from collections.abc import Mapping

from townhall.moderation.policy import Trust
from townhall.moderation.signal import SignalResult

VERSION = "trust-rules-1"
RECENT_DAYS = 30


def assess(history: Mapping[str, int] | None, trusted_after: int) -> tuple[SignalResult, Trust]:
    """``history`` is the author's counts (storage's ``authors.history``); None for a first comment."""
    if history is None:
        evidence = {"first_comment": True, "published": 0, "recent_rejections": 0}
        return SignalResult("trust", 0.0, evidence, VERSION), Trust()
    published = int(history.get("published", 0))
    recent = int(history.get("recent_rejections", 0))
    trusted = recent == 0 and trusted_after > 0 and published >= trusted_after
    evidence = {
        "published": published,
        "recent_rejections": recent,
        "recent_days": RECENT_DAYS,
        "trusted": trusted,
        "trusted_after": trusted_after,
    }
    return SignalResult("trust", 1.0 if recent else 0.0, evidence, VERSION), Trust(trusted, recent)
