"""The one policy: signals + a site's settings → publish, hold or reject, with reasons.

Signals never decide. Each site sets, per signal, a *hold* and a *reject* threshold (missing
ones fall back to the defaults below); pre-moderation holds everything that is not rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from townhall.models import SiteSettings
from townhall.moderation.signal import SignalResult
from townhall.moderation.verdict import ModerationRequest, Verdict
from townhall.types import Decision, ModerationMode

# Chosen on the evaluation sets' dev halves (docs/model-card.md); off-topic never rejects by itself.
DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    "toxicity": {"hold": 0.5, "reject": 0.97},
    "off_topic": {"hold": 0.5},
    "spam": {"hold": 0.5, "reject": 0.9},
    "words": {"hold": 0.5, "reject": 1.0},
    "trust": {"hold": 1.0},
    "name": {"hold": 0.5},  # a name is held for a moderator, never rejected by itself
}

# Model signals whose borderline holds a trusted reader skips; word lists are the site's own rule.
SKIPPABLE = frozenset({"toxicity", "off_topic", "spam"})

# What a reader is told: general terms, never scores.
READER_REASONS = {
    "toxicity": "it may break this site's rules on respectful language",
    "off_topic": "it may not be about this story",
    "spam": "it looks like advertising or a repeated message",
    "words": "it contains words this site checks before publishing",
    "trust": "recent comments from you were not published",
    "name": "the name you gave is checked by a moderator first",
}


@dataclass(frozen=True, slots=True)
class Trust:
    """What the policy knows about the author."""

    trusted: bool = False
    recent_rejections: int = 0


def thresholds_for(settings: SiteSettings) -> dict[str, dict[str, float]]:
    merged = {name: dict(pair) for name, pair in DEFAULT_THRESHOLDS.items()}
    for name, pair in settings.thresholds.items():
        merged.setdefault(name, {}).update(pair)
    return merged


def _borderline(score: float, pair: Mapping[str, float]) -> bool:
    """Within the lower half of the band between holding and rejecting (or 0.2 above hold)."""
    hold = pair["hold"]
    ceiling = pair.get("reject", min(1.0, hold + 0.4))
    return score < hold + (ceiling - hold) / 2


def decide(signals: Mapping[str, SignalResult], settings: SiteSettings, trust: Trust = Trust()) -> Verdict:
    limits = thresholds_for(settings)
    rejects: list[str] = []
    holds: list[str] = []
    skipped: list[str] = []
    for name, result in signals.items():
        if result.score is None or name not in limits:
            continue
        pair = limits[name]
        if "reject" in pair and result.score >= pair["reject"]:
            rejects.append(name)
        elif "hold" in pair and result.score >= pair["hold"]:
            if trust.trusted and name in SKIPPABLE and _borderline(result.score, pair):
                skipped.append(name)
            else:
                holds.append(name)

    def reason(name: str, threshold: str) -> str:
        return f"{name} {signals[name].score:.2f} ≥ {threshold} threshold {limits[name][threshold]:.2f}"

    recorded = {name: result.to_dict() for name, result in signals.items()}
    mode = settings.moderation_mode.value
    if rejects:
        why = "; ".join(READER_REASONS.get(n, n) for n in rejects)
        return Verdict(
            Decision.REJECT,
            tuple(reason(n, "reject") for n in rejects),
            f"Your comment was not published because {why}.",
            recorded,
            mode,
        )
    reasons = [reason(n, "hold") for n in holds]
    reasons += [f"{n} borderline, skipped for a trusted reader" for n in skipped]
    if holds:
        why = "; ".join(READER_REASONS.get(n, n) for n in holds)
        message = f"Your comment is awaiting review by a moderator because {why}."
        return Verdict(Decision.HOLD, tuple(reasons), message, recorded, mode)
    if settings.moderation_mode is ModerationMode.PRE:
        message = (
            "Your comment is awaiting review: a moderator reads every comment on this site before it appears."
        )
        return Verdict(Decision.HOLD, (*reasons, "pre-moderation"), message, recorded, mode)
    return Verdict(Decision.PUBLISH, tuple(reasons), "", recorded, mode)


class WithoutModels:
    """The moderator when the models are switched off: no signals, but the site's mode still holds."""

    def assess(self, request: ModerationRequest) -> Verdict:
        return decide({}, request.site.settings)
