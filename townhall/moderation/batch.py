"""Batch scoring of JSONL comments (`townhall moderate score`), for evaluations and imports.

Each input line: {"id", "text", "article": {"title", "text"}, "parent", "thread", "author"} and,
optionally, "created_at" (ISO 8601) and "name" (the display name shown beside the comment).

The file is scored as the server would score it on one site: the distinct articles in the file
are the site's stories (the background the off-topic signal compares each comment against, with
the last few comments of each as their latest comments), each line's parent and thread are
taken as given, and the same pipeline, policy and thresholds decide. The spam signal treats file
order as arrival order (near-duplicates; flooding only when lines carry created_at).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from townhall.models import SiteSettings
from townhall.moderation.pipeline import Pipeline, text_key
from townhall.moderation.signal import Article, CommentInput
from townhall.moderation.signals.spam import SpamMemory
from townhall.moderation.verdict import (
    BACKGROUND_COMMENTS,
    BACKGROUND_STORIES,
    ModerationRequest,
    SiteContext,
    StoryText,
)

CHUNK = 256  # lines scored together: the encoder sorts them by length, so bigger chunks pad less


class BadLine(ValueError):
    """A line that cannot be scored; the message names the problem."""


@dataclass(frozen=True, slots=True)
class Parsed:
    id: str
    comment: CommentInput
    created_at: datetime | None
    name: str | None = None  # the display name shown beside the comment (scored like the server does)


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
    return Parsed(str(raw_id), comment, created_at, _string(data, "name", required=False))


class BatchScorer:
    """Scores a file of comments through the server's pipeline, as one site's comments."""

    def __init__(
        self,
        pipeline: Pipeline,
        settings: SiteSettings | None = None,
        site_id: str = "batch",
        origins: tuple[str, ...] = (),
        calibration: dict[str, Any] | None = None,
    ):
        self.pipeline = pipeline
        self.settings = settings or SiteSettings()
        self.site_id = site_id
        self.origins = origins
        self.calibration = calibration
        self._started = datetime.now(UTC)

    def site(self, items: list[Parsed]) -> SiteContext:
        """The site the file stands for: its distinct articles, each with its last comments."""
        stories: dict[str, tuple[Article, list[str]]] = {}
        for item in items:
            article = item.comment.article
            key = text_key(article.title, article.text)
            if key not in stories and len(stories) < BACKGROUND_STORIES:
                stories[key] = (article, [])
            if key in stories:
                stories[key][1].append(item.comment.text)
        samples = tuple(
            StoryText(key, article.title, article.text, tuple(texts[-BACKGROUND_COMMENTS:]))
            for key, (article, texts) in stories.items()
        )
        return SiteContext(
            id=self.site_id,
            settings=self.settings,
            origins=self.origins,
            stories=samples,
            recent=SpamMemory(),
            calibration=self.calibration,
        )

    def request(self, site: SiteContext, item: Parsed) -> ModerationRequest:
        comment = item.comment
        article = comment.article
        return ModerationRequest(
            site=site,
            story=StoryText(text_key(article.title, article.text), article.title, article.text),
            text=comment.text,
            now=item.created_at or self._started,
            name=item.name,
            parent_text=comment.parent,
            thread=comment.thread,
            # Flooding needs real arrival times; without them only near-duplicates count.
            author_key=comment.author if item.created_at else None,
            comment_id=item.id,
        )

    def score(self, site: SiteContext, items: list[Parsed]) -> list[dict[str, Any]]:
        verdicts = self.pipeline.assess_many([self.request(site, item) for item in items])
        return [
            {
                "id": item.id,
                "decision": verdict.decision.value,
                "reasons": list(verdict.reasons),
                "signals": verdict.signals,
            }
            for item, verdict in zip(items, verdicts, strict=True)
        ]

    def run(self, lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
        """Yield (line number, output or None, error or None) in input order.

        The whole file is read first: its articles make the site's background."""
        parsed: list[tuple[int, Parsed | None, str | None]] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                parsed.append((number, parse(line), None))
            except BadLine as exc:
                parsed.append((number, None, str(exc)))
        site = self.site([item for _n, item, _e in parsed if item is not None])
        pending: list[tuple[int, Parsed]] = []
        for number, item, error in parsed:
            if item is None:
                yield from self._flush(site, pending)
                pending = []
                yield number, None, error
                continue
            pending.append((number, item))
            if len(pending) >= CHUNK:
                yield from self._flush(site, pending)
                pending = []
        yield from self._flush(site, pending)

    def _flush(
        self, site: SiteContext, pending: list[tuple[int, Parsed]]
    ) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
        if not pending:
            return
        outputs = self.score(site, [parsed for _n, parsed in pending])
        for (number, _parsed), output in zip(pending, outputs, strict=True):
            yield number, output, None
