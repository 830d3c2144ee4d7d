"""Site word lists: banned and suspect words or phrases, matched robustly.

The text is folded (case, accents, look-alike letters, invisible characters) without changing
offsets, then one compiled regular expression per pair of lists finds listed words. Each listed
letter also accepts its l33t digits and symbols, runs of repeated letters and punctuation inside
the word ("st-upid", "s.t.u.p.i.d"). Matches must sit on word boundaries of the folded text, so
"class", "Scunthorpe" or "therapist" never match "ass", "cunt" or "rape" (the Scunthorpe
problem). Letters spaced out with whitespace ("s t u p i d") are joined only when every piece is
a single letter, so "pen is" never becomes one word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from townhall.moderation.signal import SignalResult

LEXICONS = Path(__file__).resolve().parents[1] / "lexicons"

VERSION = "words-1"

# Digits and symbols that stand in for letters. "1" and "|" are read as either i or l.
_LEET: dict[str, str] = {"a": "4@", "e": "3", "i": "1!|", "l": "1|", "o": "0", "s": "5$", "t": "7+"}
_LEET_SYMBOLS = "@$!|+"
_TO_LETTER = {
    "4": "a",
    "@": "a",
    "3": "e",
    "1": "i",
    "!": "i",
    "|": "l",
    "0": "o",
    "5": "s",
    "$": "s",
    "7": "t",
    "+": "t",
}

# Letters from other scripts that look like Latin ones, used to dodge filters.
_CONFUSABLES = {
    "а": "a",
    "в": "b",
    "е": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "і": "i",
    "ј": "j",
    "ѕ": "s",
    "ԁ": "d",
    "ɡ": "g",
    "α": "a",
    "ο": "o",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "τ": "t",
    "υ": "u",
    "ρ": "p",
}

_BOUND_BEFORE = r"(?<![^\W_])(?<![@$!|+])"  # not preceded by a letter, digit or l33t symbol
_BOUND_AFTER = r"(?![^\W_])"
_SEP = r"[^\w\s@$!|+]"  # punctuation that may be slipped inside a word (one class: fast repeat)
_BREAK = r"[^\w@$!|+]*"  # between the words of a listed phrase (may be empty: "gotohell")
_PLURAL = r"(?:[e3]?[s5$])?"  # "idiots", "asses"
_RUN_CAP = 40  # longest spaced-out letter run we try to read (keeps the worst case cheap)
# Single letters (or l33t stand-ins) separated by short gaps: "s t u p i d", "a. s. s". The first
# character is the gap before the run; plain ASCII classes keep this scan cheap.
_RUN = re.compile(r"[^a-z0-9@$]([a-z0-9@$](?:[^a-z0-9@$]{1,3}[a-z0-9@$](?![a-z0-9]))+)")
# Single-letter words and text-speak that may stand around a spelled-out word ("u r s t u p i d").
_RUN_FILLER = frozenset("aiury")
_RUN_PIECE = re.compile(r"[a-z0-9@$]")


def _has_letter(found: str) -> bool:
    # "455" or "1-1-1" is a number, not l33t for "ass" or "ill": l33t needs a real letter or symbol.
    return any(ch.isalpha() or ch in _LEET_SYMBOLS for ch in found)


class _FoldTable(dict[int, str]):
    """str.translate table: lower case, no accents, Latin look-alikes; invisibles removed.

    Every character maps to exactly one character, except invisible ones (zero-width spaces,
    soft hyphens, combining marks), which map to "" — so offsets only move when those occur.
    """

    def __missing__(self, code: int) -> str:
        out = _fold_char(chr(code))
        if len(self) < 100_000:
            self[code] = out
        return out


def _fold_char(ch: str) -> str:
    low = ch.lower()
    if low in _CONFUSABLES:
        return _CONFUSABLES[low]
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return ""
    base = "".join(c for c in unicodedata.normalize("NFKD", low) if not unicodedata.combining(c))
    base = base.lower()
    if not base:
        return ""
    return base[0] if len(base) > 1 else base


_FOLD = _FoldTable()


def fold(text: str) -> tuple[str, list[int] | None]:
    """Folded text plus, when lengths differ, the original index of every folded character.

    Underscores become hyphens so that "s_t_u_p_i_d" reads as punctuation inside a word.
    """
    if text.isascii():
        return text.lower().replace("_", "-"), None
    folded = text.translate(_FOLD).replace("_", "-")
    if len(folded) == len(text):
        return folded, None
    positions: list[int] = []
    for i, ch in enumerate(text):
        if _FOLD[ord(ch)]:
            positions.append(i)
    return folded, positions


def _letter_class(letter: str) -> str:
    extra = _LEET.get(letter, "")
    return "[" + re.escape(letter + extra) + "]" if extra else re.escape(letter)


def _units(entry: str) -> tuple[tuple[str, int], ...]:
    """A listed entry as (letter, run length) units; ("", 0) marks a break between words."""
    folded, _ = fold(entry)
    words = []
    for raw in folded.split():
        word = "".join(ch for ch in raw if ch.isalnum() or ch in _LEET_SYMBOLS)
        if any(ch.isalpha() for ch in word):  # "a$$" -> "ass", but a bare number stays a number
            word = "".join(_TO_LETTER.get(ch, ch) for ch in word)
        word = "".join(ch for ch in word if ch.isalnum())
        if word:
            words.append(word)
    units: list[tuple[str, int]] = []
    for w, word in enumerate(words):
        if w:
            units.append(("", 0))
        for ch in word:
            if units and units[-1][0] == ch:
                units[-1] = (ch, units[-1][1] + 1)
            else:
                units.append((ch, 1))
    return tuple(units)


@dataclass
class _Node:
    children: dict[tuple[str, int], _Node]
    terminal: int | None = None  # index of the entry that ends here


def _pattern(node: _Node, word_start: bool, bounded: bool) -> str:
    # Every branch starts with a literal or a character class, which lets the regex engine
    # reject it after one character; that is what keeps one regex for 200 words fast.
    letters, alts = [], []
    # Longer runs and longer entries first: a regex alternation takes the first branch that
    # succeeds, and "ass" should be read as "ass", not as "as" with a repeated s.
    for (letter, count), child in sorted(node.children.items(), key=lambda kv: -kv[0][1]):
        if not letter:
            alts.append(_BREAK + _pattern(child, True, bounded))
            continue
        cls = _letter_class(letter)
        # A listed run of k letters needs at least k in the text: "ass" never matches "as".
        letters.append(cls * count + cls + "*" + _pattern(child, False, bounded))
    if letters:
        group = letters[0] if len(letters) == 1 else "(?:" + "|".join(letters) + ")"
        alts.insert(0, group if word_start else _SEP + "*" + group)
    if node.terminal is not None:
        alts.append(_PLURAL + (_BOUND_AFTER if bounded else "") + f"(?P<e{node.terminal}>)")
    if not alts:
        return ""
    return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"


@dataclass(frozen=True)
class _Compiled:
    bounded: re.Pattern[str]
    free: re.Pattern[str]  # same, without word boundaries, for spaced-out letter runs
    entries: tuple[tuple[str, str], ...]  # (listed word, list name) per entry index


@lru_cache(maxsize=256)
def _compile(banned: tuple[str, ...], suspect: tuple[str, ...], abuse: tuple[str, ...] = ()) -> _Compiled:
    root = _Node({})
    entries: list[tuple[str, str]] = []
    seen: set[tuple[tuple[str, int], ...]] = set()
    # The site's banned list wins on duplicates, then its suspect list, then the shipped abuse list.
    for name, words in (("banned", banned), ("suspect", suspect), ("abuse", abuse)):
        for word in words:
            units = _units(word)
            if not units or units in seen:
                continue
            seen.add(units)
            node = root
            for unit in units:
                node = node.children.setdefault(unit, _Node({}))
            node.terminal = len(entries)
            entries.append((word, name))
    if not entries:
        never = re.compile(r"(?!x)x")
        return _Compiled(never, never, ())
    bounded = re.compile(_BOUND_BEFORE + _pattern(root, True, True))
    free = re.compile(_pattern(root, True, False))
    return _Compiled(bounded, free, tuple(entries))


@lru_cache(maxsize=1)
def abuse_languages() -> frozenset[str]:
    """The languages Townhall ships an abuse list for ("de", "fr")."""
    return frozenset(p.stem.removeprefix("abuse-") for p in LEXICONS.glob("abuse-*.txt"))


@lru_cache(maxsize=8)
def abuse_words(language: str) -> tuple[str, ...]:
    """The shipped abuse list of ``language`` (comment lines starting with # left out)."""
    path = LEXICONS / f"abuse-{language}.txt"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


class WordListSignal:
    """Banned and suspect words for one site. Build once per site; matching is cached.

    ``language`` adds Townhall's short list of abuse in that language (``lexicons/abuse-*.txt``),
    for comments read as written in it: its matches hold like suspect words."""

    name = "words"

    def __init__(
        self,
        banned: list[str] | tuple[str, ...] = (),
        suspect: list[str] | tuple[str, ...] = (),
        language: str | None = None,
    ):
        self.language = language if language in abuse_languages() else None
        abuse = abuse_words(self.language) if self.language else ()
        self._compiled = _compile(tuple(banned), tuple(suspect), abuse)

    def matches(self, text: str) -> list[dict[str, Any]]:
        """Every listed word found in ``text``, with offsets into the original text."""
        comp = self._compiled
        if not comp.entries or not text:
            return []
        folded, positions = fold(text)
        found: dict[tuple[int, int, int], None] = {}
        for m in comp.bounded.finditer(folded):
            if m.end() > m.start() and m.lastgroup and _has_letter(m.group()):
                found[(m.start(), m.end(), int(m.lastgroup[1:]))] = None
        for m in _RUN.finditer(" " + folded):  # the leading space lets a run start the text
            if any(ch.isspace() for ch in m.group(1)):  # runs without spaces are handled above
                self._match_run(m.start(1) - 1, m.group(1), found)
        out = []
        for start, end, idx in sorted(found):
            if positions is not None:
                start, end = positions[start], positions[end - 1] + 1
            word, list_name = comp.entries[idx]
            match = {"word": word, "list": list_name, "start": start, "end": end, "text": text[start:end]}
            if list_name == "abuse":
                match["language"] = self.language
            out.append(match)
        return out

    def _match_run(self, offset: int, run: str, found: dict[tuple[int, int, int], None]) -> None:
        pieces = [(p.start() + offset, p.group()) for p in _RUN_PIECE.finditer(run)][:_RUN_CAP]
        joined = "".join(p for _, p in pieces)
        free = self._compiled.free
        # The run may spell a listed word with single-letter words around it ("u r s t u p i d"),
        # but never a word hidden inside a spelled word: "c l a s s" does not contain "ass".
        for i in range(len(joined)):
            if i and joined[i - 1] not in _RUN_FILLER:
                return
            for j in range(len(joined), i, -1):
                m = free.fullmatch(joined, i, j)
                if m and m.lastgroup and _has_letter(m.group()):
                    found[(pieces[i][0], pieces[j - 1][0] + 1, int(m.lastgroup[1:]))] = None
                    return
                if joined[j - 1] not in _RUN_FILLER:
                    break

    def check(self, text: str) -> SignalResult:
        """Score 1.0 when a banned word occurs, 0.5 when only suspect (or shipped abuse) ones do, else 0.0."""
        found = self.matches(text)
        if any(m["list"] == "banned" for m in found):
            score = 1.0
        elif found:
            score = 0.5
        else:
            score = 0.0
        return SignalResult(self.name, score, {"matches": found}, VERSION)
