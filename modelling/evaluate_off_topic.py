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
import json
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from modelling import train_off_topic
from modelling.embedcache import embed_cached
from modelling.paths import DATA  # noqa: E402
from townhall.moderation import policy
from townhall.moderation.embedder import Embedder
from townhall.moderation.signal import Article, CommentInput
from townhall.moderation.signals.off_topic import (
    FEATURES,
    MAX_CONTEXT,
    ArticleRepr,
    BackgroundStory,
    Combiner,
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
    """Per placement (on-topic ones first for each story, then the same comments misplaced)."""

    features: np.ndarray  # (n, len(FEATURES)) as the signal computed them
    label: np.ndarray  # 1 = placed under another story
    generic: np.ndarray  # the signal abstains: too few content words
    no_context: np.ndarray  # the signal abstains: nothing to compare with
    host: np.ndarray  # the comment's own story (for fold splits)
    thread: np.ndarray  # baseline: minus the cosine to the centroid of the same earlier comments
    title: np.ndarray  # baseline: minus the cosine to the title (NaN without one)

    def pairs(self, scores: np.ndarray) -> Pairs:
        on, off = self.label == 0, self.label == 1
        return Pairs(scores[on], scores[off], self.host[on])


# ---------------------------------------------------------------------------------------------
# Methods


class Evaluator:
    def __init__(self, signal: OffTopicSignal, corpus: Corpus, title_vecs: dict[str, np.ndarray]) -> None:
        self.signal = signal
        self.c = corpus
        self.title_vecs = title_vecs
        self.reprs = {
            s.key: represent_article(signal.embedder, s.title, "", key=s.key)
            if s.title
            else _empty_repr(s.key)
            for s in corpus.stories
        }
        assert corpus.vecs is not None
        self.bg = {
            i: BackgroundStory(self.reprs[s.key], corpus.vecs[s.comments[:MAX_CONTEXT]])
            for i, s in enumerate(corpus.stories)
        }
        self.default_bg = signal.make_background(load_default_background(signal.embedder))

    def run(self, pool: Sequence[int], pairing: dict[int, int], background: str) -> RunResult:
        """Score every comment of every pool story, on-topic and placed under its partner."""
        V = self.c.vecs
        assert V is not None
        cols: dict[str, list[float]] = defaultdict(list)
        feats: list[list[float]] = []
        for a in pool:
            b = pairing[a]
            A = self.c.stories[a]
            for host, label in ((a, 0), (b, 1)):
                H = self.c.stories[host]
                if background == "default":
                    bg = self.default_bg
                elif background == "site":  # neither the host nor the comment's own story
                    bg = self.signal.make_background([self.bg[i] for i in pool if i not in (a, b)])
                else:  # "site+source": every other story, the comment's own included when misplaced
                    bg = self.signal.make_background([self.bg[i] for i in pool if i != host])
                comments, vecs, threads = [], [], []
                for pos, ci in enumerate(A.comments):
                    th = thread_at(H, pos)
                    th_texts = tuple(self.c.texts[j] for j in th)
                    comments.append(CommentInput(self.c.texts[ci], Article(H.title), thread=th_texts))
                    vecs.append(V[ci])
                    threads.append(V[th] if th else np.zeros((0, V.shape[1]), np.float32))
                results = self.signal.assess_many(
                    comments,
                    self.reprs[H.key],
                    comment_vecs=np.array(vecs),
                    thread_vecs=threads,
                    background=bg,
                )
                for pos, (r, ci) in enumerate(zip(results, A.comments, strict=True)):
                    f = r.evidence["features"]
                    feats.append([f[k] for k in FEATURES])
                    reason = r.evidence.get("abstained", "")
                    cols["label"].append(label)
                    cols["generic"].append(reason.startswith("generic"))
                    cols["no_context"].append(reason.startswith("no context"))
                    cols["host"].append(a)
                    th = thread_at(H, pos)
                    tc = _centroid(V[th]) if th else None
                    cols["thread"].append(np.nan if tc is None else -float(V[ci] @ tc))
                    tv = self.title_vecs.get(H.key)
                    cols["title"].append(np.nan if tv is None else -float(V[ci] @ tv))
        return RunResult(
            np.array(feats),
            np.array(cols["label"]),
            np.array(cols["generic"], dtype=bool),
            np.array(cols["no_context"], dtype=bool),
            np.array(cols["host"]),
            np.array(cols["thread"]),
            np.array(cols["title"]),
        )


def combiner_scores(res: RunResult, combiner: Combiner, abstain_generic: bool = True) -> np.ndarray:
    """What the signal scores with this combiner (NaN where it abstains)."""
    scores = np.array([combiner.probability(dict(zip(FEATURES, row, strict=True))) for row in res.features])
    skip = res.no_context | (res.generic if abstain_generic else False)
    return np.where(skip, np.nan, scores)


def variants(pairs: dict[str, tuple[np.ndarray, ...]], shipped: Combiner) -> dict[str, tuple[Combiner, bool]]:
    """The shipped combiner and its ablations, each refitted on the same training pairs."""
    out = {"signal (shipped combiner)": (shipped, True)}
    out["  without the short-reaction abstention"] = (shipped, False)
    for f in shipped.features:
        out[f"  without {f}"] = (train_off_topic.fit(pairs, [g for g in shipped.features if g != f]), True)
    out["  margins only (article_margin, thread_margin)"] = (
        train_off_topic.fit(pairs, ["article_margin", "thread_margin"]),
        True,
    )
    return out


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


def _fmt(name: str, r: dict[str, float], hold: float | None = None) -> str:
    fixed = "—"
    if hold is not None:
        fixed = f"{100 * r['on_held_default']:.1f} % / {100 * r['off_caught_default']:.1f} %"
    return (
        f"| {name} | {r['auc']:.3f} | {100 * r['on_held']:.1f} % | {100 * r['off_caught']:.1f} % "
        f"| {100 * r['abstain']:.1f} % | {int(r['pairs'])} | {fixed} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Off-topic evaluation by pairing (C3, SFU CTC).")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="nearest pairing, site background only")
    parser.add_argument("--bench", action="store_true", help="also measure speed")
    parser.add_argument("--json", type=Path, help="write all figures here")
    args = parser.parse_args()

    embedder = Embedder.load(threads=args.threads)
    signal = OffTopicSignal(embedder, background=[])
    hold = policy.DEFAULT_THRESHOLDS["off_topic"]["hold"]
    global DEFAULT_HOLD
    DEFAULT_HOLD = hold
    pairs = train_off_topic.training_pairs(signal, args.data)
    methods = variants(pairs, signal.combiner)
    rng = random.Random(7)
    report: dict[str, dict[str, dict[str, float]] | dict[str, float]] = {}
    header = (
        "| method | ROC-AUC | on-topic held | off-topic caught | abstained | pairs "
        f"| held / caught at the default hold {hold:.2f} |\n|---|---|---|---|---|---|---|"
    )

    def table(key: str, rows: dict[str, dict[str, float]]) -> None:
        report[key] = rows
        print(f"\n### {key}\n{header}")
        for name, row in rows.items():
            print(_fmt(name, row, hold if name.startswith("signal") else None))

    # ---- C3: thread only
    c3 = load_c3(args.data)
    c3.vecs = embed_cached(embedder, c3.texts)
    ids = list(range(len(c3.stories)))
    random.Random(7).shuffle(ids)
    cut = int(0.4 * len(ids))
    dev_ids, test_ids = sorted(ids[:cut]), sorted(ids[cut:])
    cent = centroids(c3, {})
    ev = Evaluator(signal, c3, {})
    runs = (
        [("nearest", "site")]
        if args.quick
        else [("nearest", "site"), ("nearest", "default"), ("nearest", "site+source"), ("random", "site")]
    )
    for mode, bg in runs:
        d = ev.run(dev_ids, partner(cent, dev_ids, mode, rng), bg)
        t = ev.run(test_ids, partner(cent, test_ids, mode, rng), bg)
        rows = {
            name: summarise(d.pairs(combiner_scores(d, comb, gen)), t.pairs(combiner_scores(t, comb, gen)))
            for name, (comb, gen) in methods.items()
        }
        rows["baseline: cosine to thread centroid"] = summarise(d.pairs(d.thread), t.pairs(t.thread))
        table(f"C3 test, pairing={mode}, background={bg}", rows)

    # ---- SFU: title + thread
    sfu = load_sfu(args.data)
    sfu.vecs = embed_cached(embedder, sfu.texts)
    tv = embedder.embed([s.title for s in sfu.stories])
    title_vecs = {s.key: tv[i] for i, s in enumerate(sfu.stories)}
    cent = centroids(sfu, title_vecs)
    ev = Evaluator(signal, sfu, title_vecs)
    pool = list(range(len(sfu.stories)))
    order = pool[:]
    random.Random(11).shuffle(order)
    folds = [set(order[:5]), set(order[5:])]
    for mode in ["nearest"] if args.quick else ["nearest", "random"]:
        res = ev.run(pool, partner(cent, pool, mode, rng), "site")
        rows = {
            name: cross_fold(res.pairs(combiner_scores(res, comb, gen)), folds)
            for name, (comb, gen) in methods.items()
        }
        rows["baseline: cosine to title"] = cross_fold(res.pairs(res.title), folds)
        rows["baseline: cosine to thread centroid"] = cross_fold(res.pairs(res.thread), folds)
        table(f"SFU (2 folds by article), pairing={mode}, background=site", rows)

    if args.bench:
        report["speed"] = bench(embedder, c3.texts)
        print("\n### speed\n" + json.dumps(report["speed"], indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
