"""Evidence a moderator reads: the signals' character spans marked up in the comment's text.

Offsets come from the signals and point into the comment body. The text is cut at every span
edge and each piece is escaped on its own, so user text never reaches the page unescaped; only
the ``<mark>`` tags around the pieces are ours.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

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


def marks_for(text: str, readings: list[SignalReading]) -> list[Mark]:
    marks = []
    for reading in readings:
        if reading.name == "toxicity":
            for item in reading.evidence.get("spans") or []:
                if span := _span(text, item):
                    weight = item.get("weight")
                    label = f"raises toxicity by {weight:.2f}" if isinstance(weight, int | float) else "toxic"
                    marks.append(Mark(*span, "toxicity", label))
        elif reading.name == "words":
            for item in reading.evidence.get("matches") or []:
                if span := _span(text, item):
                    kind = "banned" if item.get("list") == "banned" else "suspect"
                    marks.append(
                        Mark(*span, f"words-{kind}", f"on the {kind} words list: {item.get('word', '')}")
                    )
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
    "categories": "kinds",
    "similarity": "closeness to the article",
    "parent_similarity": "closeness to the comment it replies to",
    "thread_similarity": "closeness to the thread",
    "shared_terms": "words shared with the article",
    "foreign_terms": "words the article does not use",
    "nearest_passage_index": "paragraph of the article",
    "duplicate_of": "repeats comment",
    "model_score": "text model's score",
    "first_comment": "first comment on this site",
    "published": "published comments",
    "recent_rejections": "rejections in the last 30 days",
    "recent_days": "days looked back",
    "trusted_after": "published comments before a reader is trusted",
    "lexical": "word score",
    "sentence": "sentence model score",
    "toxicity": "toxicity",
    "words": "listed words",
    "background": "other stories compared",
    "stories": "stories",
    "article": "article",
    "thread": "thread",
}


def label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " "))


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


def readable(value: Any) -> str:
    """A value as text: numbers rounded, lists joined, nested fields labelled, never raw JSON."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(readable(item) for item in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{label(str(k))} {readable(v)}" for k, v in value.items()) or "none"
    return str(value)


def extra_evidence(evidence: dict[str, Any], shown: Collection[str]) -> list[tuple[str, str]]:
    """Evidence fields the page has no special layout for, labelled and rounded, for "Details"."""
    rows = []
    for key, value in evidence.items():
        if key in shown or value in (None, "", [], {}):
            continue
        text = readable(value)
        rows.append((label(key), text if len(text) <= 300 else text[:297] + "…"))
    return rows
