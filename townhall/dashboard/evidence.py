"""Evidence a moderator reads: the signals' character spans marked up in the comment's text.

Offsets come from the signals and point into the comment body. The text is cut at every span
edge and each piece is escaped on its own, so user text never reaches the page unescaped; only
the ``<mark>`` tags around the pieces are ours.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from babel import Locale
from markupsafe import Markup, escape

from townhall import i18n
from townhall.dashboard.formats import format_number, format_score
from townhall.dashboard.labels import ENGLISH_CODES
from townhall.dashboard.say import translate
from townhall.i18n import N_
from townhall.services.queue import SignalReading


@dataclass(frozen=True, slots=True)
class Mark:
    start: int
    end: int
    kind: str  # css modifier: "toxicity", "words-banned", "words-suspect"
    label: str


def _span(text: str, item: Any) -> tuple[int, int] | None:
    """A span's (start, end) if it is well formed and still matches the text it claims to cover."""
    if not isinstance(item, dict):
        return None
    start, end = item.get("start"), item.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
        return None
    quoted = item.get("text")
    if isinstance(quoted, str) and quoted and text[start:end] != quoted:
        return None  # the comment changed since the signal read it
    return start, end


BANNED_NOTE = N_("on the banned words list: {word}")
SUSPECT_NOTE = N_("on the suspect words list: {word}")


def marks_for(text: str, readings: list[SignalReading], lang: str = i18n.DEFAULT) -> list[Mark]:
    marks = []
    for reading in readings:
        if reading.name == "toxicity":
            for item in reading.evidence.get("spans") or []:
                if span := _span(text, item):
                    weight = item.get("weight")
                    if isinstance(weight, int | float) and not isinstance(weight, bool):
                        label = translate(
                            lang, N_("raises toxicity by {weight}"), {"weight": format_score(weight, lang)}
                        )
                    else:
                        label = translate(lang, N_("toxic"))
                    marks.append(Mark(*span, "toxicity", label))
        elif reading.name == "words":
            for item in reading.evidence.get("matches") or []:
                if span := _span(text, item):
                    banned = item.get("list") == "banned"
                    kind = "banned" if banned else "suspect"
                    params = {"word": str(item.get("word", ""))}
                    if item.get("list") == "abuse":
                        # Townhall's own short list for the comment's language (held like a suspect word).
                        note = N_("on Townhall's list of abuse in {language}: {word}")
                        code = str(item.get("language", ""))
                        params["language"] = language_name(code, lang)
                    elif banned:
                        note = N_("on the banned words list: {word}")
                    else:
                        note = N_("on the suspect words list: {word}")
                    label = translate(lang, note, params)
                    marks.append(Mark(*span, f"words-{kind}", label))
    return marks


def highlight(text: str, marks: list[Mark]) -> Markup:
    """The text, escaped, with each marked stretch wrapped in ``<mark>`` (overlaps merged)."""
    edges = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    out: list[str] = []
    for start, end in zip(edges, edges[1:], strict=False):
        covering = [m for m in marks if m.start <= start and end <= m.end]
        piece = str(escape(text[start:end]))
        if not covering:
            out.append(piece)
            continue
        kinds = " ".join(sorted({f"ev-{m.kind}" for m in covering}))
        label = "; ".join(dict.fromkeys(m.label for m in covering))
        out.append(f'<mark class="ev {kinds}" title="{escape(label)}">{piece}</mark>')
    return Markup("".join(out))  # noqa: S704 - every piece above is escaped


