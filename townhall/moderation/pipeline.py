"""The moderation pipeline: gather context, run every signal, let the policy decide.

One ``Pipeline`` serves the whole process. Models are loaded once (``Models.load``); an
article's representation is computed once per story text and stored with the story.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

from townhall.models import Site, Story
from townhall.moderation import names, policy
from townhall.moderation.embedder import Embedder
from townhall.moderation.signal import Article, CommentInput, SignalResult
from townhall.moderation.signals import trust
from townhall.moderation.signals.off_topic import ArticleRepr, OffTopicSignal, represent_article
from townhall.moderation.signals.spam import SpamMemory, SpamSignal
from townhall.moderation.signals.toxicity import ToxicitySignal
from townhall.moderation.signals.wordlists import WordListSignal
from townhall.moderation.verdict import ModerationRequest, Verdict
from townhall.storage import Storage

THREAD_CONTEXT = 20  # earlier published comments the off-topic signal sees
BACKGROUND_STORIES = 40  # the site's recent stories the off-topic signal is calibrated against
BACKGROUND_REFRESH = 300.0  # seconds


@dataclass(frozen=True)
class Models:
    """The loaded models; shared by the server's pipeline and the batch CLI."""

    embedder: Embedder
    toxicity: ToxicitySignal
    off_topic: OffTopicSignal
    spam: SpamSignal

    @classmethod
    def load(cls, threads: int = 1) -> Models:
        embedder = Embedder.load(threads=threads)
        return cls(embedder, ToxicitySignal.load(), OffTopicSignal(embedder), SpamSignal())


def text_key(title: str, text: str) -> str:
    return hashlib.blake2b(f"{title}\n{text}".encode(), digest_size=16).hexdigest()


class WordLists:
    """Compiled word lists per (banned, suspect) pair, so a site's lists compile once."""

    def __init__(self, size: int = 64):
        self._compiled: OrderedDict[tuple[tuple[str, ...], tuple[str, ...]], WordListSignal] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def for_site(self, site: Site) -> WordListSignal:
        key = (site.settings.banned_words, site.settings.suspect_words)
        with self._lock:
            signal = self._compiled.get(key)
            if signal is None:
                signal = WordListSignal(list(key[0]), list(key[1]))
                self._compiled[key] = signal
                if len(self._compiled) > self._size:
                    self._compiled.popitem(last=False)
            return signal


class Pipeline:
    """Assesses one comment in the context of its story, parent, thread and author."""

    def __init__(self, storage: Storage, models: Models):
        self.storage = storage
        self.models = models
        self.words = WordLists()
        self._articles: OrderedDict[int, tuple[str, ArticleRepr]] = OrderedDict()
        self._memories: dict[str, SpamMemory] = {}
        self._lock = threading.Lock()
        self._background_at = float("-inf")

    def assess(self, request: ModerationRequest) -> Verdict:
        site, story = request.site, request.story
        self._refresh_background()
        since = request.now - timedelta(days=trust.RECENT_DAYS)
        with self.storage.read() as tx:
            thread = tx.comments.thread_texts(story.id, request.comment_id, THREAD_CONTEXT)
            history = tx.authors.history(request.author_id, since) if request.author_id else None
        comment = CommentInput(
            text=request.text,
            article=Article(story.title, story.text),
            parent=request.parent_text,
            thread=tuple(thread),
            author=request.author_key,
        )
        signals = {
            "toxicity": self.models.toxicity.score(comment),
            "off_topic": self.models.off_topic.assess(comment, self.article(story)),
            "spam": self._spam(comment, request),
            "words": self.words.for_site(site).check(request.text),
        }
        if request.name:
            signals["name"] = names.assess(request.name, self.words.for_site(site), self.models.toxicity)
        signals["trust"], reader = trust.assess(history, site.settings.trusted_after_approved)
        return policy.decide(signals, site.settings, reader)

    def article(self, story: Story) -> ArticleRepr:
        """The story's representation: from memory, else from storage, else computed and stored."""
        # The stored tag covers the article text and the representation's version (embedder included).
        key = text_key(ArticleRepr.VERSION, story.title + "\n" + story.text)
        with self._lock:
            cached = self._articles.get(story.id)
        if cached and cached[0] == key:
            return cached[1]
        with self.storage.read() as tx:
            data, version = tx.stories.representation(story.id)
        if data is not None and version == key:
            representation = ArticleRepr.from_bytes(data)
        else:
            representation = represent_article(
                self.models.embedder, story.title, story.text, key=str(story.id)
            )
            with self.storage.write() as tx:
                tx.stories.set_representation(story.id, representation.to_bytes(), key)
        with self._lock:
            self._articles[story.id] = (key, representation)
            if len(self._articles) > 512:
                self._articles.popitem(last=False)
        return representation

    def _refresh_background(self) -> None:
        """Calibrate off-topic against the newsroom's recent stories (the shipped set until there are 3)."""
        now = time.monotonic()
        if now - self._background_at < BACKGROUND_REFRESH:
            return
        self._background_at = now
        with self.storage.read() as tx:
            recent = [s for s in tx.stories.list(limit=BACKGROUND_STORIES) if s.title or s.text]
            latest = {s.id: tx.comments.thread_texts(s.id, None, 3) for s in recent}
        if len(recent) < 3:
            return  # too few to calibrate against; keep the shipped background
        stories = [self.models.off_topic.background_story(self.article(s), latest[s.id]) for s in recent]
        self.models.off_topic.set_background(stories)

    def _spam(self, comment: CommentInput, request: ModerationRequest) -> SignalResult:
        allow = [origin.split("://", 1)[1] for origin in request.site.origins]
        allow += list(request.site.settings.links_allowlist)
        # The memory is per site and not thread-safe; comments arrive one at a time through it.
        with self._lock:
            memory = self._memories.setdefault(request.site.id, SpamMemory())
            return self.models.spam.assess(
                comment,
                links_allowlist=allow,
                honeypot=request.honeypot,
                author_key=request.author_key,
                network_key=request.network_key,
                now=request.now,
                story_key=str(request.story.id),
                memory=memory,
                comment_id=str(request.comment_id) if request.comment_id else None,
            )
