"""Train the shipped toxicity model on permissively licensed data only.

    python -m modelling.train_toxicity [--data DIR] [--out FILE]

Training data: Davidson et al. 2017 (MIT; hate speech + offensive vs neither) and the OLID /
OffensEval 2019 training split (CC BY 4.0; level A OFF vs NOT). C3 and the SFU corpus are
non-commercial: their loaders live here for ``modelling.evaluate_toxicity``, but
training never calls them.

Output: ``townhall/moderation/artefacts/toxicity.npz`` with plain arrays (vocabulary, IDF,
coefficients, intercept, OLID threshold); runtime needs numpy only. The features are computed by
the runtime module itself, so training and serving cannot drift apart.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from modelling.paths import DATA
from townhall.moderation.signals.toxicity import (
    ARTEFACT,
    LEXICON_FEATURES,
    analyse,
    lexicon_values,
    tokenize,
)

DEFAULT_DATA = DATA
VERSION = "toxicity-lr-2026.11-1"


@dataclass(frozen=True)
class Params:
    """Chosen on the C3 dev half (articles hashed to "dev") and OLID cross-validation; see model card."""

    c: float = 1.0  # inverse L2 strength of the logistic regression
    davidson_weight: float = 0.2  # per-row weight of Davidson tweets (OLID rows weigh 1)
    min_df: int = 2  # a word or pair must occur in this many training texts


# --- Data loading (shared with the evaluation script) ----------------------------------------------


def clean_tweet(text: str) -> str:
    """Drop what only tweets have (retweet marks, user handles, links, HTML entities, '#')."""
    text = html.unescape(text)
    text = re.sub(r"@\w+|\bRT\b|https?://\S+|\bURL\b", " ", text)
    return text.replace("#", " ")


def load_davidson(data: Path) -> tuple[list[str], list[int]]:
    """Tweets, label 1 = hate speech or offensive (classes 0 and 1), 0 = neither."""
    with (data / "davidson" / "labeled_data.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [clean_tweet(r["tweet"]) for r in rows], [int(r["class"] != "2") for r in rows]


def _read_tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as f:
        next(f)
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def load_olid_train(data: Path) -> tuple[list[str], list[int]]:
    rows = _read_tsv(data / "olid" / "olid-training-v1.0.tsv")
    return [clean_tweet(r[1]) for r in rows], [int(r[2] == "OFF") for r in rows]


def load_olid_test(data: Path) -> tuple[list[str], list[int]]:
    with (data / "olid" / "labels-levela.csv").open(encoding="utf-8") as f:
        gold = {row[0]: row[1] for row in csv.reader(f) if len(row) == 2}
    rows = _read_tsv(data / "olid" / "testset-levela.tsv")
    return [clean_tweet(r[1]) for r in rows], [int(gold[r[0]] == "OFF") for r in rows]


def c3_half(article_id: str) -> str:
    """Fixed split of C3 by article: half of the articles are "dev", the rest "test"."""
    return "dev" if hashlib.sha256(article_id.encode()).digest()[0] % 2 == 0 else "test"


def load_c3(data: Path, half: str) -> tuple[list[str], list[int], list[str]]:
    """C3 comments of one half, labels (1 = mean crowd toxicity level >= 2) and article ids.

    Evaluation only: C3 is non-commercial.
    """
    with (data / "c3" / "C3_anonymized.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if c3_half(r["article_id"]) == half]
    return (
        [r["comment_text"] for r in rows],
        [int(float(r["crowd_toxicity_level"]) >= 2) for r in rows],
        [r["article_id"] for r in rows],
    )


def load_sfu(data: Path) -> tuple[list[str], list[int]]:
    """SFU CTC comments; label 1 = popular toxicity answer >= 2 (mildly toxic or worse). Evaluation only."""
    with (data / "sfu_ctc" / "SFU_constructiveness_toxicity.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["comment"] for r in rows], [int(int(r["is_toxic_popular_answer_1"]) >= 2) for r in rows]


# --- Features ---------------------------------------------------------------------------------------


@dataclass
class Featurised:
    """Per-text word-feature counts and lexicon values, before a vocabulary is fixed."""

    counts: list[Counter[str]]
    lex: np.ndarray


def featurise(texts: list[str]) -> Featurised:
    counts: list[Counter[str]] = []
    lex = np.zeros((len(texts), len(LEXICON_FEATURES)))
    for i, t in enumerate(texts):
        feats, hits = analyse(tokenize(t))
        counts.append(Counter(f for f, _, _ in feats))
        lex[i] = lexicon_values(hits)
    return Featurised(counts, lex)


@dataclass
class Vectoriser:
    """Vocabulary and IDF fitted on training texts; computes what the runtime computes."""

    vocab: dict[str, int]
    idf: np.ndarray

    @classmethod
    def fit(cls, f: Featurised, min_df: int) -> Vectoriser:
        df: Counter[str] = Counter()
        for c in f.counts:
            df.update(c.keys())
        words = sorted(w for w, n in df.items() if n >= min_df)
        n_docs = len(f.counts)
        # smoothed IDF, as scikit-learn's TfidfVectorizer computes it
        idf = np.log((1 + n_docs) / (1 + np.array([df[w] for w in words], dtype=np.float64))) + 1.0
        return cls({w: i for i, w in enumerate(words)}, idf)

    def words(self, f: Featurised) -> csr_matrix:
        rows, cols, vals = [], [], []
        for r, c in enumerate(f.counts):
            for w, n in c.items():
                j = self.vocab.get(w)
                if j is not None:
                    rows.append(r)
                    cols.append(j)
                    vals.append((1.0 + np.log(n)) * self.idf[j])
        m = csr_matrix((vals, (rows, cols)), shape=(len(f.counts), len(self.vocab)))
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return csr_matrix(m.multiply(1.0 / norms[:, None]))

    def matrix(self, f: Featurised) -> csr_matrix:
        return hstack([self.words(f), csr_matrix(f.lex)]).tocsr()


@dataclass
class Trained:
    vec: Vectoriser
    model: LogisticRegression
    params: Params

    def decision(self, f: Featurised) -> np.ndarray:
        return self.model.decision_function(self.vec.matrix(f))


def fit(f: Featurised, y: np.ndarray, weights: np.ndarray, params: Params) -> Trained:
    vec = Vectoriser.fit(f, params.min_df)
    model = LogisticRegression(C=params.c, max_iter=5000, solver="lbfgs")
    model.fit(vec.matrix(f), y, sample_weight=weights)
    return Trained(vec, model, params)


def subset(f: Featurised, idx: np.ndarray) -> Featurised:
    return Featurised([f.counts[i] for i in idx], f.lex[idx])


def best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability cut that maximises macro-F1 on held-out predictions."""
    grid = np.linspace(0.05, 0.95, 91)
    scores = [f1_score(y, p >= t, average="macro") for t in grid]
    return float(grid[int(np.argmax(scores))])


