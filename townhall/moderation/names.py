"""A reader's display name is content: cleaned, kept from imitating staff, and scored.

A name is shown beside the comment in the public thread, so it gets the same checks as a body:
the site's word lists and the toxicity model (``assess``; a name at or above the hold threshold
holds the comment). Before that it is normalised (``clean``): NFKC, no bidi controls or other
invisible characters, whitespace collapsed. ``imitates`` finds names that pass for the site's
staff or the site itself; only staff may use them.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from townhall.i18n import N_
from townhall.moderation.signal import Article, CommentInput, SignalResult
from townhall.moderation.signals.toxicity import ToxicitySignal
from townhall.moderation.signals.wordlists import WordListSignal

VERSION = "names-1"

# Words that make a name read as the site speaking. Matched like a banned word: case, accents,
# look-alike letters and l33t ("Adm1n", "M.o.d") included, on word boundaries ("Modesto" is fine).
STAFF_WORDS = (
    "admin",
    "administrator",
    "moderator",
    "moderation",
    "mod",
    "staff",
    "editor",
    "editorial",
    "official",
    "webmaster",
    "sysop",
    "townhall",
)

# Characters that render as nothing but change how a name reads or compares: Hangul fillers,
# the braille blank and others that Unicode files as letters or symbols.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def _hidden(ch: str) -> bool:
    """Format (bidi, zero-width), control, private-use and unassigned characters, and blank look-alikes."""
    return unicodedata.category(ch) in ("Cf", "Cc", "Co", "Cn", "Cs") or ch in _BLANK_LOOKING


def clean(raw: str) -> str:
    """NFKC, hidden characters dropped, every run of whitespace one space, trimmed."""
    text = unicodedata.normalize("NFKC", raw or "")
    kept = "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or not _hidden(ch))
    return " ".join(kept.split())


def problem(name: str, max_chars: int) -> str | None:
    """Why a cleaned name cannot be used, or None."""
    if not name:
        return N_("a name is required")
    if len(name) > max_chars:
        return f"name is longer than {max_chars} characters"
    if not any(unicodedata.category(ch)[0] in "LNS" for ch in name):
        return N_("a name needs at least one letter, digit or symbol")
    return None


@lru_cache(maxsize=64)
def _reserved(site_name: str) -> WordListSignal:
    own = [site_name.strip()]
    if own[0].lower().startswith("the ") and len(own[0]) > 7:
        own.append(own[0][4:])  # "The Ledger" is also imitated by "Ledger"
    return WordListSignal(banned=(*STAFF_WORDS, *[n for n in own if n]))


def imitates(name: str, site_name: str) -> str | None:
    """The staff word or site name a name passes for, or None."""
    found = _reserved(site_name).matches(name)
    return found[0]["word"] if found else None


def assess(name: str, words: WordListSignal, toxicity: ToxicitySignal | None) -> SignalResult:
    """The `name` signal: the higher of the site's word lists and the toxicity model on the name."""
    listed = words.check(name)
    scores = [listed.score or 0.0]
    evidence: dict[str, object] = {"name": name, "words": [m["word"] for m in listed.evidence["matches"]]}
    if toxicity is not None:
        toxic = toxicity.score(CommentInput(text=name, article=Article("")))
        if toxic.score is not None:
            scores.append(toxic.score)
            evidence["toxicity"] = round(toxic.score, 2)
    return SignalResult("name", max(scores), evidence, VERSION)
