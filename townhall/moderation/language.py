"""Which language a comment is written in, so that models trained on English can say they cannot tell.

py3langid (a character n-gram naive Bayes model of 97 languages, shipped inside the package,
4.5 MB, under a millisecond a comment here) names the language. A comment counts as written
in another language only when the model all but rules English out (P(English) below
``MAX_ENGLISH``); otherwise it is taken as English and scored as before, so short or mixed
comments keep today's checks. At this bar none of C3's 12,000 and SFU's 1,121 English news
comments is read as another language, while 3 of the 4 C3 comments written in French or Japanese
are (docs/moderation.md, "Languages"; the fourth ends with an English sentence). A comment with
an English sentence in it (of at least ``SENTENCE_WORDS`` words that reads as English, P ≥
``ENGLISH_SENTENCE``) is English too, so an English insult cannot slip past the English models
behind a paragraph in another language.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale

DEFAULT = "en"
MAX_ENGLISH = 0.001
SENTENCE_WORDS = 4
ENGLISH_SENTENCE = 0.5
_SENTENCES = re.compile(r"(?<=[.!?…])\s+|\n+")
# The languages each model learned from; a signal abstains on a comment in any other language.
MODEL_LANGUAGES: dict[str, frozenset[str]] = {
    "toxicity": frozenset({"en"}),
    "off_topic": frozenset({"en"}),  # the MiniLM encoder and the combiner: English only
    "spam": frozenset({"en"}),  # the text model only; links, duplicates and flooding read any language
}


@dataclass(frozen=True, slots=True)
class Reading:
    """A comment's language (an ISO 639 code, ``DEFAULT`` unless English is all but ruled out) and
    the model's probability for it."""

    code: str
    confidence: float

    @property
    def name(self) -> str:
        return language_name(self.code)


class Detector:
    """Loads py3langid's model once (about a second) and reads texts' languages."""

    def __init__(self) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._lock = threading.Lock()  # cheap, and the identifier was not written for threads

    def detect(self, text: str) -> Reading:
        english, (code, probability) = self._english(text)
        if code == DEFAULT or english >= MAX_ENGLISH or self._has_english_sentence(text):
            return Reading(DEFAULT, round(float(english), 4))
        return Reading(str(code), round(float(probability), 4))

    def _english(self, text: str) -> tuple[float, tuple[str, float]]:
        """P(English) and the likeliest language with its probability."""
        with self._lock:
            ranked = self._identifier.rank(text)
        return next((p for code, p in ranked if code == DEFAULT), 0.0), ranked[0]

    def _has_english_sentence(self, text: str) -> bool:
        sentences = [s for s in _SENTENCES.split(text) if len(s.split()) >= SENTENCE_WORDS]
        if len(sentences) < 2:
            return False  # the whole text was that sentence
        return any(self._english(s)[0] >= ENGLISH_SENTENCE for s in sentences)

    def detect_many(self, texts: list[str]) -> list[Reading]:
        return [self.detect(text) for text in texts]


@lru_cache(maxsize=1)
def default_detector() -> Detector:
    """The process's detector, loaded on first use."""
    return Detector()


@lru_cache(maxsize=256)
def language_name(code: str) -> str:
    """The language's English name ("German"), for the reasons a moderator reads; the code if unknown."""
    return Locale("en").languages.get(code, code)


def not_known(signal: str, reading: Reading) -> str | None:
    """Why ``signal`` abstains on a comment in this language, in words; None if its model knows it."""
    if reading.code in MODEL_LANGUAGES.get(signal, frozenset({reading.code})):
        return None
    what = "the text model" if signal == "spam" else "the model"
    return f"written in {reading.name}, which {what} does not know"
