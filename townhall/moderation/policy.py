"""The one policy: signals + a site's settings → publish, hold or reject, with reasons.

Signals never decide. Each site sets, per signal, a *hold* and a *reject* threshold (missing
ones fall back to the defaults below); pre-moderation holds everything that is not rejected.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from townhall.i18n import N_
from townhall.models import SiteSettings
from townhall.moderation.language import language_name
from townhall.moderation.signal import SignalResult
from townhall.moderation.verdict import ModerationRequest, Verdict
from townhall.types import Decision, ModerationMode

# Model signals: set by `python -m modelling.calibrate_policy` on C3's dev articles so that each holds
# at most its budget of civil comments (off-topic 1.5 %, toxicity 2 %, spam 0.25 % through its text
# model's news offset; 3.1 % together on the test articles) and rejects at most 0.05 %. Figures in
# docs/model-card-*.md. Off-topic never rejects by itself.
DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    "toxicity": {"hold": 0.94, "reject": 1.0},
    "off_topic": {"hold": 0.79},
    "spam": {"hold": 0.5, "reject": 0.923},
    "words": {"hold": 0.5, "reject": 1.0},
    "trust": {"hold": 1.0},
    "name": {"hold": 0.5},  # a name is held for a moderator, never rejected by itself
}

# Model signals whose borderline holds a trusted reader skips; word lists are the site's own rule.
SKIPPABLE = frozenset({"toxicity", "off_topic", "spam"})

# What a reader is told: general terms, never scores. These are gettext msgids (English); the
# server says them in the reader's language (townhall/locale/*/LC_MESSAGES/messages.po).
REJECTED = N_("Your comment was not published because {why}.")
HELD = N_("Your comment is awaiting review by a moderator because {why}.")
PRE_MODERATED = N_(
    "Your comment is awaiting review: a moderator reads every comment on this site before it appears."
)
READER_REASONS = {
    "toxicity": N_("it may break this site's rules on respectful language"),
    "off_topic": N_("it may not be about this story"),
    "spam": N_("it looks like advertising or a repeated message"),
    "words": N_("it contains words this site checks before publishing"),
    "trust": N_("recent comments from you were not published"),
    "name": N_("the name you gave is checked by a moderator first"),
    "language": N_("it is written in a language this site's automatic checks cannot read"),
}

# A site's choice for comments in a language the models do not know (SiteSettings.unknown_language):
# publish them (the word lists still apply) or hold each for a moderator.
UNKNOWN_LANGUAGE_CHOICES = ("publish", "hold")


@dataclass(frozen=True, slots=True)
class Trust:
    """What the policy knows about the author."""

    trusted: bool = False
    recent_rejections: int = 0


def _same(text: str) -> str:
    return text


def reader_message(decision: Decision, names: Sequence[str], gettext: Callable[[str], str] = _same) -> str:
    """What the author is told about a held or rejected comment, in gettext's language."""
    if not names:
        return gettext(PRE_MODERATED) if decision is Decision.HOLD else ""
    why = "; ".join(gettext(READER_REASONS[n]) if n in READER_REASONS else n for n in names)
    return gettext(REJECTED if decision is Decision.REJECT else HELD).format(why=why)


def thresholds_for(settings: SiteSettings) -> dict[str, dict[str, float]]:
    merged = {name: dict(pair) for name, pair in DEFAULT_THRESHOLDS.items()}
    for name, pair in settings.thresholds.items():
        merged.setdefault(name, {}).update(pair)
    return merged


def head_probability(head: Mapping[str, Any], scores: Mapping[str, float | None]) -> float:
    """A site's learned head: P(its moderators would not publish) from the model signals' scores."""
    z = float(head.get("bias", 0.0))
    for name, weight in (head.get("weights") or {}).items():
        z += float(weight) * float(scores.get(name) or 0.0)
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def _borderline(score: float, pair: Mapping[str, float]) -> bool:
    """Within the lower half of the band between holding and rejecting (or 0.2 above hold)."""
    hold = pair["hold"]
    ceiling = pair.get("reject", min(1.0, hold + 0.4))
    return score < hold + (ceiling - hold) / 2


