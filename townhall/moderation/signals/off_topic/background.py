"""Background: other stories of the same site.

A raw cosine says little on its own (some comments resemble everything, some threads are
diverse); what matters is whether the comment is closer to *this* story than to the stories it
was not written for. :class:`Background` stacks the site's other stories so that a batch of
comments is compared with all of them in a few matrix products.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from townhall.moderation.embedder import ARTEFACTS
from townhall.moderation.signals.off_topic.article import ArticleRepr, Embeds, represent_article

BACKGROUND_FILE = "off-topic-background.json"
MAX_CONTEXT = 20  # most recent thread comments that count as context (background stories keep as many)


@dataclass
class BackgroundStory:
    """Another story: its representation and the vectors of its first comments (oldest first)."""

    article: ArticleRepr
    thread_vecs: np.ndarray  # (m, dim), m <= MAX_CONTEXT


def topk_mean(sims: np.ndarray, k: int) -> np.ndarray:
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
        per_story = np.stack([topk_mean(sims[:, a:b], self.k_article) for a, b in self._art_segments], axis=1)
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


def load_default_background(embedder: Embeds, path: Path | None = None) -> list[BackgroundStory]:
    """Small self-written set of unrelated stories with comments, shipped as text. Used when the
    site has not supplied its own recent stories (which calibrate much better)."""
    data = json.loads((path or ARTEFACTS / BACKGROUND_FILE).read_text(encoding="utf-8"))
    stories = []
    for item in data["stories"]:
        art = represent_article(embedder, item["title"], item["text"])
        vecs = embedder.embed(list(item["comments"][:MAX_CONTEXT]))
        stories.append(BackgroundStory(art, vecs))
    return stories
