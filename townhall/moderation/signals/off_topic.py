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
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

from townhall.moderation.embedder import VERSION as EMBEDDER_VERSION
from townhall.moderation.signal import CommentInput, SignalResult

NAME = "off_topic"
REPR_VERSION = f"article-repr-1+{EMBEDDER_VERSION}"  # vectors change with the model
ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts"
BACKGROUND_FILE = "off-topic-background.json"

MAX_PASSAGES = 48
MAX_CONTEXT = 20  # most recent thread comments that count as context (background stories keep as many)
MIN_CONTENT_WORDS = 3  # fewer than this: a reaction with no topic of its own, abstain


class _Embeds(Protocol):
    version: str

    def embed(self, texts: list[str], max_tokens: int = 128) -> np.ndarray: ...


# --------------------------------------------------------------------------------------------
# Text helpers: sentences, content words, names. Deliberately simple and language-specific
# (English); they feed the evidence and the abstention, the embeddings do the scoring.

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n\s*\n")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]")

_STOPWORDS_TEXT = """
a about above after again against all almost also although always am among an and another any anyone
anything are aren't around as at away back be because been before being below between both but by
can can't cannot could couldn't did didn't do does doesn't doing don't done down during each either
else enough even ever every everyone everything few for from further get gets getting give go goes
going gone got had hadn't has hasn't have haven't having he he'd he'll he's her here hers herself
him himself his how however i i'd i'll i'm i've if in into is isn't it it's its itself just know
least less let let's like likely made make makes many may maybe me might mine more most much must
mustn't my myself need never new no nor not nothing now of off often oh ok okay on once one only or
other others our ours ourselves out over own per perhaps please put quite rather really right said
same say says see seem seems shall she she'd she'll she's should shouldn't since so some someone
something still such sure take than that that's the their theirs them themselves then there there's
these they they'd they'll they're they've thing things think this those though through thus time
times to too took under until up upon us use used very via want was wasn't way we we'd we'll we're
we've well were weren't what what's when where whether which while who who's whom whose why will
with within without won't would wouldn't yes yet you you'd you'll you're you've your yours yourself
yourselves lot lots good great bad people going year years day days tell told thank thanks agree
disagree comment comments article story writer author read reading globe mail editorial
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


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

    VERSION: ClassVar[str] = REPR_VERSION  # bump when the representation changes: stored ones are redone
    title: str
    passages: list[str]
    passage_vecs: np.ndarray  # (n_passages, dim)
    title_vec: np.ndarray | None  # (dim,)
    terms: dict[str, float]  # distinctive content words -> weight, for evidence and overlap
    vocab: frozenset[str]  # every content word and name in title + text
    names: list[str]  # proper names in title + text, most frequent first
    embedder_version: str = ""
    version: str = REPR_VERSION
    key: str = ""  # optional stable id of the story (e.g. its database id)
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
            "key": self.key,
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
            key=d.get("key", ""),
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


def represent_article(embedder: _Embeds, title: str, text: str, key: str = "") -> ArticleRepr:
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
        passage_vecs=np.asarray(passage_vecs, dtype=np.float32).reshape(
            -1, vecs.shape[1] if len(vecs) else 384
        ),
        title_vec=None if title_vec is None else np.asarray(title_vec, dtype=np.float32),
        terms=_key_terms(title, text or ""),
        vocab=vocab,
        names=names,
        embedder_version=getattr(embedder, "version", ""),
        key=key,
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


def story_key(article: ArticleRepr) -> str:
    """Identifies a story among the background ones, so that it is never its own background.
    An explicit ``key`` wins; a story with neither title nor text has none ("")."""
    if article.key:
        return article.key
    if not article.title and not article.passages:
        return ""
    return f"{article.title}\x1f{article.passages[0] if article.passages else ''}"


def _level_rows(per_story: np.ndarray) -> np.ndarray:
    """How related each comment looks to the other stories it is *most* related to: mean of the
    top few per row (a quarter of the valid stories, between 1 and 5). -inf marks a story left
    out for that row; a row with none valid gives NaN."""
    ordered = -np.sort(-per_story, axis=1)
    valid = np.isfinite(per_story).sum(axis=1)
    k = np.clip(valid // 4, 1, 5)
    csum = np.cumsum(np.where(np.isfinite(ordered), ordered, 0.0), axis=1)
    level = np.take_along_axis(csum, (k - 1)[:, None], axis=1)[:, 0] / k
    return np.where(valid > 0, level, np.nan)


class Background:
    """Stacked vectors of background stories, for batched calibration."""

    def __init__(self, stories: Sequence[BackgroundStory], k_article: int = 2, k_thread: int = 3) -> None:
        self.k_article = k_article
        self.k_thread = k_thread
        self.n_stories = len(stories)
        with_art = [s for s in stories if s.article.vectors.size]
        self._art_keys = [story_key(s.article) for s in with_art]
        self._art_segments: list[tuple[int, int]] = []
        start = 0
        for s in with_art:
            n = len(s.article.vectors)
            self._art_segments.append((start, start + n))
            start += n
        arts = [s.article.vectors for s in with_art]
        self._art = np.concatenate(arts).astype(np.float32) if arts else np.zeros((0, 1), np.float32)
        with_thread = [s for s in stories if len(s.thread_vecs)]
        self._thread_keys = [story_key(s.article) for s in with_thread]
        dim = with_thread[0].thread_vecs.shape[1] if with_thread else 1
        self._thread = np.zeros((len(with_thread), MAX_CONTEXT, dim), dtype=np.float32)
        self._thread_len = np.zeros(len(with_thread), dtype=np.int64)
        for i, s in enumerate(with_thread):
            t = s.thread_vecs[:MAX_CONTEXT]
            self._thread[i, : len(t)] = t
            self._thread_len[i] = len(t)

    @staticmethod
    def _exclude(per_story: np.ndarray, keys: Sequence[str], own: Sequence[str]) -> np.ndarray:
        if not own:
            return per_story
        mask = np.array([[bool(k) and k == o for o in own] for k in keys], dtype=bool)
        mask = mask.reshape(len(keys), len(own))
        return np.where(mask, -np.inf, per_story)

    def article_level(self, vecs: np.ndarray, keys: Sequence[str]) -> np.ndarray | None:
        """Per comment; ``keys`` are the comments' own story keys, left out of their background."""
        if not self._art_segments:
            return None
        sims = vecs @ self._art.T
        per_story = np.stack(
            [_topk_mean(sims[:, a:b], self.k_article) for a, b in self._art_segments], axis=1
        )
        return _level_rows(self._exclude(per_story, keys, self._art_keys))

    def thread_level(self, vecs: np.ndarray, n_ctx: np.ndarray, keys: Sequence[str]) -> np.ndarray | None:
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
        return _level_rows(self._exclude(per_story, keys, self._thread_keys))


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
    # A reaction with fewer content words than this has no topic of its own ("About time.",
    # "Who pays for this?"): the signal abstains. Kept because the held-out ablation shows it helps
    # (modelling/evaluate_off_topic.py prints it).
    min_content_words: int = MIN_CONTENT_WORDS
    # Comments are cut here before embedding. Cost grows with length: 64 keeps the whole moderation
    # step near 300 comments/s on 2 cores for typical news comments; 128 scores ~0.01 AUC better.
    max_tokens: int = 64
    version: str = "off-topic-learned-1"


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
        combiner: Combiner | None = None,
    ) -> None:
        self.embedder = embedder
        self.config = config or OffTopicConfig()
        self.combiner = combiner or Combiner.load()
        # ~2 kB a vector with its text: enough for the recent threads of a busy site, and bounded
        self.cache_size = 1024
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        stories = list(background) if background is not None else load_default_background(embedder)
        self.set_background(stories)

    @property
    def version(self) -> str:
        return f"{self.config.version}+{self.combiner.version}+{getattr(self.embedder, 'version', '')}"

    def set_background(self, stories: Sequence[BackgroundStory]) -> None:
        """Replace the calibration stories, ideally the site's recent stories (20 to 200 of them).

        The story being moderated may be among them: each comment's own story (same ``key``, or same
        title and first passage) is left out of its background when it is scored."""
        self._stories = list(stories)
        self._background = self.make_background(self._stories)

    def make_background(self, stories: Sequence[BackgroundStory]) -> Background:
        """Stacked calibration stories to pass to :meth:`assess_many` (one per site, so that
        sites served by one process never mix)."""
        return Background(list(stories), self.config.k_article, self.config.k_thread)

    # -- public API ---------------------------------------------------------------------------

    def background_story(self, article: ArticleRepr, first_comments: Sequence[str]) -> BackgroundStory:
        """A site story as calibration background: its representation and first comments."""
        vecs = self.vectors(list(first_comments[:MAX_CONTEXT]))
        return BackgroundStory(article, vecs if len(first_comments) else np.zeros((0, 1), np.float32))

    def assess(
        self,
        comment: CommentInput,
        article: ArticleRepr,
        *,
        comment_vec: np.ndarray | None = None,
        parent_vec: np.ndarray | None = None,
        thread_vecs: np.ndarray | None = None,
        background: Background | None = None,
    ) -> SignalResult:
        """One comment. Pass the stored vectors of the parent and earlier comments when you have
        them (oldest first); otherwise the texts in ``comment`` are embedded here."""
        return self.assess_many(
            [comment],
            article,
            comment_vecs=None if comment_vec is None else comment_vec[None, :],
            parent_vecs=[parent_vec],
            thread_vecs=[thread_vecs],
            background=background,
        )[0]

    def assess_many(
        self,
        comments: Sequence[CommentInput],
        articles: ArticleRepr | Sequence[ArticleRepr],
        *,
        comment_vecs: np.ndarray | None = None,
        parent_vecs: Sequence[np.ndarray | None] | None = None,
        thread_vecs: Sequence[np.ndarray | None] | None = None,
        background: Background | None = None,
    ) -> list[SignalResult]:
        """Many comments at once (one embedding batch). ``articles`` is one story for all or one
        per comment; ``background`` is the site's (else the one set with :meth:`set_background`)."""
        n = len(comments)
        if n == 0:
            return []
        arts = [articles] * n if isinstance(articles, ArticleRepr) else list(articles)
        if comment_vecs is None:
            comment_vecs = self.vectors([c.text for c in comments])
        contexts = self._contexts(comments, parent_vecs or [None] * n, thread_vecs or [None] * n)
        n_ctx = np.array([len(c.vecs) for c in contexts], dtype=np.int64)
        keys = [story_key(a) for a in arts]
        bg = background if background is not None else self._background
        bg_art = bg.article_level(comment_vecs, keys)
        bg_thread = bg.thread_level(comment_vecs, np.maximum(n_ctx, 1), keys)
        results = []
        for i, (comment, art, ctx) in enumerate(zip(comments, arts, contexts, strict=True)):
            results.append(
                self._score_one(
                    comment,
                    art,
                    ctx,
                    comment_vecs[i],
                    None if bg_art is None or np.isnan(bg_art[i]) else float(bg_art[i]),
                    None if bg_thread is None or np.isnan(bg_thread[i]) else float(bg_thread[i]),
                    bg.n_stories,
                )
            )
        return results

    # -- internals ----------------------------------------------------------------------------

    def vectors(self, texts: list[str]) -> np.ndarray:
        """Vectors for texts, from a small LRU cache when seen before: a thread's comments come back
        as context for every later comment, and the pipeline may pass texts rather than vectors."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for t in texts:
                v = self._cache.get(t)
                if v is not None:
                    self._cache.move_to_end(t)
                    found[t] = v
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            vecs = self.embedder.embed(missing, max_tokens=self.config.max_tokens)
            with self._lock:
                for t, v in zip(missing, vecs, strict=True):
                    found[t] = v
                    self._cache[t] = v
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([found[t] for t in texts])

    def _contexts(
        self,
        comments: Sequence[CommentInput],
        parent_vecs: Sequence[np.ndarray | None],
        thread_vecs: Sequence[np.ndarray | None],
    ) -> list[_Context]:
        """Resolve each comment's recent thread and parent to vectors (stored vectors when given,
        else cached or embedded texts, all misses in one batch)."""
        wanted: list[str] = []
        for c, pv, tv in zip(comments, parent_vecs, thread_vecs, strict=True):
            if tv is None:
                wanted.extend(c.thread[-MAX_CONTEXT:])
            if pv is None and c.parent:
                wanted.append(c.parent)
        lookup: dict[str, np.ndarray] = {}
        if wanted:
            unique = list(dict.fromkeys(wanted))
            lookup = dict(zip(unique, self.vectors(unique), strict=True))
        out = []
        for c, pv, tv in zip(comments, parent_vecs, thread_vecs, strict=True):
            thread_texts = list(c.thread[-MAX_CONTEXT:])
            parts: list[np.ndarray] = []
            texts: list[str] = []
            if tv is not None and len(tv):
                tv = np.asarray(tv, dtype=np.float32)[-MAX_CONTEXT:]
                parts.append(tv)
                # texts are only for evidence; align them when the caller gave both
                texts.extend(thread_texts[-len(tv) :] if len(thread_texts) >= len(tv) else [""] * len(tv))
            elif tv is None and thread_texts:
                parts.append(np.stack([lookup[t] for t in thread_texts]))
                texts.extend(thread_texts)
            parent_index = None
            if pv is not None or c.parent:
                parent_index = len(texts)
                vec = np.asarray(pv, dtype=np.float32) if pv is not None else lookup[c.parent or ""]
                parts.append(vec[None, :])
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
        bg_stories: int,
    ) -> SignalResult:
        cfg = self.config
        words = content_words(comment.text)
        evidence: dict[str, Any] = {
            "nearest_passage": None,
            "similarity": None,
            "parent_similarity": None,
            "thread_similarity": None,
            "background": {"article": bg_art, "thread": bg_thread, "stories": bg_stories},
        }
        values = dict.fromkeys(FEATURES, 0.0)

        art_vecs = article.vectors
        if art_vecs.size:
            sims = art_vecs @ vec
            best = int(np.argmax(sims))
            texts = ([article.title] if article.title_vec is not None else []) + article.passages
            evidence["nearest_passage"] = _clip(texts[best], 400)
            # index into article.passages; None when the title matched best
            n_title = 1 if article.title_vec is not None else 0
            evidence["nearest_passage_index"] = best - n_title if best >= n_title else None
            evidence["similarity"] = round(float(sims[best]), 4)
            rel = float(_topk_mean(sims, cfg.k_article))
            # A title alone is not an article: the combiner learned its article weights on stories
            # with text, and on SFU (titles only) leaving the title's margin out measured better.
            if article.passages:
                values["has_article"] = 1.0
                values["article_similarity"] = rel
                values["article_margin"] = rel - bg_art if bg_art is not None else 0.0

        if len(ctx.vecs):
            sims = ctx.vecs @ vec
            rel = float(_topk_mean(sims, cfg.k_thread))
            evidence["thread_similarity"] = round(rel, 4)
            if ctx.parent_index is not None:
                evidence["parent_similarity"] = round(float(sims[ctx.parent_index]), 4)
            best = int(np.argmax(sims))
            if ctx.texts and ctx.texts[best]:
                evidence["nearest_comment"] = _clip(ctx.texts[best])
            centroid = ctx.vecs.mean(axis=0)
            values["thread_centroid"] = float(centroid @ vec) / max(float(np.linalg.norm(centroid)), 1e-12)
            values["thread_weight"] = min(1.0, len(ctx.vecs) / 3)
            if bg_thread is not None:
                values["thread_margin"] = (rel - bg_thread) * values["thread_weight"]

        known = self._known(comment, article)
        distinct = list(dict.fromkeys(words))
        names = list(dict.fromkeys(proper_names(comment.text)))
        values["lexical_overlap"] = sum(w in known for w in distinct) / len(distinct) if distinct else 0.0
        values["foreign_names"] = sum(n not in known for n in names) / len(names) if names else 0.0
        values["length"] = math.log1p(len(words))
        shared = sorted((w for w in distinct if w in known), key=lambda w: -article.terms.get(w, 0.0))[:10]
        evidence["shared_terms"] = shared
        evidence["foreign_terms"] = [n for n in names if n not in known][:10]
        evidence["features"] = {k: round(v, 4) for k, v in values.items()}

        if len(words) < cfg.min_content_words:
            evidence["abstained"] = "generic: too few content words to have a topic of their own"
            return SignalResult(NAME, None, _round(evidence), self.version)
        if not art_vecs.size and not len(ctx.vecs):
            evidence["abstained"] = "no context: no article text, title, parent or thread to compare with"
            return SignalResult(NAME, None, _round(evidence), self.version)
        evidence["contributions"] = self.combiner.contributions(values)
        score = self.combiner.probability(values)
        return SignalResult(NAME, round(score, 4), _round(evidence), self.version)

    @staticmethod
    def _known(comment: CommentInput, article: ArticleRepr) -> set[str]:
        """Words and names of the story and of the discussion the comment joins."""
        known = set(article.vocab)
        for t in list(comment.thread[-10:]) + ([comment.parent] if comment.parent else []):
            known.update(_text_terms(t))
        return known


@lru_cache(maxsize=1024)  # bounded: ~1-2 kB an entry, only recent threads come back
def _text_terms(text: str) -> frozenset[str]:
    """Content words and names of a thread comment; cached because every later comment of the
    thread looks at it again."""
    return frozenset(content_words(text)) | frozenset(proper_names(text))


def _round(evidence: dict[str, Any]) -> dict[str, Any]:
    bg = evidence.get("background")
    if isinstance(bg, dict):
        evidence["background"] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in bg.items()}
    return evidence
