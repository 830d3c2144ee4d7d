"""A story as the off-topic signal sees it: computed once per story text and stored.

Vectors are unit length and stored as float16; the key terms, vocabulary and names feed the
lexical features and the evidence.
"""

from __future__ import annotations

import base64
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from townhall.moderation.embedder import VERSION as EMBEDDER_VERSION
from townhall.moderation.signals.off_topic.text import content_words, make_passages, proper_names

REPR_VERSION = f"article-repr-1+{EMBEDDER_VERSION}"  # vectors change with the model


class Embeds(Protocol):
    version: str

    def embed(self, texts: list[str], max_tokens: int = 128) -> np.ndarray: ...


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


def represent_article(embedder: Embeds, title: str, text: str, key: str = "") -> ArticleRepr:
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