def olid_threshold(
    f: Featurised, y: np.ndarray, weights: np.ndarray, is_olid: np.ndarray, params: Params, folds: int = 5
) -> float:
    """Threshold for OLID-style offensive / not, from out-of-fold predictions on the OLID rows."""
    oof = np.zeros(len(y))
    split = StratifiedKFold(folds, shuffle=True, random_state=0)
    for tr, te in split.split(np.zeros(len(y)), y * 2 + is_olid):
        t = fit(subset(f, tr), y[tr], weights[tr], params)
        oof[te] = 1.0 / (1.0 + np.exp(-t.decision(subset(f, te))))
    return best_threshold(y[is_olid == 1], oof[is_olid == 1])


def training_set(data: Path, params: Params) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Texts, labels, sample weights and an is-OLID mask for davidson + OLID train."""
    ot, oy = load_olid_train(data)
    dt, dy = load_davidson(data)
    y = np.array(oy + dy)
    weights = np.array([1.0] * len(ot) + [params.davidson_weight] * len(dt))
    is_olid = np.array([1] * len(ot) + [0] * len(dt))
    return ot + dt, y, weights, is_olid


def save(trained: Trained, threshold: float, out: Path) -> None:
    """Plain arrays only (no pickle): the runtime loads them with numpy."""
    coef = trained.model.coef_[0]
    n = len(trained.vec.vocab)
    words = sorted(trained.vec.vocab, key=trained.vec.vocab.__getitem__)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        vocab=np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8),
        idf=trained.vec.idf.astype(np.float32),
        coef=coef[:n].astype(np.float32),
        lex_coef=coef[n:].astype(np.float32),
        intercept=np.float64(trained.model.intercept_[0]),
        threshold=np.float64(threshold),
        version=np.str_(VERSION),
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with davidson/ and olid/")
    ap.add_argument("--out", type=Path, default=ARTEFACT)
    args = ap.parse_args(argv)
    params = Params()
    t0 = time.perf_counter()
    texts, y, weights, is_olid = training_set(args.data, params)
    f = featurise(texts)
    threshold = olid_threshold(f, y, weights, is_olid, params)
    trained = fit(f, y, weights, params)
    save(trained, threshold, args.out)
    print(
        f"trained on {len(texts)} texts ({int(is_olid.sum())} OLID, {int((1 - is_olid).sum())} Davidson) "
        f"in {time.perf_counter() - t0:.1f}s; OLID threshold {threshold:.2f}"
    )
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB), version {VERSION}")


if __name__ == "__main__":
    main()
