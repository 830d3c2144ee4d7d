"""Batch scoring of JSONL comments (`townhall moderate score`), for evaluations and imports.

Each input line: {"id", "text", "article": {"title", "text"}, "parent", "thread", "author"} and,
optionally, "created_at" (ISO 8601). Lines are independent, except that the spam signal treats
file order as arrival order (near-duplicates; flooding only when lines carry created_at).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from townhall.models import SiteSettings
from townhall.moderation import policy
from townhall.moderation.pipeline import Models, text_key
from townhall.moderation.signal import Article, CommentInput, SignalResult
from townhall.moderation.signals.off_topic import ArticleRepr, represent_article
from townhall.moderation.signals.spam import SpamMemory
from townhall.moderation.signals.wordlists import WordListSignal

CHUNK = 256  # lines scored together: the encoder sorts them by length, so bigger chunks pad less


class BadLine(ValueError):
    """A line that cannot be scored; the message names the problem."""


@dataclass(frozen=True, slots=True)
class Parsed:
    id: str
    comment: CommentInput
    created_at: datetime | None


def _string(data: dict[str, Any], key: str, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadLine(f"'{key}' must be a string")
    return value


def parse(line: str) -> Parsed:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(data, dict):
        raise BadLine("each line must be a JSON object")
    raw_id = data.get("id")
    if not isinstance(raw_id, str | int) or isinstance(raw_id, bool) or raw_id == "":
        raise BadLine("'id' must be a non-empty string or number")
    text = _string(data, "text") or ""
    if not text.strip():
        raise BadLine("'text' must not be empty")
    article = data.get("article")
    if not isinstance(article, dict):
        raise BadLine("'article' must be an object with 'title' and 'text'")
    title = _string(article, "title", required=False) or ""
    body = _string(article, "text", required=False) or ""
    thread = data.get("thread") or []
    if not isinstance(thread, list) or not all(isinstance(t, str) for t in thread):
        raise BadLine("'thread' must be a list of strings")
    created_at = None
    if data.get("created_at") is not None:
        try:
            created_at = datetime.fromisoformat(str(data["created_at"]))
        except ValueError as exc:
            raise BadLine("'created_at' must be an ISO 8601 date and time") from exc
        created_at = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
    comment = CommentInput(
        text=text,
        article=Article(title, body),
        parent=_string(data, "parent", required=False),
        thread=tuple(thread),
        author=_string(data, "author", required=False),
    )
    return Parsed(str(raw_id), comment, created_at)


class BatchScorer:
    """Scores parsed lines with the same signals and policy as the server."""

    def __init__(self, models: Models, settings: SiteSettings | None = None):
        self.models = models
        self.settings = settings or SiteSettings()
        self.words = WordListSignal(list(self.settings.banned_words), list(self.settings.suspect_words))
        self.memory = SpamMemory()
        self._articles: dict[str, ArticleRepr] = {}
        self._started = datetime.now(UTC)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="townhall-embed")

    def _article(self, article: Article) -> ArticleRepr:
        key = text_key(article.title, article.text)
        if key not in self._articles:
            if len(self._articles) > 4096:
                self._articles.clear()
            self._articles[key] = represent_article(self.models.embedder, article.title, article.text)
        return self._articles[key]

    def score(self, items: list[Parsed]) -> list[dict[str, Any]]:
        comments = [item.comment for item in items]
        articles = [self._article(c.article) for c in comments]
        # The encoder releases the GIL: the cheap signals run beside it instead of after it.
        pending = self._pool.submit(self.models.off_topic.assess_many, comments, articles)
        toxicity = self.models.toxicity.score_many(comments)
        words = [self.words.check(c.text) for c in comments]
        off_topic = pending.result()
        results = []
        for item, tox, off, matched in zip(items, toxicity, off_topic, words, strict=True):
            spam = self.models.spam.assess(
                item.comment,
                now=item.created_at or self._started,
                # Flooding needs real arrival times; without them only near-duplicates count.
                author_key=item.comment.author if item.created_at else "",
                story_key=text_key(item.comment.article.title, item.comment.article.text),
                memory=self.memory,
                comment_id=item.id,
            )
            signals: dict[str, SignalResult] = {
                "toxicity": tox,
                "off_topic": off,
                "spam": spam,
                "words": matched,
            }
            verdict = policy.decide(signals, self.settings)
            results.append(
                {
                    "id": item.id,
                    "decision": verdict.decision.value,
                    "reasons": list(verdict.reasons),
                    "signals": {name: result.to_dict() for name, result in signals.items()},
                }
            )
        return results

    def run(self, lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
        """Yield (line number, output or None, error or None) in input order."""
        pending: list[tuple[int, Parsed]] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                pending.append((number, parse(line)))
            except BadLine as exc:
                yield from self._flush(pending)
                pending = []
                yield number, None, str(exc)
                continue
            if len(pending) >= CHUNK:
                yield from self._flush(pending)
                pending = []
        yield from self._flush(pending)

    def _flush(
        self, pending: list[tuple[int, Parsed]]
    ) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
        if not pending:
            return
        outputs = self.score([parsed for _n, parsed in pending])
        for (number, _parsed), output in zip(pending, outputs, strict=True):
            yield number, output, None
