"""Measure the shipped toxicity model against two baselines, side by side.

    python -m modelling.evaluate_toxicity [--data DIR] [--select]

Columns:
- C3 test ROC-AUC: Constructive Comments Corpus, label = mean crowd toxicity level >= 2, on the
  articles hashed to "test" (``c3_half``). The "dev" articles are reported too: they were used to
  choose hyper-parameters and lexicon categories, so their figure is optimistic.
- OLID test macro-F1 (and ROC-AUC): OffensEval 2019 level A test split. Each model's threshold
  is chosen on held-out training data, never on the test set: out-of-fold predictions on OLID
  train for the models trained here, all of OLID train for alt-profanity-check (not trained here).
- SFU CTC ROC-AUC: label = popular toxicity answer >= 2 (mildly toxic or worse).

Baselines: ``alt-profanity-check`` (its own shipped model) and plain TF-IDF word 1-2 grams +
logistic regression trained on the same Davidson + OLID rows with scikit-learn defaults.
``--select`` also prints C3-dev AUC for a small hyper-parameter grid (what chose ``Params``).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline

from modelling.embedcache import embed_cached
from modelling.train_toxicity import (
    DEFAULT_DATA,
    Params,
    best_threshold,
    featurise,
    fit,
    load_c3,
    load_davidson,
    load_olid_test,
    load_olid_train,
    load_sfu,
    training_set,
)
from townhall.moderation.embedder import Embedder
from townhall.moderation.signal import Article, CommentInput
from townhall.moderation.signals.toxicity import ToxicitySignal


class Scorer(Protocol):
    name: str
    threshold: float  # offensive / not cut for OLID macro-F1, chosen without the test set

    def __call__(self, texts: list[str]) -> np.ndarray: ...


class Townhall:
    name = "Townhall toxicity, words only (lexical artefact)"

    def __init__(self) -> None:
        self.signal = ToxicitySignal.load()
        self.threshold = self.signal.threshold

    def __call__(self, texts: list[str]) -> np.ndarray:
        comments = [CommentInput(text=t, article=Article(title="")) for t in texts]
        return np.array([r.score for r in self.signal.score_many(comments)])


class TownhallWithHead(Townhall):
    """The shipped signal as the server runs it: lexical model plus the sentence-vector head."""

    name = "**Townhall toxicity (shipped: words + sentence head)**"

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.vectors = vectors

    def __call__(self, texts: list[str]) -> np.ndarray:
        comments = [CommentInput(text=t, article=Article(title="")) for t in texts]
        vecs = np.stack([self.vectors[t] for t in texts])
        return np.array([r.score for r in self.signal.score_many(comments, vecs)])


def sentence_vectors(data: Path) -> dict[str, np.ndarray]:
    """Vectors of every evaluated text, from the on-disk cache where the other scripts left them."""
    embedder = Embedder.load(threads=2)
    out: dict[str, np.ndarray] = {}
    with (data / "c3" / "C3_anonymized.csv").open(encoding="utf-8") as f:
        c3 = [r["comment_text"] for r in csv.DictReader(f)]
    for texts in (c3, load_sfu(data)[0], load_olid_test(data)[0]):
        out.update(zip(texts, embed_cached(embedder, texts), strict=True))
    return out


class ProfanityCheck:
    name = "alt-profanity-check"

    def __init__(self, olid_texts: list[str], olid_y: list[int]) -> None:
        from profanity_check import predict_prob

        self._predict = predict_prob
        self.threshold = best_threshold(np.array(olid_y), self(olid_texts))

    def __call__(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._predict(texts), dtype=np.float64)


class TfidfLR:
    name = "TF-IDF + LR (Davidson + OLID)"

    def __init__(self, texts: list[str], y: np.ndarray, is_olid: np.ndarray) -> None:
        self.model = self._fit(texts, y)
        # threshold from out-of-fold predictions on the OLID training rows
        oof = np.zeros(len(y))
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, y * 2 + is_olid):
            part = self._fit([texts[i] for i in tr], y[tr])
            oof[te] = part.predict_proba([texts[i] for i in te])[:, 1]
        self.threshold = best_threshold(y[is_olid == 1], oof[is_olid == 1])

    @staticmethod
    def _fit(texts: list[str], y: np.ndarray) -> Pipeline:
        pipe = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
            LogisticRegression(max_iter=3000),
        )
        return pipe.fit(texts, y)

    def __call__(self, texts: list[str]) -> np.ndarray:
        return self.model.predict_proba(texts)[:, 1]


def bootstrap_auc(y: np.ndarray, p: np.ndarray, groups: np.ndarray, n: int = 500) -> tuple[float, float]:
    """95 % interval of ROC-AUC resampling whole articles (comments of one article are not independent)."""
    rng = np.random.default_rng(0)
    ids, inv = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inv == g) for g in range(len(ids))]
    aucs = []
    for _ in range(n):
        idx = np.concatenate([members[g] for g in rng.integers(0, len(ids), len(ids))])
        if 0 < y[idx].sum() < len(idx):
            aucs.append(roc_auc_score(y[idx], p[idx]))
    lo, hi = np.percentile(aucs, [2.5, 97.5])
    return float(lo), float(hi)


def speed(model: Scorer, texts: list[str]) -> str:
    """Throughput of one batch call and latency of single calls, on real news comments."""
    assert isinstance(model, Townhall)
    comments = [CommentInput(text=t, article=Article(title="")) for t in texts]
    t0 = time.perf_counter()
    model.signal.score_many(comments)
    batch = len(comments) / (time.perf_counter() - t0)
    single = []
    for c in comments[:1000]:
        t0 = time.perf_counter()
        model.signal.score(c)
        single.append(time.perf_counter() - t0)
    ms = np.array(single) * 1000
    return (
        f"Speed (this machine, one thread): {batch:.0f} comments/s in one score_many call; "
        f"single score() {ms.mean():.2f} ms mean, {np.percentile(ms, 99):.2f} ms p99 "
        f"(C3 comments, {np.mean([len(t) for t in texts]):.0f} characters on average)"
    )


def select(data: Path) -> None:
    """C3-dev AUC over the grid that chose ``Params`` (dev half only; the test half is not read)."""
    dev_texts, dev_y, _ = load_c3(data, "dev")
    dev_f = featurise(dev_texts)
    base = Params()
    texts, y, _, is_olid = training_set(data, base)
    f = featurise(texts)
    print("| c | davidson_weight | C3 dev ROC-AUC |\n|---|---|---|")
    for c in (0.5, 1.0, 2.0):
        for dw in (0.0, 0.2, 0.5, 1.0):
            p = replace(base, c=c, davidson_weight=dw)
            w = np.where(is_olid == 1, 1.0, dw)
            auc = roc_auc_score(dev_y, fit(f, y, w, p).decision(dev_f))
            print(f"| {c} | {dw} | {auc:.4f} |")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with c3/, sfu_ctc/, olid/ ...")
    ap.add_argument("--select", action="store_true", help="also print the C3-dev hyper-parameter grid")
    args = ap.parse_args(argv)
    data = args.data

    c3_test, c3_test_y, c3_articles = load_c3(data, "test")
    c3_dev, c3_dev_y, _ = load_c3(data, "dev")
    olid_test, olid_test_y = load_olid_test(data)
    sfu, sfu_y = load_sfu(data)
    olid_train, olid_train_y = load_olid_train(data)
    dav, dav_y = load_davidson(data)
    tr_texts = olid_train + dav
    tr_y = np.array(olid_train_y + dav_y)
    is_olid = np.array([1] * len(olid_train) + [0] * len(dav))

    t0 = time.perf_counter()
    models: list[Scorer] = [
        TownhallWithHead(sentence_vectors(data)),
        Townhall(),
        ProfanityCheck(olid_train, olid_train_y),
        TfidfLR(tr_texts, tr_y, is_olid),
    ]
    print(f"(models ready in {time.perf_counter() - t0:.0f}s)", file=sys.stderr)

    rows = []
    for m in models:
        p_test = m(c3_test)
        lo, hi = bootstrap_auc(np.array(c3_test_y), p_test, np.array(c3_articles))
        p_olid = m(olid_test)
        rows.append(
            (
                m.name,
                f"{roc_auc_score(c3_test_y, p_test):.3f} [{lo:.3f}, {hi:.3f}]",
                f"{roc_auc_score(c3_dev_y, m(c3_dev)):.3f}",
                f"{f1_score(olid_test_y, p_olid >= m.threshold, average='macro'):.3f} (t={m.threshold:.2f})",
                f"{roc_auc_score(olid_test_y, p_olid):.3f}",
                f"{roc_auc_score(sfu_y, m(sfu)):.3f}",
            )
        )

    print(
        f"C3 test: {len(c3_test)} comments on {len(set(c3_articles))} articles, "
        f"{np.mean(c3_test_y):.1%} toxic; OLID test: {len(olid_test)}; SFU CTC: {len(sfu)}\n"
    )
    print(
        "| model | C3 test ROC-AUC [95% CI, by article] | C3 dev ROC-AUC (used for choices) "
        "| OLID test macro-F1 | OLID test ROC-AUC | SFU CTC ROC-AUC |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print("\n" + speed(models[0], c3_test))
    print("\nCommand: python -m modelling.evaluate_toxicity" + (" --select" if args.select else ""))
    if args.select:
        print()
        select(data)


if __name__ == "__main__":
    main()
