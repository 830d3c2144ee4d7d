"""Measure the off-topic signal on real news comments, by pairing (there is no labelled set).

    python -m modelling.evaluate_off_topic [--data DIR] [--cache DIR] [--quick]

On-topic: a real comment under its own article, with the comments posted before it as its thread.
Off-topic: the same comment placed under *another article on a similar subject* (the most similar
article of the same split, by comment centroid and title), at the same position in that article's
thread, so both conditions get the same amount of context. This is the hard case: both articles
are Canadian opinion pieces, often about the same election or the same war.

Data (measurement only; both sets are non-commercial and train nothing that ships):
  * C3: 484 articles, no title or text. The signal sees only the thread (comments before this one).
  * SFU CTC: 10 articles with titles (no body). The signal sees the title and the thread.

Splits are by article. C3: 40 % dev / 60 % test (seeded); thresholds for "at most 2 % of on-topic
held" are chosen on dev and reported on test. SFU: two folds of 5 articles, threshold chosen on one
fold and reported on the other, pooled. Baselines are scored on exactly the same pairs.

The "site background" the signal is calibrated against is the other articles of the same split
(title and first comments), *excluding* both the host and the source article: the comment's own
story is not there to be recognised, which is the conservative case. A separate row adds the
source story to the background (a comment about another story the same site carries, as on the
seed page).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from modelling.paths import DATA  # noqa: E402
from townhall.moderation.embedder import Embedder
from townhall.moderation.signal import Article, CommentInput
from townhall.moderation.signals.off_topic import (
    MAX_CONTEXT,
    ArticleRepr,
    BackgroundStory,
    OffTopicConfig,
    OffTopicSignal,
    load_default_background,
    represent_article,
)

MAX_RATE = 0.02  # at most 2 % of on-topic comments held
DEFAULT_HOLD = 0.5  # the policy's default hold threshold for off_topic


@dataclass
class Story:
    key: str
    title: str
    comments: list[int]  # indices into the corpus, in posting order


@dataclass
class Corpus:
    name: str
    texts: list[str]
    stories: list[Story]
    vecs: np.ndarray | None = None


# ---------------------------------------------------------------------------------------------
# Data


def load_c3(data: Path) -> Corpus:
    by: dict[str, list[tuple[int, int]]] = defaultdict(list)
    texts: list[str] = []
    with (data / "c3" / "C3_anonymized.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            # comment_counter is "sourceN_<article>_<n>"; n orders comments within the article
            order = int(row["comment_counter"].rsplit("_", 1)[-1])
            by[row["article_id"]].append((order, len(texts)))
            texts.append(row["comment_text"])
    stories = [Story(k, "", [i for _, i in sorted(v)]) for k, v in sorted(by.items())]
    return Corpus("C3", texts, stories)


def load_sfu(data: Path) -> Corpus:
    by: dict[str, list[int]] = defaultdict(list)
    titles: dict[str, str] = {}
    texts: list[str] = []
    with (data / "sfu_ctc" / "SFU_constructiveness_toxicity.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            url = row["globe_url"] or row["url"]
            title = row["title"].removesuffix(" - The Globe and Mail").strip()
            titles.setdefault(url, title)
            by[url].append(len(texts))  # no timestamps: file order stands in for posting order
            texts.append(row["comment"])
    stories = [Story(k, titles[k], v) for k, v in sorted(by.items())]
    return Corpus("SFU", texts, stories)


def embed_cached(embedder: Embedder, texts: list[str], cache: Path | None, max_tokens: int) -> np.ndarray:
    key = hashlib.sha256(("\x1f".join(texts) + embedder.version + str(max_tokens)).encode()).hexdigest()[:16]
    path = cache / f"emb-{key}.npy" if cache else None
    if path and path.exists():
        return np.load(path)
    vecs = embedder.embed(texts, max_tokens=max_tokens)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vecs)
    return vecs


# ---------------------------------------------------------------------------------------------
# Pairing


@dataclass
class Pairs:
    """Scores of one method on on-topic and off-topic placements (NaN = abstained)."""

    on: np.ndarray
    off: np.ndarray
    on_story: np.ndarray  # host story index per on-topic item, for fold splits

    def subset(self, stories: set[int]) -> Pairs:
        m = np.isin(self.on_story, list(stories))
        return Pairs(self.on[m], self.off[m], self.on_story[m])


def centroids(corpus: Corpus, title_vecs: dict[str, np.ndarray]) -> np.ndarray:
    assert corpus.vecs is not None
    out = []
    for s in corpus.stories:
        c = corpus.vecs[s.comments].mean(0)
        c /= np.linalg.norm(c)
        if s.key in title_vecs:  # title and comments weigh the same
            c = c + title_vecs[s.key]
            c /= np.linalg.norm(c)
        out.append(c)
    return np.array(out)


def partner(cent: np.ndarray, pool: Sequence[int], mode: str, rng: random.Random) -> dict[int, int]:
    """For each story of the pool, the story whose context its comments are placed under."""
    pool = list(pool)
    sims = cent[pool] @ cent[pool].T
    np.fill_diagonal(sims, -9.0)
    order = np.argsort(-sims, axis=1)
    out = {}
    for row, a in enumerate(pool):
        if mode == "nearest":
            out[a] = pool[int(order[row, 0])]
        elif mode == "5th-nearest":
            out[a] = pool[int(order[row, min(4, len(pool) - 2)])]
        else:
            out[a] = pool[rng.choice([j for j in range(len(pool)) if j != row])]
    return out


def thread_at(story: Story, pos: int) -> list[int]:
    pos = min(pos, len(story.comments))
    return story.comments[max(0, pos - MAX_CONTEXT) : pos]


@dataclass
class RunResult:
    signal: Pairs
    thread: Pairs  # baseline: cosine to the centroid of the same earlier comments
    thread_same: Pairs  # that baseline, only where the signal does not abstain
    title: Pairs | None  # baseline: cosine to the title, where there is one
    features: np.ndarray  # signal features per placement, for the reference regression


# ---------------------------------------------------------------------------------------------
# Methods


class Evaluator:
    def __init__(self, embedder: Embedder, corpus: Corpus, title_vecs: dict[str, np.ndarray]) -> None:
        self.embedder = embedder
        self.c = corpus
        self.title_vecs = title_vecs
        self.reprs = {
            s.key: represent_article(embedder, s.title, "", key=s.key) if s.title else _empty_repr(s.key)
            for s in corpus.stories
        }
        assert corpus.vecs is not None
        self.bg = {
            i: BackgroundStory(self.reprs[s.key], corpus.vecs[s.comments[:MAX_CONTEXT]])
            for i, s in enumerate(corpus.stories)
        }
        self.signal = OffTopicSignal(embedder, background=[])
        self.default_bg = load_default_background(embedder)

    def run(self, pool: Sequence[int], pairing: dict[int, int], background: str) -> RunResult:
        """Score every comment of every pool story, on-topic and placed under its partner."""
        V = self.c.vecs
        assert V is not None
        out: dict[str, list[float]] = defaultdict(list)
        feats: list[list[float]] = []
        hosts: list[int] = []
        for a in pool:
            b = pairing[a]
            A = self.c.stories[a]
            for host, label in ((a, "on"), (b, "off")):
                H = self.c.stories[host]
                if background == "default":
                    self.signal.set_background(self.default_bg)
                elif background == "site":  # neither the host nor the comment's own story
                    self.signal.set_background([self.bg[i] for i in pool if i not in (a, b)])
                else:  # "site+source": every other story, the comment's own included when misplaced
                    self.signal.set_background([self.bg[i] for i in pool if i != host])
                comments, vecs, threads = [], [], []
                for pos, ci in enumerate(A.comments):
                    th = thread_at(H, pos)
                    th_texts = tuple(self.c.texts[j] for j in th)
                    comments.append(CommentInput(self.c.texts[ci], Article(H.title), thread=th_texts))
                    vecs.append(V[ci])
                    threads.append(V[th] if th else np.zeros((0, V.shape[1]), np.float32))
                results = self.signal.assess_many(
                    comments, self.reprs[H.key], comment_vecs=np.array(vecs), thread_vecs=threads
                )
                for pos, (r, ci) in enumerate(zip(results, A.comments, strict=True)):
                    out[f"signal_{label}"].append(np.nan if r.score is None else r.score)
                    th = thread_at(H, pos)
                    tc = _centroid(V[th]) if th else None
                    out[f"thread_{label}"].append(np.nan if tc is None else -float(V[ci] @ tc))
                    if H.key in self.title_vecs:
                        out[f"title_{label}"].append(-float(V[ci] @ self.title_vecs[H.key]))
                    ev = r.evidence
                    bg = ev["background"]
                    feats.append(
                        [
                            _num(ev["thread_similarity"]),
                            _num(bg["thread"]),
                            _num(ev["similarity"]),
                            _num(bg["article"]),
                            np.log1p(len(th)),
                            float(label == "off"),
                            float(r.score is None),
                        ]
                    )
                    if label == "on":
                        hosts.append(a)

        def pairs(m: str) -> Pairs:
            return Pairs(np.array(out[f"{m}_on"]), np.array(out[f"{m}_off"]), np.array(hosts))

        sig, thr = pairs("signal"), pairs("thread")
        # the thread baseline restricted to the items the signal scores, for a like-for-like AUC
        same = Pairs(
            np.where(np.isnan(sig.on), np.nan, thr.on),
            np.where(np.isnan(sig.off), np.nan, thr.off),
            thr.on_story,
        )
        title = pairs("title") if out["title_on"] else None
        return RunResult(sig, thr, same, title, np.array(feats))


def _empty_repr(key: str) -> ArticleRepr:
    return ArticleRepr("", [], np.zeros((0, 384), np.float32), None, {}, frozenset(), [], key=key)


def _centroid(m: np.ndarray) -> np.ndarray:
    c = m.mean(0)
    return c / max(float(np.linalg.norm(c)), 1e-12)


def _num(x: float | None) -> float:
    return np.nan if x is None else float(x)


# ---------------------------------------------------------------------------------------------
# Metrics


def roc_auc(on: np.ndarray, off: np.ndarray) -> float:
    """P(off-topic scores above on-topic), ties half; abstentions left out."""
    on, off = on[~np.isnan(on)], off[~np.isnan(off)]
    if not len(on) or not len(off):
        return float("nan")
    allv = np.concatenate([on, off])
    ranks = _rankdata(allv)
    r_off = ranks[len(on) :].sum()
    return float((r_off - len(off) * (len(off) + 1) / 2) / (len(on) * len(off)))


def _rankdata(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=np.float64)
    sx = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and sx[j + 1] == sx[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def threshold_for(on: np.ndarray, max_rate: float = MAX_RATE) -> float:
    """Lowest threshold holding at most ``max_rate`` of on-topic (abstained counts as not held)."""
    scored = np.sort(on[~np.isnan(on)])[::-1]
    allowed = int(np.floor(max_rate * len(on)))
    if allowed >= len(scored):
        return -np.inf
    return float(np.nextafter(scored[allowed], np.inf))  # strictly above the first one not allowed


def held(scores: np.ndarray, thr: float) -> float:
    return float(np.mean(np.nan_to_num(scores, nan=-np.inf) >= thr))


def summarise(dev: Pairs, test: Pairs) -> dict[str, float]:
    thr = threshold_for(dev.on)
    return {
        "auc": roc_auc(test.on, test.off),
        "on_held": held(test.on, thr),
        "off_caught": held(test.off, thr),
        "abstain": float(np.mean(np.isnan(np.concatenate([test.on, test.off])))),
        "threshold": thr,
        "pairs": float(len(test.on)),
        "on_held_default": held(test.on, DEFAULT_HOLD),
        "off_caught_default": held(test.off, DEFAULT_HOLD),
    }


def cross_fold(p: Pairs, folds: list[set[int]]) -> dict[str, float]:
    """Threshold chosen on one fold of stories, applied to the other; counts pooled."""
    on_h, off_c, n = 0.0, 0.0, 0
    for i, f in enumerate(folds):
        dev = p.subset(set().union(*(g for j, g in enumerate(folds) if j != i)))
        test = p.subset(f)
        thr = threshold_for(dev.on)
        on_h += held(test.on, thr) * len(test.on)
        off_c += held(test.off, thr) * len(test.off)
        n += len(test.on)
    return {
        "auc": roc_auc(p.on, p.off),
        "on_held": on_h / n,
        "off_caught": off_c / n,
        "abstain": float(np.mean(np.isnan(np.concatenate([p.on, p.off])))),
        "pairs": float(n),
        "on_held_default": held(p.on, DEFAULT_HOLD),
        "off_caught_default": held(p.off, DEFAULT_HOLD),
    }


def learned_reference(dev_feats: np.ndarray, test_feats: np.ndarray) -> dict[str, float]:
    """Headroom check, NOT shipped: a logistic regression over the signal's own features, fitted
    on the dev split (non-commercial data may measure but not train what ships)."""
    from sklearn.linear_model import LogisticRegression

    def xy(f: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keep = f[:, 6] == 0
        x = np.nan_to_num(f[:, :5], nan=0.0)
        return x, f[:, 5], keep

    xd, yd, kd = xy(dev_feats)
    xt, yt, kt = xy(test_feats)
    lr = LogisticRegression(max_iter=1000).fit(xd[kd], yd[kd])
    sd = np.where(kd, lr.decision_function(xd), np.nan)
    st = np.where(kt, lr.decision_function(xt), np.nan)
    return summarise(
        Pairs(sd[yd == 0], sd[yd == 1], np.zeros(0)), Pairs(st[yt == 0], st[yt == 1], np.zeros(0))
    )


# ---------------------------------------------------------------------------------------------
# Speed


def bench(embedder: Embedder, texts: list[str], repeats: int = 200) -> dict[str, float]:
    """Single-comment latency and batch throughput of embedding + off-topic scoring."""
    signal = OffTopicSignal(embedder)
    art = represent_article(embedder, "Council closes library branch", "The council voted to close a branch.")
    thread = embedder.embed(texts[:MAX_CONTEXT])
    short = [t for t in texts if 40 <= len(t) <= 200][:repeats]
    lat, cpu = [], []
    for t in short:
        c = CommentInput(t, Article(art.title), thread=tuple(texts[:MAX_CONTEXT]))
        w, p = time.perf_counter(), time.process_time()
        v = embedder.embed([t], max_tokens=signal.config.max_tokens)
        signal.assess(c, art, comment_vec=v[0], thread_vecs=thread)
        lat.append(time.perf_counter() - w)
        cpu.append(time.process_time() - p)
    out = {
        "single_ms_median": 1000 * statistics.median(lat),
        "single_cpu_ms_median": 1000 * statistics.median(cpu),
    }
    batch = texts[:1000]
    comments = [CommentInput(t, Article(art.title), thread=tuple(texts[:MAX_CONTEXT])) for t in batch]
    for max_tokens in sorted({signal.config.max_tokens, 64, 128}):
        w = time.perf_counter()
        vecs = embedder.embed(batch, max_tokens=max_tokens)
        t_embed = time.perf_counter() - w
        signal.assess_many(comments, art, comment_vecs=vecs, thread_vecs=[thread] * len(batch))
        out[f"batch_per_s@{max_tokens}"] = len(batch) / (time.perf_counter() - w)
        out[f"batch_embed_only_per_s@{max_tokens}"] = len(batch) / t_embed
    return out


# ---------------------------------------------------------------------------------------------


def _fmt(name: str, r: dict[str, float]) -> str:
    fixed = "—"
    if name == "signal":
        fixed = f"{100 * r['on_held_default']:.1f} % / {100 * r['off_caught_default']:.1f} %"
    return (
        f"| {name} | {r['auc']:.3f} | {100 * r['on_held']:.1f} % | {100 * r['off_caught']:.1f} % "
        f"| {100 * r['abstain']:.1f} % | {int(r['pairs'])} | {fixed} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Off-topic evaluation by pairing (C3, SFU CTC).")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "townhall-eval")
    parser.add_argument("--max-tokens", type=int, default=OffTopicConfig().max_tokens)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="nearest pairing, site background only")
    parser.add_argument("--bench", action="store_true", help="also measure speed")
    parser.add_argument("--json", type=Path, help="write all figures here")
    args = parser.parse_args()

    embedder = Embedder.load(threads=args.threads)
    rng = random.Random(7)
    report: dict[str, dict[str, dict[str, float]] | dict[str, float]] = {}
    header = (
        "| method | ROC-AUC | on-topic held | off-topic caught | abstained | pairs "
        "| held / caught at the default hold 0.5 |\n|---|---|---|---|---|---|---|"
    )

    # ---- C3: thread only
    c3 = load_c3(args.data)
    c3.vecs = embed_cached(embedder, c3.texts, args.cache, args.max_tokens)
    ids = list(range(len(c3.stories)))
    random.Random(7).shuffle(ids)
    cut = int(0.4 * len(ids))
    dev_ids, test_ids = sorted(ids[:cut]), sorted(ids[cut:])
    cent = centroids(c3, {})
    ev = Evaluator(embedder, c3, {})
    runs = (
        [("nearest", "site")]
        if args.quick
        else [
            ("nearest", "site"),
            ("nearest", "default"),
            ("nearest", "site+source"),
            ("5th-nearest", "site"),
            ("random", "site"),
        ]
    )
    for mode, bg in runs:
        d = ev.run(dev_ids, partner(cent, dev_ids, mode, rng), bg)
        t = ev.run(test_ids, partner(cent, test_ids, mode, rng), bg)
        rows = {
            "signal": summarise(d.signal, t.signal),
            "baseline: cosine to thread centroid": summarise(d.thread, t.thread),
            "baseline, only where the signal does not abstain": summarise(d.thread_same, t.thread_same),
        }
        if bg == "site":
            rows["reference: logistic regression on dev (not shipped)"] = learned_reference(
                d.features, t.features
            )
        key = f"C3 test, pairing={mode}, background={bg}"
        report[key] = rows
        print(f"\n### {key}\n{header}")
        for name, row in rows.items():
            print(_fmt(name, row))

    # ---- SFU: title + thread
    sfu = load_sfu(args.data)
    sfu.vecs = embed_cached(embedder, sfu.texts, args.cache, args.max_tokens)
    tv = embedder.embed([s.title for s in sfu.stories])
    title_vecs = {s.key: tv[i] for i, s in enumerate(sfu.stories)}
    cent = centroids(sfu, title_vecs)
    ev = Evaluator(embedder, sfu, title_vecs)
    pool = list(range(len(sfu.stories)))
    order = pool[:]
    random.Random(11).shuffle(order)
    folds = [set(order[:5]), set(order[5:])]
    for mode in ["nearest"] if args.quick else ["nearest", "random"]:
        res = ev.run(pool, partner(cent, pool, mode, rng), "site")
        assert res.title is not None
        rows = {
            "signal": cross_fold(res.signal, folds),
            "baseline: cosine to title": cross_fold(res.title, folds),
            "baseline: cosine to thread centroid": cross_fold(res.thread, folds),
            "baseline (thread), only where the signal does not abstain": cross_fold(res.thread_same, folds),
        }
        key = f"SFU (2 folds by article), pairing={mode}, background=site"
        report[key] = rows
        print(f"\n### {key}\n{header}")
        for name, row in rows.items():
            print(_fmt(name, row))

    if args.bench:
        report["speed"] = bench(embedder, c3.texts)
        print("\n### speed\n" + json.dumps(report["speed"], indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
