"""What the combiner reads about one comment, and the evidence a moderator sees beside it.

Similarities are cosines of MiniLM vectors; a margin is this story's relatedness minus how related
the comment is to the site's other stories (their article and first comments); a missing part
contributes 0 and its presence flag says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from townhall.moderation.signal import CommentInput
from townhall.moderation.signals.off_topic.article import ArticleRepr
from townhall.moderation.signals.off_topic.background import topk_mean
from townhall.moderation.signals.off_topic.combiner import FEATURES
from townhall.moderation.signals.off_topic.context import Context
from townhall.moderation.signals.off_topic.text import content_words, proper_names


@dataclass
class Measured:
    """One comment's feature values, its evidence so far and how many content words it has."""

    values: dict[str, float]
    evidence: dict[str, Any]
    n_words: int


def measure(
    comment: CommentInput,
    article: ArticleRepr,
    ctx: Context,
    vec: np.ndarray,
    bg_art: float | None,
    bg_thread: float | None,
    bg_stories: int,
    k_article: int,
    k_thread: int,
) -> Measured:
    """The features of :data:`FEATURES` for one comment against its story, discussion and
    background levels (``bg_art``, ``bg_thread``), with the evidence that explains them."""
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
        evidence["nearest_passage"] = clip(texts[best], 400)
        # index into article.passages; None when the title matched best
        n_title = 1 if article.title_vec is not None else 0
        evidence["nearest_passage_index"] = best - n_title if best >= n_title else None
        evidence["similarity"] = round(float(sims[best]), 4)
        rel = float(topk_mean(sims, k_article))
        # A title alone is not an article: the combiner learned its article weights on stories
        # with text, and on SFU (titles only) leaving the title's margin out measured better.
        if article.passages:
            values["has_article"] = 1.0
            values["article_similarity"] = rel
            values["article_margin"] = rel - bg_art if bg_art is not None else 0.0

    if len(ctx.vecs):
        sims = ctx.vecs @ vec
        rel = float(topk_mean(sims, k_thread))
        evidence["thread_similarity"] = round(rel, 4)
        if ctx.parent_index is not None:
            evidence["parent_similarity"] = round(float(sims[ctx.parent_index]), 4)
        best = int(np.argmax(sims))
        if ctx.texts and ctx.texts[best]:
            evidence["nearest_comment"] = clip(ctx.texts[best])
        centroid = ctx.vecs.mean(axis=0)
        values["thread_centroid"] = float(centroid @ vec) / max(float(np.linalg.norm(centroid)), 1e-12)
        values["thread_weight"] = min(1.0, len(ctx.vecs) / 3)
        if bg_thread is not None:
            values["thread_margin"] = (rel - bg_thread) * values["thread_weight"]

    known = known_terms(comment, article)
    distinct = list(dict.fromkeys(words))
    names = list(dict.fromkeys(proper_names(comment.text)))
    values["lexical_overlap"] = sum(w in known for w in distinct) / len(distinct) if distinct else 0.0
    values["foreign_names"] = sum(n not in known for n in names) / len(names) if names else 0.0
    values["length"] = math.log1p(len(words))
    shared = sorted((w for w in distinct if w in known), key=lambda w: -article.terms.get(w, 0.0))[:10]
    evidence["shared_terms"] = shared
    evidence["foreign_terms"] = [n for n in names if n not in known][:10]
    evidence["features"] = {k: round(v, 4) for k, v in values.items()}
    return Measured(values, evidence, len(words))


def known_terms(comment: CommentInput, article: ArticleRepr) -> set[str]:
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


def clip(text: str, n: int = 240) -> str:
    """One line of at most ``n`` characters, for the evidence."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
