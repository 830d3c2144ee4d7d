"""Why a comment was held: which signals reached their thresholds, and how severe it looks.

The policy (``townhall.moderation.policy``) decides on arrival; this reads its stored verdict
back with the site's current thresholds, for the queues and the stats.
"""

from __future__ import annotations

import re
from typing import Any

from townhall.models import SiteSettings
from townhall.moderation.policy import thresholds_for

ABOUT_THE_READER = frozenset({"trust"})  # signals about the author, not the text: no part of severity
DEFAULT_THRESHOLDS = thresholds_for(SiteSettings())  # what a site gets for a signal it sets no threshold for


def _scores(verdict: dict[str, Any] | None) -> dict[str, float]:
    scores: dict[str, float] = {}
    for name, result in ((verdict or {}).get("signals") or {}).items():
        score = result.get("score") if isinstance(result, dict) else None
        if isinstance(score, int | float) and not isinstance(score, bool):
            scores[name] = float(score)
    return scores


_HEAD_REASON = re.compile(r"^site calibration .*\(([a-z_]+)\)$")  # written by policy.decide


def causes(verdict: dict[str, Any] | None, settings: SiteSettings) -> tuple[str, ...]:
    """The signals that held (or rejected) a comment, strongest first.

    A signal counts when its score reached the site's hold or reject threshold for it (the
    policy's defaults where the site sets none), unless the policy let it pass for a trusted
    reader. Pre-moderation alone is no signal. A hold by the site's learned head (its reason
    reads "site calibration … (signal)") counts for the signal it names.
    """
    verdict = verdict or {}
    if verdict.get("decision") not in ("hold", "reject"):
        return ()
    limits = thresholds_for(settings)
    skipped = " ".join(str(r) for r in verdict.get("reasons") or [] if "skipped" in str(r))
    found = []
    for name, score in _scores(verdict).items():
        pair = limits.get(name, {})
        bar = min(pair.values()) if pair else None
        if bar is not None and score >= bar and f"{name} borderline" not in skipped:
            found.append((score, name))
    scores = _scores(verdict)
    for reason in verdict.get("reasons") or []:
        match = _HEAD_REASON.match(str(reason))
        if match and match.group(1) in scores and all(n != match.group(1) for _s, n in found):
            found.append((scores[match.group(1)], match.group(1)))
    return tuple(name for _score, name in sorted(found, key=lambda f: (-f[0], f[1])))


def is_pending(verdict: dict[str, Any] | None, settings: SiteSettings) -> bool:
    """Held only because the site pre-moderates: no signal held it."""
    return (verdict or {}).get("mode") == "pre" and not causes(verdict, settings)


def severity(verdict: dict[str, Any] | None) -> float:
    """The highest score any signal about the text gave the comment."""
    scores = _scores(verdict)
    return max((v for k, v in scores.items() if k not in ABOUT_THE_READER), default=0.0)
