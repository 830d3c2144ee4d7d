"""A comment's own discussion, resolved to vectors: its recent thread and its parent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from townhall.moderation.signal import CommentInput
from townhall.moderation.signals.off_topic.background import MAX_CONTEXT


@dataclass
class Context:
    """One comment's own context, resolved to vectors."""

    vecs: np.ndarray  # (n, dim): recent thread comments, then the parent
    texts: list[str]
    parent_index: int | None = None


def resolve_contexts(
    comments: Sequence[CommentInput],
    parent_vecs: Sequence[np.ndarray | None],
    thread_vecs: Sequence[np.ndarray | None],
    vectors: Callable[[list[str]], np.ndarray],
) -> list[Context]:
    """Resolve each comment's recent thread and parent to vectors (stored vectors when given,
    else cached or embedded texts through ``vectors``, all misses in one batch)."""
    wanted: list[str] = []
    for c, pv, tv in zip(comments, parent_vecs, thread_vecs, strict=True):
        if tv is None:
            wanted.extend(c.thread[-MAX_CONTEXT:])
        if pv is None and c.parent:
            wanted.append(c.parent)
    lookup: dict[str, np.ndarray] = {}
    if wanted:
        unique = list(dict.fromkeys(wanted))
        lookup = dict(zip(unique, vectors(unique), strict=True))
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
        out.append(Context(vecs, texts, parent_index))
    return out
