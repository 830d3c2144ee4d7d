"""The off-topic signal itself: embeds comments (with a small cache), resolves their context,
compares them with the site's background, and turns the features into a score or an abstention."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from townhall.moderation.signal import CommentInput, SignalResult
from townhall.moderation.signals.off_topic.article import ArticleRepr, Embeds
from townhall.moderation.signals.off_topic.background import (
    MAX_CONTEXT,
    Background,
    BackgroundStory,
    load_default_background,
    story_key,
)
from townhall.moderation.signals.off_topic.combiner import Combiner
from townhall.moderation.signals.off_topic.context import Context, resolve_contexts
from townhall.moderation.signals.off_topic.features import measure

NAME = "off_topic"
MIN_CONTENT_WORDS = 3  # fewer than this: a reaction with no topic of its own, abstain


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


class OffTopicSignal:
    """Scores how far a comment is from its story and discussion, relative to other stories."""

    name = NAME

    def __init__(
        self,
        embedder: Embeds,
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
        contexts = resolve_contexts(
            comments, parent_vecs or [None] * n, thread_vecs or [None] * n, self.vectors
        )
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

    def _score_one(
        self,
        comment: CommentInput,
        article: ArticleRepr,
        ctx: Context,
        vec: np.ndarray,
        bg_art: float | None,
        bg_thread: float | None,
        bg_stories: int,
    ) -> SignalResult:
        cfg = self.config
        m = measure(comment, article, ctx, vec, bg_art, bg_thread, bg_stories, cfg.k_article, cfg.k_thread)
        evidence = m.evidence
        if m.n_words < cfg.min_content_words:
            evidence["abstained"] = "generic: too few content words to have a topic of their own"
            return SignalResult(NAME, None, _round(evidence), self.version)
        if not article.vectors.size and not len(ctx.vecs):
            evidence["abstained"] = "no context: no article text, title, parent or thread to compare with"
            return SignalResult(NAME, None, _round(evidence), self.version)
        evidence["contributions"] = self.combiner.contributions(m.values)
        score = self.combiner.probability(m.values)
        return SignalResult(NAME, round(score, 4), _round(evidence), self.version)


def _round(evidence: dict[str, Any]) -> dict[str, Any]:
    bg = evidence.get("background")
    if isinstance(bg, dict):
        evidence["background"] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in bg.items()}
    return evidence
