"""Off-topic signal: is this comment about the story it is posted under (or the discussion so far)?

The hard case is not a recipe under a politics story but a comment about a *different story of the
same world*: it shares the vocabulary and the tone, so keyword and topic filters pass it. What
gives it away is that it is far from every passage of the article, from the parent and from the
thread, and that it names people or things the story never mentions.

Each story is represented once (:func:`represent_article`) and stored; each comment is embedded
once and its vector reused as thread context for later comments. Scoring is then a few dot
products, so the embedding of the comment itself is the whole per-comment cost.

Short generic reactions ("About time.", "Who pays for this?") carry no topic of their own: the
signal abstains on them (score ``None``) rather than guessing.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from townhall.moderation.signal import CommentInput, SignalResult

NAME = "off_topic"
REPR_VERSION = "article-repr-1"
ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts"
COMBINER_FILE = "off-topic-combiner.json"

BACKGROUND_FILE = "off-topic-background.json"

MAX_PASSAGES = 48
MAX_CONTEXT = 20  # most recent thread comments that count as context (background stories keep as many)
MIN_CONTENT_WORDS = 3  # fewer than this: a reaction with no topic of its own, abstain


class _Embeds(Protocol):
    version: str

    def embed(self, texts: list[str], max_tokens: int = 128) -> np.ndarray: ...


# --------------------------------------------------------------------------------------------
# Text helpers: sentences, content words, names. Deliberately simple and language-specific
# (English); they only feed evidence and two small features, the embeddings do the main work.

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n\s*\n")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z'’]+(?:[ -][A-Z][a-z'’]+)*)")

STOPWORDS = frozenset(
    """a about above after again against all almost also although always am among an and another any
    anyone anything are aren't around as at away back be because been before being below between both
    but by can can't cannot could couldn't did didn't do does doesn't doing don't done down during each
    either else enough even ever every everyone everything few for from further get gets getting give
    go goes going gone got had hadn't has hasn't have haven't having he he'd he'll he's her here hers
    herself him himself his how however i i'd i'll i'm i've if in into is isn't it it's its itself just
    know least less let let's like likely made make makes many may maybe me might mine more most much
    must mustn't my myself need never new no nor not nothing now of off often oh ok okay on once one only
    or other others our ours ourselves out over own per perhaps please put quite rather really right said
    same say says see seem seems shall she she'd she'll she's should shouldn't since so some someone
    something still such sure take than that that's the their theirs them themselves then there there's
    these they they'd they'll they're they've thing things think this those though through thus time
    times to too took under until up upon us use used very via want was wasn't way we we'd we'll we're
    we've well were weren't what what's when where whether which while who who's whom whose why will with
    within without won't would wouldn't yes yet you you'd you'll you're you've your yours yourself
    yourselves lot lots good great bad people going year years day days tell told thank thanks agree
    disagree comment comments article story writer author read reading globe mail editorial""".split()
)


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; keeps quotes with their sentence."""
    parts = [p.strip() for p in _SENTENCE_END.split(text or "") if p and p.strip()]
    return [p for p in parts if len(p) > 1]


