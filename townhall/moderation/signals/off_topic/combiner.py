"""The learned combiner: a logistic regression over the off-topic features.

Trained by ``modelling/train_off_topic.py``; ships as a few weights in
``artefacts/off-topic-combiner.json``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from townhall.moderation.embedder import ARTEFACTS

# What the combiner reads, in this order. Similarities are cosines of MiniLM vectors; a margin is
# this story's relatedness minus how related the comment is to the site's other stories (their
# article and first comments); a missing part contributes 0 and its presence flag says so.
FEATURES = (
    "article_margin",
    "article_similarity",
    "has_article",
    "thread_margin",
    "thread_centroid",
    "thread_weight",
    "lexical_overlap",
    "foreign_names",
    "length",
)
COMBINER_FILE = "off-topic-combiner.json"


@dataclass(frozen=True)
class Combiner:
    """A logistic regression over :data:`FEATURES` (a subset may be used): P(not about this story)."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    version: str

    def probability(self, values: dict[str, float]) -> float:
        z = self.bias + sum(w * values.get(f, 0.0) for f, w in zip(self.features, self.weights, strict=True))
        return _sigmoid(z)

    def contributions(self, values: dict[str, float]) -> dict[str, float]:
        """Each feature's share of the logit, for the evidence."""
        return {f: round(w * values.get(f, 0.0), 3) for f, w in zip(self.features, self.weights, strict=True)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "features": list(self.features),
            "weights": list(self.weights),
            "bias": self.bias,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Combiner:
        weights = tuple(float(w) for w in d["weights"])
        return cls(tuple(d["features"]), weights, float(d["bias"]), d["version"])

    @classmethod
    def load(cls, path: Path | None = None) -> Combiner:
        return cls.from_dict(json.loads((path or ARTEFACTS / COMBINER_FILE).read_text(encoding="utf-8")))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))
