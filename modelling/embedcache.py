"""Sentence vectors of the labelled sets, cached on disk so that evaluations re-run in seconds."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from townhall.moderation.embedder import Embedder

CACHE = Path.home() / ".cache" / "townhall-eval"
MAX_TOKENS = 64  # what the off-topic signal embeds a comment with; the toxicity head reuses that vector


def embed_cached(
    embedder: Embedder, texts: list[str], cache: Path | None = CACHE, max_tokens: int = MAX_TOKENS
) -> np.ndarray:
    """Vectors for ``texts`` (in order), read from ``cache`` when this exact list was embedded before."""
    key = hashlib.sha256(("\x1f".join(texts) + embedder.version + str(max_tokens)).encode()).hexdigest()[:16]
    path = cache / f"emb-{key}.npy" if cache else None
    if path and path.exists():
        return np.load(path)
    vecs = embedder.embed(texts, max_tokens=max_tokens)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vecs)
    return vecs