def decide(
    signals: Mapping[str, SignalResult],
    settings: SiteSettings,
    trust: Trust = Trust(),
    calibration: Mapping[str, Any] | None = None,
) -> Verdict:
    """``calibration`` is the site's learned head (``moderation/calibrate.py``), if it has one:
    it then decides the model signals' holds together; rejects and the site's own rules stay."""
    limits = thresholds_for(settings)
    head = (calibration or {}).get("head")
    if head and any("not_checked" in r.evidence for n, r in signals.items() if n in SKIPPABLE):
        # The head learned from comments with every score (calibrate.unread); for one in a language
        # the models do not read, a missing score is not a zero: the thresholds decide instead.
        head = None
    rejects: list[str] = []
    holds: list[str] = []
    skipped: list[str] = []
    for name, result in signals.items():
        if result.score is None or name not in limits:
            continue
        pair = limits[name]
        if "reject" in pair and result.score >= pair["reject"]:
            rejects.append(name)
        elif head and name in SKIPPABLE:
            continue  # the head decides these below
        elif "hold" in pair and result.score >= pair["hold"]:
            if trust.trusted and name in SKIPPABLE and _borderline(result.score, pair):
                skipped.append(name)
            else:
                holds.append(name)

    def reason(name: str, threshold: str) -> str:
        return f"{name} {signals[name].score:.2f} ≥ {threshold} threshold {limits[name][threshold]:.2f}"

    # Signals that could not read the comment's language say so, so that a moderator knows a
    # publish means "not checked", not "checked and fine".
    unchecked = [
        f"{name} {'not' if result.score is None else 'partly'} checked: {result.evidence['not_checked']}"
        for name, result in signals.items()
        if isinstance(result.evidence.get("not_checked"), str)
    ]
    language = _unknown_language(signals)
    if language and settings.unknown_language == "hold" and not rejects:
        holds.append("language")

    recorded = {name: result.to_dict() for name, result in signals.items()}
    head_reasons: list[str] = []
    scores = {name: result.score for name, result in signals.items() if name in SKIPPABLE}
    if head and not rejects and scores:
        p, bar = head_probability(head, scores), float(head.get("threshold", 0.5))
        if p >= bar:
            # Held for the signal that weighs most in the site's head.
            weights = head.get("weights") or {}
            lead = max(scores, key=lambda n: float(weights.get(n, 0.0)) * float(scores[n] or 0.0))
            holds.append(lead)
            head_reasons.append(f"site calibration {p:.2f} ≥ {bar:.2f} ({lead})")
    mode = settings.moderation_mode.value
    if rejects:
        return Verdict(
            Decision.REJECT,
            tuple(reason(n, "reject") for n in rejects),
            reader_message(Decision.REJECT, rejects),
            recorded,
            mode,
            tuple(rejects),
        )
    reasons = [reason(n, "hold") for n in holds if n in signals and not (head and n in SKIPPABLE)]
    reasons += head_reasons
    if "language" in holds:
        reasons.append(f"held: written in {language}, which the models do not know (the site's setting)")
    reasons += [f"{n} borderline, skipped for a trusted reader" for n in skipped]
    reasons += unchecked
    if holds:
        message = reader_message(Decision.HOLD, holds)
        return Verdict(Decision.HOLD, tuple(reasons), message, recorded, mode, tuple(holds))
    if settings.moderation_mode is ModerationMode.PRE:
        message = reader_message(Decision.HOLD, ())
        return Verdict(Decision.HOLD, (*reasons, "pre-moderation"), message, recorded, mode, ())
    return Verdict(Decision.PUBLISH, tuple(reasons), "", recorded, mode)


def _unknown_language(signals: Mapping[str, SignalResult]) -> str | None:
    """The language's name when a model signal abstained because it does not know it."""
    for name in SKIPPABLE:
        result = signals.get(name)
        if result is not None and result.score is None and "not_checked" in result.evidence:
            return language_name(str(result.evidence.get("language", "")))
    return None


class WithoutModels:
    """The moderator when the models are switched off: no signals, but the site's mode still holds."""

    def assess(self, request: ModerationRequest) -> Verdict:
        return decide({}, request.site.settings)