# Evidence keys in a moderator's words; keys not listed here are shown with underscores as spaces.
LABELS = {
    "categories": N_("kinds"),
    "similarity": N_("closeness to the article"),
    "parent_similarity": N_("closeness to the comment it replies to"),
    "thread_similarity": N_("closeness to the thread"),
    "shared_terms": N_("words shared with the article"),
    "foreign_terms": N_("words the article does not use"),
    "nearest_passage_index": N_("paragraph of the article"),
    "duplicate_of": N_("repeats comment"),
    "model_score": N_("text model's score"),
    "first_comment": N_("first comment on this site"),
    "published": N_("published comments"),
    "recent_rejections": N_("rejections in the last 30 days"),
    "recent_days": N_("days looked back"),
    "trusted_after": N_("published comments before a reader is trusted"),
    "lexical": N_("word score"),
    "sentence": N_("sentence model score"),
    "toxicity": N_("toxicity"),
    "words": N_("listed words"),
    "background": N_("other stories compared"),
    "stories": N_("stories"),
    "article": N_("article"),
    "thread": N_("thread"),
    "comment_id": N_("comment"),
    "story": N_("story"),
    "excerpt": N_("excerpt"),
    "margin": N_("closeness to this story rather than the site's others"),
    "author_recent": N_("comments from this author lately"),
    "network_recent": N_("comments from this network lately"),
    "language": N_("language of the comment"),
    "not_checked": N_("not checked"),
}


def label(key: str, lang: str = i18n.DEFAULT) -> str:
    return translate(lang, LABELS[key]) if key in LABELS else key.replace("_", " ")


def level(score: float | None) -> str:
    """A score in words: what a moderator reads before any number."""
    if score is None:
        return N_("no reading")
    if score < 0.3:
        return N_("low")
    if score < 0.5:
        return N_("some")
    if score < 0.8:
        return N_("high")
    return N_("very high")


def readable(value: Any, lang: str = i18n.DEFAULT) -> str:
    """A value as text in ``lang``: numbers rounded, lists joined, nested fields labelled, never raw JSON."""
    if value is None or value in ([], (), {}):
        return translate(lang, N_("none"))
    if isinstance(value, bool):
        return translate(lang, N_("yes") if value else N_("no"))
    if isinstance(value, float):
        return format_score(value, lang)
    if isinstance(value, int):
        return format_number(value, lang)
    if isinstance(value, list | tuple):
        return ", ".join(readable(item, lang) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{label(str(k), lang)} {readable(v, lang)}" for k, v in value.items())
    return str(value)


def language_name(code: str, lang: str = i18n.DEFAULT) -> str:
    """A language code (``de``) as ``lang`` names it (Deutsch, allemand); a code CLDR does not know,
    as stored (the template escapes it)."""
    return str(Locale.parse(lang).languages.get(code, code))


# How a model signal stores why it abstained (moderation/language.not_known, pipeline._unless_unknown).
_NOT_KNOWN = re.compile(r"^written in (?P<name>.+), which the (?P<text>text )?model does not know$")
NOT_KNOWN = N_("written in {language}, which the model does not know")
NOT_KNOWN_TEXT = N_("written in {language}, which the text model does not know")
NOT_READ = N_("not read by the model")


def not_checked(evidence: dict[str, Any], lang: str = i18n.DEFAULT) -> str:
    """Why a signal did not read the comment, in ``lang``, the language named from the stored code;
    a sentence of another shape is shown as stored."""
    stored = evidence.get("not_checked")
    if stored == NOT_READ:
        return translate(lang, NOT_READ)
    found = _NOT_KNOWN.match(stored) if isinstance(stored, str) else None
    if found is None:
        return readable(stored, lang)
    code = evidence.get("language")
    if not isinstance(code, str) or not code:  # the spam signal stores the English name only
        english: str = found.group("name")
        code = ENGLISH_CODES.get(english, english)
    name = language_name(code, lang)
    return translate(lang, NOT_KNOWN_TEXT if found.group("text") else NOT_KNOWN, {"language": name})


def extra_evidence(
    evidence: dict[str, Any], shown: Collection[str], lang: str = i18n.DEFAULT
) -> list[tuple[str, str]]:
    """Evidence fields the page has no special layout for, labelled and rounded, for "Details"."""
    rows = []
    for key, value in evidence.items():
        if key in shown or value in (None, "", [], {}):
            continue
        if key == "language" and isinstance(value, str):
            text = language_name(value, lang)
        elif key == "not_checked":
            text = not_checked(evidence, lang)
        else:
            text = readable(value, lang)
        rows.append((label(key, lang), text if len(text) <= 300 else text[:297] + "…"))
    return rows
