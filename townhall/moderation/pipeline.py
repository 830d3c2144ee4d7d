"""The moderation pipeline: run every signal on a comment in its context, let the policy decide.

One ``Pipeline`` serves the whole process, every site, and both doors: the comment service
(one comment at a time) and ``townhall moderate score`` (chunks of a file). It reads no storage:
the request carries the thread, the author's history and the site's stories, and the site
context says where representations and recent comments are kept. Models load once
(``Models.load``); an article's representation is computed once per story text.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from townhall.models import SiteSettings
from townhall.moderation import names, policy
from townhall.moderation.embedder import Embedder
from townhall.moderation.language import Detector, Reading, default_detector, not_known
from townhall.moderation.signal import Article, CommentInput, SignalResult
from townhall.moderation.signals import trust
from townhall.moderation.signals.off_topic import (
    ArticleRepr,
    Background,
    OffTopicSignal,
    represent_article,
)
from townhall.moderation.signals.spam import SpamSignal
from townhall.moderation.signals.toxicity import ToxicitySignal
from townhall.moderation.signals.wordlists import WordListSignal
from townhall.moderation.verdict import (
    BACKGROUND_COMMENTS,
    BACKGROUND_STORIES,
    THREAD_CONTEXT,
    ModerationRequest,
    Representations,
    SiteContext,
    StoryText,
    Verdict,
)

WARM_ARTICLE = (
    "The city council voted on Tuesday to fund repairs to the harbour bridge. The budget adds "
    "two lanes for buses and a path for bicycles; work starts next spring and lasts a year."
)
WARM_COMMENTS = (
    "Good to see the bridge fixed before it gets worse.",
    "Will the bus lanes open before the work is done, or only at the end of it? A year seems long.",
    "Buy cheap watches at http://example.com/deals now!!!",
    "What a stupid idea, idiots.",
)
MIN_BACKGROUND = 3  # fewer stories than this: too few to calibrate against, the shipped set is used


@dataclass(frozen=True)
class Models:
    """The loaded models; shared by the server's pipeline and the batch CLI."""

    embedder: Embedder
    toxicity: ToxicitySignal
    off_topic: OffTopicSignal
    spam: SpamSignal
    # Loaded once per process and shared (read-only), also by Models built from parts (tests).
    language: Detector = field(default_factory=default_detector)

    @classmethod
    def load(cls, threads: int = 1) -> Models:
        embedder = Embedder.load(threads=threads)
        off_topic = OffTopicSignal(embedder)
        # The toxicity head reads the vector the off-topic signal computes (and caches) anyway.
        toxicity = ToxicitySignal.load(vectors=off_topic.vectors)
        return cls(embedder, toxicity, off_topic, SpamSignal(), default_detector())


def text_key(title: str, text: str) -> str:
    return hashlib.blake2b(f"{title}\n{text}".encode(), digest_size=16).hexdigest()


def representation_tag(story: StoryText) -> str:
    """Names the text and the representation's version (embedder included) a stored one was made from."""
    return text_key(ArticleRepr.VERSION, story.title + "\n" + story.text)


class WordLists:
    """Compiled word lists per (banned, suspect) pair, so a site's lists compile once."""

    def __init__(self, size: int = 64):
        self._compiled: OrderedDict[tuple[tuple[str, ...], tuple[str, ...], str], WordListSignal] = (
            OrderedDict()
        )
        self._size = size
        self._lock = threading.Lock()

    def for_settings(self, settings: SiteSettings, language: str = "en") -> WordListSignal:
        """The site's lists, plus Townhall's abuse list of ``language`` (the comment's) if it has one."""
        key = (settings.banned_words, settings.suspect_words, language)
        with self._lock:
            signal = self._compiled.get(key)
            if signal is None:
                signal = WordListSignal(list(key[0]), list(key[1]), language)
                self._compiled[key] = signal
                if len(self._compiled) > self._size:
                    self._compiled.popitem(last=False)
            return signal