def make_passages(text: str, window: int = 2, max_passages: int = MAX_PASSAGES) -> list[str]:
    """Overlapping windows of ``window`` sentences: short enough to match a focused comment,
    long enough to carry a topic. Long articles get wider windows so the count stays bounded."""
    sentences = split_sentences(text)
    if not sentences:
        return []
    while len(sentences) - window + 1 > max_passages:
        window += 1
    if len(sentences) <= window:
        return [" ".join(sentences)]
    stride = max(1, window // 2)
    out = [" ".join(sentences[i : i + window]) for i in range(0, len(sentences) - window + 1, stride)]
    if (len(sentences) - window) % stride:
        out.append(" ".join(sentences[-window:]))
    return out[:max_passages]


def _stem(word: str) -> str:
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def content_words(text: str) -> list[str]:
    """Lower-cased, lightly stemmed words that are not function words."""
    out = []
    for m in _WORD.finditer(text or ""):
        w = m.group(0).lower().replace("’", "'")
        if len(w) < 3 or w in STOPWORDS:
            continue
        s = _stem(w)
        if s not in STOPWORDS:
            out.append(s)
    return out


def proper_names(text: str) -> list[str]:
    """Capitalised words not at the start of a sentence: people, places, parties, bodies."""
    names = []
    for sentence in split_sentences(text) or [text]:
        tokens = _WORD.findall(sentence)
        for pos, tok in enumerate(tokens):
            if pos == 0 or not tok[0].isupper() or tok.lower() in STOPWORDS or len(tok) < 3:
                continue
            if tok.isupper() and len(tok) > 5:  # shouting, not an acronym
                continue
            names.append(_stem(tok))
    return names


# --------------------------------------------------------------------------------------------
# Article representation, computed once per story and stored.


def _pack(a: np.ndarray) -> dict[str, Any]:
    a16 = np.ascontiguousarray(a, dtype="<f2")
    return {"shape": list(a16.shape), "f16": base64.b64encode(a16.tobytes()).decode("ascii")}


def _unpack(d: dict[str, Any]) -> np.ndarray:
    a = np.frombuffer(base64.b64decode(d["f16"]), dtype="<f2").reshape(d["shape"]).astype(np.float32)
    if a.ndim == 2 and len(a):
        a /= np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    return a


@dataclass
class ArticleRepr:
    """What the signal needs to know about a story. Vectors are unit length (stored as float16)."""

    title: str
    passages: list[str]
    passage_vecs: np.ndarray  # (n_passages, dim)
    title_vec: np.ndarray | None  # (dim,)
    terms: dict[str, float]  # distinctive content words -> weight, for evidence and overlap
    vocab: frozenset[str]  # every content word and name in title + text
    names: list[str]  # proper names in title + text, most frequent first
    embedder_version: str = ""
    version: str = REPR_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def vectors(self) -> np.ndarray:
        """Title and passages stacked: what a comment is compared against."""
        parts = [self.passage_vecs]
        if self.title_vec is not None:
            parts.insert(0, self.title_vec[None, :])
        return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)

    @property
    def is_empty(self) -> bool:
        return self.title_vec is None and len(self.passage_vecs) == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "embedder_version": self.embedder_version,
            "title": self.title,
            "passages": self.passages,
            "passage_vecs": _pack(self.passage_vecs),
            "title_vec": None if self.title_vec is None else _pack(self.title_vec),
            "terms": self.terms,
            "vocab": sorted(self.vocab),
            "names": self.names,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArticleRepr:
        title_vec = None if d["title_vec"] is None else _unpack(d["title_vec"])
        if title_vec is not None:
            title_vec = title_vec / max(float(np.linalg.norm(title_vec)), 1e-12)
        return cls(
            title=d["title"],
            passages=list(d["passages"]),
            passage_vecs=_unpack(d["passage_vecs"]),
            title_vec=title_vec,
            terms={k: float(v) for k, v in d["terms"].items()},
            vocab=frozenset(d["vocab"]),
            names=list(d["names"]),
            embedder_version=d.get("embedder_version", ""),
            version=d.get("version", REPR_VERSION),
            extra=dict(d.get("extra", {})),
        )

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> ArticleRepr:
        return cls.from_dict(json.loads(data.decode("utf-8")))


def _key_terms(title: str, text: str, limit: int = 40) -> dict[str, float]:
    """Words the story is about: frequent in it, longer than filler, boosted when in the title
    or a name. A crude stand-in for tf-idf that needs no corpus statistics."""
    counts = Counter(content_words(text))
    for w in content_words(title):
        counts[w] += 3
    for n in proper_names(f"{title}. {text}"):
        counts[n] += 1
    weights = {w: (1.0 + math.log(c)) * min(1.0, len(w) / 6) for w, c in counts.items()}
    top = sorted(weights.items(), key=lambda kv: -kv[1])[:limit]
    return {w: round(v, 3) for w, v in top}


def represent_article(embedder: _Embeds, title: str, text: str) -> ArticleRepr:
    """Embed the title and sentence windows of the story; once per story (and again on edits)."""
    title = (title or "").strip()
    passages = make_passages(text or "")
    to_embed = ([title] if title else []) + passages
    vecs = embedder.embed(to_embed) if to_embed else np.zeros((0, 384), dtype=np.float32)
    title_vec = vecs[0] if title else None
    passage_vecs = vecs[1:] if title else vecs
    names = [n for n, _ in Counter(proper_names(f"{title}. {text}")).most_common(60)]
    vocab = frozenset(content_words(f"{title} {text}")) | frozenset(names)
    return ArticleRepr(
        title=title,
        passages=passages,
        passage_vecs=np.asarray(passage_vecs, dtype=np.float32).reshape(-1, vecs.shape[1] if len(vecs) else 384),
        title_vec=None if title_vec is None else np.asarray(title_vec, dtype=np.float32),
        terms=_key_terms(title, text or ""),
        vocab=vocab,
        names=names,
        embedder_version=getattr(embedder, "version", ""),
    )


# --------------------------------------------------------------------------------------------
# Background: other stories of the same site. A raw cosine says little on its own (some comments
# resemble everything, some threads are diverse); what matters is whether the comment is closer
# to *this* story than to the stories it was not written for.


