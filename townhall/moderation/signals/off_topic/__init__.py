"""Off-topic signal: is this comment about the story it is posted under (or the discussion so far)?

The hard case is not a recipe under a politics story but a comment about a *different story of the
same world*: it shares the vocabulary and the tone, so keyword and topic filters pass it. What
gives it away is that it is far from every passage of the article, from the parent and from the
thread, and that it names people or things the story never mentions.

Each story is represented once (:func:`represent_article`) and stored; each comment is embedded
once and its vector reused as thread context for later comments. Scoring is then a few dot
products, so the embedding of the comment itself is the whole per-comment cost.

Short generic reactions ("About time.", "Who pays for this?") carry no topic of their own: the
signal abstains on them (score ``None``) rather than guessing.

The package, in the order a comment meets it: ``text`` (sentences, content words, names),
``article`` (a story's stored representation), ``background`` (the site's other stories),
``context`` (the comment's thread and parent as vectors), ``features`` (what is measured, and the
evidence), ``combiner`` (the learned weights) and ``scorer`` (the signal that ties them together).
"""

from __future__ import annotations

from townhall.moderation.signals.off_topic.article import REPR_VERSION, ArticleRepr, Embeds, represent_article
from townhall.moderation.signals.off_topic.background import (
    BACKGROUND_FILE,
    MAX_CONTEXT,
    Background,
    BackgroundStory,
    load_default_background,
    story_key,
)
from townhall.moderation.signals.off_topic.combiner import COMBINER_FILE, FEATURES, Combiner
from townhall.moderation.signals.off_topic.scorer import NAME, OffTopicConfig, OffTopicSignal
from townhall.moderation.signals.off_topic.text import (
    content_words,
    make_passages,
    proper_names,
    split_sentences,
)

__all__ = [
    "BACKGROUND_FILE",
    "COMBINER_FILE",
    "FEATURES",
    "MAX_CONTEXT",
    "NAME",
    "REPR_VERSION",
    "ArticleRepr",
    "Background",
    "BackgroundStory",
    "Combiner",
    "Embeds",
    "OffTopicConfig",
    "OffTopicSignal",
    "content_words",
    "load_default_background",
    "make_passages",
    "proper_names",
    "represent_article",
    "split_sentences",
    "story_key",
]