class Pipeline:
    """Assesses comments in the context of their story, parent, thread, author and site."""

    def __init__(self, models: Models, article_cache: int = 4096):
        self.models = models
        self.words = WordLists()
        self._articles: OrderedDict[tuple[str, str], ArticleRepr] = OrderedDict()
        self._article_cache = article_cache
        # site id -> (the stories tuple it was built from, their signature, the background)
        self._backgrounds: dict[str, tuple[tuple[StoryText, ...], tuple[object, ...], Background | None]] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def assess(self, request: ModerationRequest) -> Verdict:
        return self.assess_many([request])[0]

    def warm(self) -> None:
        """Run made-up comments through every signal before the first real one: ONNX Runtime's
        first runs, the tokenizer and lazily built tables made the first post cost several warm
        ones. Uses a site of its own (id ""), which no real site has."""
        site = SiteContext(id="", settings=SiteSettings())
        story = StoryText(key="", title="Council votes on the harbour bridge", text=WARM_ARTICLE)
        now = datetime.now(UTC)
        thread: tuple[str, ...] = ()
        for text in WARM_COMMENTS:
            parent = thread[-1] if thread else None
            request = ModerationRequest(
                site, story, text, now, name="Reader", parent_text=parent, thread=thread
            )
            self.assess(request)
            thread += (text,)

    def rehearse(self, site: SiteContext, requests: Sequence[ModerationRequest] = ()) -> None:
        """Before a site's first real comments: its background built (the other stories'
        representations loaded and their latest comments encoded: the first post after start cost
        ten warm ones without it) and made-up comments run under its busiest stories, so that
        their articles and threads are in memory. Nothing is kept but what the caches hold."""
        self.background(site)
        for request in requests:
            self.assess(request)

    def assess_many(self, requests: Sequence[ModerationRequest]) -> list[Verdict]:
        """Comments of one site, in arrival order (the spam signal remembers each in turn)."""
        if not requests:
            return []
        site = requests[0].site
        if any(r.site is not site for r in requests):
            raise ValueError("assess_many takes the comments of one site context")
        comments = [
            CommentInput(
                text=r.text,
                article=Article(r.story.title, r.story.text),
                parent=r.parent_text,
                thread=r.thread[-THREAD_CONTEXT:],
                author=r.author_key,
            )
            for r in requests
        ]
        languages = self.models.language.detect_many([c.text for c in comments])
        # The encoder and the models read only comments in a language they know: for the others
        # they would abstain anyway, so a German newsroom's post does not pay for an English encoder.
        read = [i for i, r in enumerate(languages) if any(not_known(n, r) is None for n in _MODELLED)]
        toxicity, off_topic = self._models_on([comments[i] for i in read], [requests[i] for i in read])
        by_index = dict(zip(read, zip(toxicity, off_topic, strict=True), strict=True))
        verdicts = []
        for i, (request, comment, reading) in enumerate(zip(requests, comments, languages, strict=True)):
            tox, off = by_index.get(i, (None, None))
            signals: dict[str, SignalResult] = {
                "toxicity": _unless_unknown(tox, reading, "toxicity", self.models.toxicity.version),
                "off_topic": _unless_unknown(off, reading, "off_topic", self.models.off_topic.version),
                "spam": self._spam(comment, request, reading),
                "words": self.words.for_settings(site.settings, reading.code).check(request.text),
            }
            if request.name:
                # A name is too short to read its language: the site's language stands in.
                words = self.words.for_settings(site.settings, site.settings.language)
                signals["name"] = names.assess(request.name, words, self.models.toxicity)
            signals["trust"], reader = trust.assess(request.history, site.settings.trusted_after_approved)
            verdicts.append(policy.decide(signals, site.settings, reader, site.calibration))
        return verdicts

    def _models_on(
        self, comments: list[CommentInput], requests: list[ModerationRequest]
    ) -> tuple[list[SignalResult], list[SignalResult]]:
        """The toxicity and off-topic results of comments in a language the models know."""
        if not comments:
            return [], []
        site = requests[0].site
        background = self.background(site)
        articles = [self.article(r.story, site.representations) for r in requests]
        # Each comment is embedded once; the off-topic signal and the toxicity head share the vector.
        vectors = self.models.off_topic.vectors([c.text for c in comments])
        off_topic_args = (comments, articles)
        if len(requests) > 1:
            # The encoder releases the GIL: the cheap signals run beside it (thread and parent
            # vectors) instead of after it.
            pending = self._embed_pool().submit(
                self.models.off_topic.assess_many,
                *off_topic_args,
                comment_vecs=vectors,
                background=background,
            )
            toxicity = self.models.toxicity.score_many(comments, vectors)
            off_topic = pending.result()
        else:
            toxicity = self.models.toxicity.score_many(comments, vectors)
            off_topic = self.models.off_topic.assess_many(
                *off_topic_args, comment_vecs=vectors, background=background
            )
        return toxicity, off_topic

    def article(self, story: StoryText, store: Representations | None = None) -> ArticleRepr:
        """The story's representation: from memory, else from ``store``, else computed (and stored)."""
        tag = representation_tag(story)
        with self._lock:
            cached = self._articles.get((story.key, tag))
        if cached is not None:
            return cached
        data = store.load(story.key, tag) if store is not None else None
        if data is not None:
            representation = ArticleRepr.from_bytes(data)
        else:
            representation = represent_article(self.models.embedder, story.title, story.text, key=story.key)
            if store is not None:
                store.store(story.key, tag, representation.to_bytes())
        with self._lock:
            self._articles[(story.key, tag)] = representation
            while len(self._articles) > self._article_cache:
                self._articles.popitem(last=False)
        return representation

    def background(self, site: SiteContext) -> Background | None:
        """The site's recent stories as the off-topic signal's background (None: the shipped set).

        Built per site, so that the sites one process serves never mix; rebuilt when the stories
        or their latest comments change."""
        with self._lock:
            cached = self._backgrounds.get(site.id)
        if cached is not None and cached[0] is site.stories:
            return cached[2]
        stories = [s for s in site.stories if s.title or s.text][:BACKGROUND_STORIES]
        signature = tuple((s.key, representation_tag(s), s.comments[-BACKGROUND_COMMENTS:]) for s in stories)
        if cached is not None and cached[1] == signature:
            built = cached[2]
        elif len(stories) < MIN_BACKGROUND:
            built = None
        else:
            signal = self.models.off_topic
            built = signal.make_background(
                [
                    signal.background_story(
                        self.article(s, site.representations), s.comments[-BACKGROUND_COMMENTS:]
                    )
                    for s in stories
                ]
            )
        with self._lock:
            self._backgrounds[site.id] = (site.stories, signature, built)
            while len(self._backgrounds) > 1024:
                self._backgrounds.pop(next(iter(self._backgrounds)))
        return built

    def _embed_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="townhall-embed")
            return self._pool

    def _spam(self, comment: CommentInput, request: ModerationRequest, reading: Reading) -> SignalResult:
        site = request.site
        allow = [origin.split("://", 1)[-1] for origin in site.origins]
        allow += list(site.settings.links_allowlist)
        # No lock: the server's memory is the database (services/recent_comments.py); an in-process
        # SpamMemory is fed by one thread, the batch tool's.
        return self.models.spam.assess(
            comment,
            links_allowlist=allow,
            honeypot=request.honeypot,
            author_key=request.author_key or "",
            network_key=request.network_key,
            now=request.now,
            story_key=request.story.key,
            memory=site.recent,  # type: ignore[arg-type]
            comment_id=request.comment_id,
            unknown_language=not_known("spam", reading),
        )


_MODELLED = ("toxicity", "off_topic")  # the signals that read the comment through a learned model


def _unless_unknown(result: SignalResult | None, reading: Reading, name: str, version: str) -> SignalResult:
    """The signal's result, or its abstention when its model does not know the comment's language:
    an English model's score on German text measures nothing, and a hold on it silences a reader."""
    why = not_known(name, reading)
    if why is None and result is not None:
        return result
    evidence = {"language": reading.code, "not_checked": why or "not read by the model"}
    return SignalResult(name, None, evidence, version)
