"""The contract every moderation signal follows.

A signal looks at one comment (with its article, parent and thread) and returns a
:class:`SignalResult`: a score in [0, 1] (``None`` when it abstains), evidence a moderator
can read, and the version of the model or rules that produced it. Signals never decide;
``policy.py`` turns their results and the site's thresholds into publish / hold / reject.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Article:
    """The story a comment is posted under, as moderation sees it."""

    title: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class CommentInput:
    """Everything a signal may look at for one comment."""

    text: str
    article: Article
    parent: str | None = None
    thread: tuple[str, ...] = ()
    author: str | None = None


@dataclass(frozen=True, slots=True)
class SignalResult:
    """One signal's reading of one comment.

    ``evidence`` is JSON-serialisable (str/int/float/bool/list/dict only); it is stored with
    the comment and shown to moderators, never to readers.
    """

    name: str
    score: float | None
    evidence: dict[str, Any] = field(default_factory=dict)  # JSON values, shape per signal
    version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "evidence": self.evidence, "version": self.version}
