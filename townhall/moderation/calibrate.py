"""Learning from a site's moderators: their approvals and rejections recalibrate its thresholds.

Each decided comment is an example: the model signals' scores it arrived with and what the
moderator did (rejected, or approved/kept). Agreement is the share of examples where the policy's
call (hold or publish) matches the moderator's (reject or approve). Thresholds are searched one
signal at a time, keeping the current one on ties; with enough decisions of both kinds, a
per-site head (logistic regression over the scores) is fitted too and kept only if it agrees
clearly better. Pure functions: the services gather the examples and store the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from townhall.moderation.policy import SKIPPABLE, head_probability

MODEL_SIGNALS = tuple(sorted(SKIPPABLE))  # the signals whose holds are calibrated
MIN_DECISIONS = 20  # fewer moderator decisions than this: nothing is learned
MIN_FOR_HEAD = 60  # a head needs this many decisions ...
MIN_PER_CLASS = 15  # ... with at least this many approvals and as many rejections
HEAD_MARGIN = 0.02  # a head replaces the thresholds only if it agrees this much better
# Hold thresholds tried: 0.20 … 0.95, then the top end, where a signal a site disagrees with is
# all but switched off (1.0 holds only a certain score).
GRID = (*(round(0.05 * i, 2) for i in range(4, 20)), 0.97, 0.99, 1.0)


@dataclass(frozen=True, slots=True)
class Example:
    scores: Mapping[str, float]  # the model signals' scores on arrival (an abstaining one is absent)
    fixed: bool  # held by something not calibrated here: word lists, trust, a name, a reject score
    rejected: bool  # the moderator's decision


@dataclass(frozen=True, slots=True)
class Calibration:
    decisions: int
    before: float | None
    after: float | None
    thresholds: dict[str, dict[str, float]]  # the site's thresholds after (every signal's pair)
    head: dict[str, Any] | None = None
    unread: int = 0  # decisions left out: on comments the models could not read (their language)

    @property
    def learned(self) -> bool:
        return self.after is not None


def unread(verdict: Mapping[str, Any] | None) -> bool:
    """Whether a model signal abstained on the comment (or read it without its text model) because
    it does not know the comment's language. Such a decision says nothing about the scores: a
    German insult has no toxicity score, and what its rejection would teach lands on whatever
    score is left (spam's rules), or on a zero standing in for the missing one."""
    signals = (verdict or {}).get("signals") or {}
    return any(
        isinstance(reading, dict) and "not_checked" in (reading.get("evidence") or {})
        for name, reading in signals.items()
        if name in MODEL_SIGNALS
    )


def example(
    verdict: Mapping[str, Any] | None, rejected: bool, limits: Mapping[str, Mapping[str, float]]
) -> Example | None:
    """An example from a stored verdict (None when it carries no model scores, or when a model
    could not read the comment's language)."""
    if unread(verdict):
        return None
    signals = (verdict or {}).get("signals") or {}
    scores: dict[str, float] = {}
    fixed = False
    for name, reading in signals.items():
        score = reading.get("score") if isinstance(reading, dict) else None
        if not isinstance(score, int | float) or isinstance(score, bool):
            continue
        pair = limits.get(name, {})
        if name in MODEL_SIGNALS:
            scores[name] = float(score)
            fixed = fixed or ("reject" in pair and score >= pair["reject"])
        elif "hold" in pair and score >= pair["hold"]:
            fixed = True
    if not scores:
        return None
    return Example(scores, fixed, rejected)


def holds(
    ex: Example, limits: Mapping[str, Mapping[str, float]], head: Mapping[str, Any] | None = None
) -> bool:
    if ex.fixed:
        return True
    if head:
        return head_probability(head, ex.scores) >= float(head.get("threshold", 0.5))
    return any(score >= limits.get(name, {}).get("hold", 2.0) for name, score in ex.scores.items())


def agreement(
    examples: Sequence[Example],
    limits: Mapping[str, Mapping[str, float]],
    head: Mapping[str, Any] | None = None,
) -> float | None:
    if not examples:
        return None
    return sum(holds(ex, limits, head) == ex.rejected for ex in examples) / len(examples)


def _search(examples: Sequence[Example], limits: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    best = {name: dict(pair) for name, pair in limits.items()}
    score = agreement(examples, best) or 0.0
    for _round in range(2):
        for name in MODEL_SIGNALS:
            current = best.get(name, {})
            ceiling = current.get("reject", 1.0)
            for candidate in GRID:
                if candidate >= ceiling or candidate == current.get("hold"):
                    continue
                trial = {**best, name: {**current, "hold": candidate}}
                found = agreement(examples, trial) or 0.0
                if found > score + 1e-9:  # strictly better: on a tie the current threshold stays
                    best, score = trial, found
                    current = best[name]
    return best


def fit_head(examples: Sequence[Example], l2: float = 1.0, steps: int = 30) -> dict[str, Any]:
    """L2-regularised logistic regression (Newton's method) on the model signals' scores."""
    x = np.array([[ex.scores.get(n, 0.0) for n in MODEL_SIGNALS] + [1.0] for ex in examples])
    y = np.array([1.0 if ex.rejected else 0.0 for ex in examples])
    w = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1]) * l2
    penalty[-1, -1] = 0.0  # the bias is not shrunk
    for _step in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -60, 60)))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty + np.eye(x.shape[1]) * 1e-9
        w -= np.linalg.solve(hessian, gradient)
    weights = {name: round(float(v), 4) for name, v in zip(MODEL_SIGNALS, w[:-1], strict=True)}
    return {"weights": weights, "bias": round(float(w[-1]), 4), "threshold": 0.5}


def calibrate(examples: Sequence[Example], limits: Mapping[str, Mapping[str, float]]) -> Calibration:
    """New thresholds (and perhaps a head) from the examples; unchanged when there are too few."""
    current = {name: dict(pair) for name, pair in limits.items()}
    before = agreement(examples, current)
    if len(examples) < MIN_DECISIONS:
        return Calibration(len(examples), before, None, current)
    thresholds = _search(examples, current)
    after = agreement(examples, thresholds)
    head = None
    rejected = sum(ex.rejected for ex in examples)
    if len(examples) >= MIN_FOR_HEAD and min(rejected, len(examples) - rejected) >= MIN_PER_CLASS:
        candidate = fit_head([ex for ex in examples if not ex.fixed] or list(examples))
        with_head = agreement(examples, thresholds, candidate)
        if with_head is not None and after is not None and with_head >= after + HEAD_MARGIN:
            head, after = candidate, with_head
    return Calibration(len(examples), before, after, thresholds, head)
