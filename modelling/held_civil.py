"""Read the civil comments the default policy holds on C3's dev articles, signal by signal.

    .venv/bin/python -m modelling.held_civil [--signal toxicity|off_topic|spam] [--split dev] [--limit N]

Error analysis for the yardstick that counts first (a held civil comment is a reader silenced and a
moderator's minute). Scores every C3 comment as ``modelling.calibrate_policy`` does, at the policy's
current default thresholds, and prints the civil ones (crowd toxicity level < 2) a signal holds,
highest score first, with the parts a moderator would see: for toxicity the word model's and the
sentence head's own probabilities and the words that drove it. Read the dev articles; the test
articles and SFU are for reporting (``--split test`` exists for that, not for choosing). C3 is
non-commercial: this reads it, it trains nothing.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from modelling import calibrate_policy as cp
from modelling.paths import DATA
from townhall.moderation import policy
from townhall.moderation.embedder import Embedder
from townhall.moderation.signal import Article, CommentInput
from townhall.moderation.signals.spam import NEWS_OFFSET
from townhall.moderation.signals.toxicity import ToxicitySignal


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--signal", choices=cp.SIGNALS, default="toxicity")
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--limit", type=int, default=60)
    args = ap.parse_args(argv)
    embedder = Embedder.load(threads=2)
    s = cp.load(args.data, embedder)
    with (args.data / "c3" / "C3_anonymized.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    n = len(rows)
    p = 1.0 / (1.0 + np.exp(-(s.scores["spam_logit"] - NEWS_OFFSET)))
    s.scores["spam"] = 1.0 - s.scores["spam_keep"] * (1.0 - p)
    hold = policy.DEFAULT_THRESHOLDS[args.signal]["hold"]
    scores = s.scores[args.signal][:n]
    civil = (s.half[:n] == args.split) & ~s.toxic[:n]
    idx = [int(i) for i in np.where(civil & cp.held(scores, hold))[0]]
    idx.sort(key=lambda i: -scores[i])
    print(f"{args.signal}: {len(idx)} of {int(civil.sum())} civil comments held on C3 {args.split} at {hold}")
    texts = [rows[i]["comment_text"] for i in idx[: args.limit]]
    parts = [""] * len(texts)
    if args.signal == "toxicity" and texts:
        signal = ToxicitySignal.load()
        results = signal.score_many([CommentInput(t, Article("")) for t in texts], embedder.embed(texts, 64))
        parts = [
            f"words {r.evidence['lexical']:.2f} sentence {r.evidence.get('sentence', float('nan')):.2f} "
            f"{[sp['text'] for sp in r.evidence['spans']]} "
            for r in results
        ]
    for i, text, part in zip(idx, texts, parts, strict=False):
        level = rows[i]["crowd_toxicity_level"]
        print(f"{scores[i]:.3f} crowd {level} {part}| {' '.join(text.split())[:300]}")


if __name__ == "__main__":
    main()