@dataclass
class BackgroundStory:
    """Another story: its representation and the vectors of its first comments (oldest first)."""

    article: ArticleRepr
    thread_vecs: np.ndarray  # (m, dim), m <= MAX_CONTEXT


def _topk_mean(sims: np.ndarray, k: int) -> np.ndarray:
    """Mean of the k largest values along the last axis (k clipped to the axis length)."""
    k = max(1, min(k, sims.shape[-1]))
    if k == sims.shape[-1]:
        return sims.mean(axis=-1)
    return np.partition(sims, -k, axis=-1)[..., -k:].mean(axis=-1)


class Background:
    """Stacked vectors of background stories, for batched calibration."""

    def __init__(self, stories: Sequence[BackgroundStory], k_article: int = 2, k_thread: int = 3) -> None:
        self.k_article = k_article
        self.k_thread = k_thread
        self.n_stories = len(stories)
        art = [s.article.vectors for s in stories]
        art = [a for a in art if a.size]
        self._art_segments: list[tuple[int, int]] = []
        start = 0
        for a in art:
            self._art_segments.append((start, start + len(a)))
            start += len(a)
        self._art = np.concatenate(art).astype(np.float32) if art else np.zeros((0, 1), np.float32)
        threads = [s.thread_vecs[:MAX_CONTEXT] for s in stories if len(s.thread_vecs)]
        dim = threads[0].shape[1] if threads else 1
        self._thread = np.zeros((len(threads), MAX_CONTEXT, dim), dtype=np.float32)
        self._thread_len = np.zeros(len(threads), dtype=np.int64)
        for i, t in enumerate(threads):
            self._thread[i, : len(t)] = t
            self._thread_len[i] = len(t)

    @staticmethod
    def _level(per_story: np.ndarray) -> np.ndarray:
        """How related the comment looks to the stories it is *most* related to among the others:
        mean of the top few (a quarter of the stories, between 1 and 5)."""
        n = per_story.shape[1]
        k = max(1, min(5, n // 4))
        return _topk_mean(per_story, k)

    def article_level(self, vecs: np.ndarray) -> np.ndarray | None:
        if not self._art_segments:
            return None
        sims = vecs @ self._art.T
        per_story = np.stack(
            [_topk_mean(sims[:, a:b], self.k_article) for a, b in self._art_segments], axis=1
        )
        return self._level(per_story)

    def thread_level(self, vecs: np.ndarray, n_ctx: np.ndarray) -> np.ndarray | None:
        """Same measure as for the comment's own thread, on the first ``n_ctx`` comments of each
        background story, so that the size of the context does not bias the comparison."""
        if not len(self._thread_len):
            return None
        sims = np.einsum("nd,sld->nsl", vecs, self._thread)  # (n, stories, MAX_CONTEXT)
        avail = np.minimum(n_ctx[:, None], self._thread_len[None, :])  # (n, stories)
        pos = np.arange(MAX_CONTEXT)[None, None, :]
        sims = np.where(pos < avail[:, :, None], sims, -10.0)
        ordered = -np.sort(-sims, axis=-1)
        k = np.minimum(np.minimum(n_ctx, self.k_thread)[:, None], avail)  # (n, stories)
        csum = np.cumsum(ordered, axis=-1)
        idx = np.clip(k - 1, 0, MAX_CONTEXT - 1)
        per_story = np.take_along_axis(csum, idx[:, :, None], axis=-1)[..., 0] / np.maximum(k, 1)
        per_story = np.where(k > 0, per_story, -np.inf)
        out = np.empty(len(vecs), dtype=np.float32)
        for i in range(len(vecs)):
            valid = per_story[i][np.isfinite(per_story[i])]
            out[i] = self._level(valid[None, :])[0] if len(valid) else np.nan
        return out


def load_default_background(embedder: _Embeds, path: Path | None = None) -> list[BackgroundStory]:
    """Small self-written set of unrelated stories with comments, shipped as text. Used when the
    site has not supplied its own recent stories (which calibrate much better)."""
    data = json.loads((path or ARTEFACTS / BACKGROUND_FILE).read_text(encoding="utf-8"))
    stories = []
    for item in data["stories"]:
        art = represent_article(embedder, item["title"], item["text"])
        vecs = embedder.embed(list(item["comments"][:MAX_CONTEXT]))
        stories.append(BackgroundStory(art, vecs))
    return stories


# --------------------------------------------------------------------------------------------
# The signal.


@dataclass(frozen=True)
class OffTopicConfig:
    k_article: int = 2  # article relatedness: mean of the 2 best passages (title counts as one)
    k_thread: int = 3  # thread relatedness: mean of the 3 most similar earlier comments
    scale: float = 0.05  # margin -> score: sigmoid(-(margin - bias) / scale)
    bias: float = 0.0
    min_content_words: int = MIN_CONTENT_WORDS
    version: str = "off-topic-margin-1"


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


def _clip(text: str, n: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


@dataclass
class _Context:
    """One comment's own context, resolved to vectors."""

    vecs: np.ndarray  # (n, dim): recent thread comments, then the parent
    texts: list[str]
    parent_index: int | None = None


class OffTopicSignal:
    """Scores how far a comment is from its story and discussion, relative to other stories."""

    name = NAME

    def __init__(
        self,
        embedder: _Embeds,
        background: Sequence[BackgroundStory] | None = None,
        config: OffTopicConfig | None = None,
    ) -> None:
        self.embedder = embedder
        self.config = config or OffTopicConfig()
        stories = list(background) if background is not None else load_default_background(embedder)
        self.set_background(stories)

    @property
    def version(self) -> str:
        return f"{self.config.version}+{getattr(self.embedder, 'version', '')}"

    def set_background(self, stories: Sequence[BackgroundStory]) -> None:
        """Replace the calibration stories (e.g. the site's recent stories other than this one's).

        The story being moderated must not be among them; :meth:`assess_many` drops any story whose
        title equals the article's title."""
        self._stories = list(stories)
        self._background = Background(self._stories, self.config.k_article, self.config.k_thread)
        self._bg_titles = [s.article.title for s in self._stories]

    # -- public API ---------------------------------------------------------------------------

    def assess(
        self,
        comment: CommentInput,
        article: ArticleRepr,
        *,
        comment_vec: np.ndarray | None = None,
        parent_vec: np.ndarray | None = None,
        thread_vecs: np.ndarray | None = None,
    ) -> SignalResult:
        """One comment. Pass the stored vectors of the parent and earlier comments when you have
        them (oldest first); otherwise the texts in ``comment`` are embedded here."""
        return self.assess_many(
            [comment],
            article,
            comment_vecs=None if comment_vec is None else comment_vec[None, :],
            parent_vecs=[parent_vec],
            thread_vecs=[thread_vecs],
        )[0]

    def assess_many(
        self,
        comments: Sequence[CommentInput],
        articles: ArticleRepr | Sequence[ArticleRepr],
        *,
        comment_vecs: np.ndarray | None = None,
        parent_vecs: Sequence[np.ndarray | None] | None = None,
        thread_vecs: Sequence[np.ndarray | None] | None = None,
    ) -> list[SignalResult]:
        """Many comments at once (one embedding batch). ``articles`` is one story for all or one
        per comment."""
        n = len(comments)
        if n == 0:
            return []
        arts = [articles] * n if isinstance(articles, ArticleRepr) else list(articles)
        if comment_vecs is None:
            comment_vecs = self.embedder.embed([c.text for c in comments])
        contexts = self._contexts(comments, parent_vecs or [None] * n, thread_vecs or [None] * n)
        n_ctx = np.array([len(c.vecs) for c in contexts], dtype=np.int64)
        bg_art = self._background.article_level(comment_vecs)
        bg_thread = self._background.thread_level(comment_vecs, np.maximum(n_ctx, 1))
        results = []
        for i, (comment, art, ctx) in enumerate(zip(comments, arts, contexts, strict=True)):
            results.append(
                self._score_one(
                    comment,
                    art,
                    ctx,
                    comment_vecs[i],
                    None if bg_art is None else float(bg_art[i]),
                    None if bg_thread is None or np.isnan(bg_thread[i]) else float(bg_thread[i]),
                )
            )
        return results

    # -- internals ----------------------------------------------------------------------------

    def _contexts(
        self,
        comments: Sequence[CommentInput],
        parent_vecs: Sequence[np.ndarray | None],
        thread_vecs: Sequence[np.ndarray | None],
    ) -> list[_Context]:
        """Resolve each comment's parent and recent thread to vectors, embedding missing ones in
        one batch (the pipeline normally passes stored vectors and this embeds nothing)."""
        todo: list[str] = []
        plans = []
        for c, pv, tv in zip(comments, parent_vecs, thread_vecs, strict=True):
            thread_texts = list(c.thread[-MAX_CONTEXT:])
            need_thread = tv is None and bool(thread_texts)
            need_parent = pv is None and bool(c.parent)
            plans.append((len(todo), need_thread, need_parent, thread_texts))
            if need_thread:
                todo.extend(thread_texts)
            if need_parent:
                todo.append(c.parent or "")
        embedded = self.embedder.embed(todo) if todo else None
        out = []
        for (start, need_thread, need_parent, thread_texts), c, pv, tv in zip(
            plans, comments, parent_vecs, thread_vecs, strict=True
        ):
            parts, texts = [], []
            if need_thread and embedded is not None:
                parts.append(embedded[start : start + len(thread_texts)])
                texts.extend(thread_texts)
                start += len(thread_texts)
            elif tv is not None and len(tv):
                tv = np.asarray(tv, dtype=np.float32)[-MAX_CONTEXT:]
                parts.append(tv)
                texts.extend(thread_texts[-len(tv) :] if len(thread_texts) >= len(tv) else [""] * len(tv))
            parent_index = None
            if need_parent and embedded is not None:
                parent_index = len(texts)
                parts.append(embedded[start : start + 1])
                texts.append(c.parent or "")
            elif pv is not None:
                parent_index = len(texts)
                parts.append(np.asarray(pv, dtype=np.float32)[None, :])
                texts.append(c.parent or "")
            vecs = np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.float32)
            out.append(_Context(vecs, texts, parent_index))
        return out

    def _score_one(
        self,
        comment: CommentInput,
        article: ArticleRepr,
        ctx: _Context,
        vec: np.ndarray,
        bg_art: float | None,
        bg_thread: float | None,
    ) -> SignalResult:
        cfg = self.config
        words = content_words(comment.text)
        evidence: dict[str, Any] = {
            "nearest_passage": None,
            "similarity": None,
            "parent_similarity": None,
            "thread_similarity": None,
            "background": {"article": bg_art, "thread": bg_thread, "stories": self._background.n_stories},
        }
        margins: list[tuple[float, float]] = []  # (margin, weight)

        art_vecs = article.vectors
        if art_vecs.size:
            sims = art_vecs @ vec
            best = int(np.argmax(sims))
            texts = ([article.title] if article.title_vec is not None else []) + article.passages
            evidence["nearest_passage"] = _clip(texts[best])
            evidence["similarity"] = round(float(sims[best]), 4)
            rel = float(_topk_mean(sims, cfg.k_article))
            if bg_art is not None:
                margins.append((rel - bg_art, 1.0))

        if len(ctx.vecs):
            sims = ctx.vecs @ vec
            rel = float(_topk_mean(sims, cfg.k_thread))
            evidence["thread_similarity"] = round(rel, 4)
            if ctx.parent_index is not None:
                evidence["parent_similarity"] = round(float(sims[ctx.parent_index]), 4)
            best = int(np.argmax(sims))
            if ctx.texts and ctx.texts[best]:
                evidence["nearest_comment"] = _clip(ctx.texts[best])
            if bg_thread is not None:
                margins.append((rel - bg_thread, min(1.0, len(ctx.vecs) / 3)))

        shared, foreign = self._terms(comment, article, ctx)
        evidence["shared_terms"] = shared
        evidence["foreign_terms"] = foreign

        if len(words) < cfg.min_content_words:
            evidence["abstained"] = "generic: too few content words to have a topic of their own"
            return SignalResult(NAME, None, _round(evidence), self.version)
        if not margins:
            evidence["abstained"] = "no context: no article text, title, parent or thread to compare with"
            return SignalResult(NAME, None, _round(evidence), self.version)
        margin = sum(m * w for m, w in margins) / sum(w for _, w in margins)
        evidence["margin"] = round(margin, 4)
        score = _sigmoid(-(margin - cfg.bias) / cfg.scale)
        return SignalResult(NAME, round(score, 4), _round(evidence), self.version)

    @staticmethod
    def _terms(comment: CommentInput, article: ArticleRepr, ctx: _Context) -> tuple[list[str], list[str]]:
        """Words the comment shares with the story and its discussion, and names it brings that
        neither mentions (shown to moderators; not part of the score)."""
        known = set(article.vocab)
        for t in list(comment.thread[-10:]) + ([comment.parent] if comment.parent else []):
            known.update(content_words(t))
            known.update(proper_names(t))
        words = list(dict.fromkeys(content_words(comment.text)))
        shared = sorted((w for w in words if w in known), key=lambda w: -article.terms.get(w, 0.0))[:10]
        foreign = [n for n in dict.fromkeys(proper_names(comment.text)) if n not in known][:10]
        return shared, foreign


def _round(evidence: dict[str, Any]) -> dict[str, Any]:
    bg = evidence.get("background")
    if isinstance(bg, dict):
        evidence["background"] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in bg.items()}
    return evidence
