"""Text helpers: sentences, passages, content words, names.

Deliberately simple and language-specific (English); they feed the evidence, the overlap features
and the abstention, the embeddings do the scoring.
"""

from __future__ import annotations

import re

MAX_PASSAGES = 48

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n\s*\n")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]")

_STOPWORDS_TEXT = """
a about above after again against all almost also although always am among an and another any anyone
anything are aren't around as at away back be because been before being below between both but by
can can't cannot could couldn't did didn't do does doesn't doing don't done down during each either
else enough even ever every everyone everything few for from further get gets getting give go goes
going gone got had hadn't has hasn't have haven't having he he'd he'll he's her here hers herself
him himself his how however i i'd i'll i'm i've if in into is isn't it it's its itself just know
least less let let's like likely made make makes many may maybe me might mine more most much must
mustn't my myself need never new no nor not nothing now of off often oh ok okay on once one only or
other others our ours ourselves out over own per perhaps please put quite rather really right said
same say says see seem seems shall she she'd she'll she's should shouldn't since so some someone
something still such sure take than that that's the their theirs them themselves then there there's
these they they'd they'll they're they've thing things think this those though through thus time
times to too took under until up upon us use used very via want was wasn't way we we'd we'll we're
we've well were weren't what what's when where whether which while who who's whom whose why will
with within without won't would wouldn't yes yet you you'd you'll you're you've your yours yourself
yourselves lot lots good great bad people going year years day days tell told thank thanks agree
disagree comment comments article story writer author read reading globe mail editorial
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; keeps quotes with their sentence."""
    parts = [p.strip() for p in _SENTENCE_END.split(text or "") if p and p.strip()]
    return [p for p in parts if len(p) > 1]


def make_passages(text: str, window: int = 2, max_passages: int = MAX_PASSAGES) -> list[str]:
    """Overlapping windows of ``window`` sentences: short enough to match a focused comment,
    long enough to carry a topic. Long articles get wider windows so the count stays bounded."""
    sentences = split_sentences(text)
    if not sentences:
        return []
    while len(sentences) - window + 1 > max_passages:
        window += 1
    if len(sentences) <= window:
        return [" ".join(sentences)]
    stride = max(1, window // 2)
    out = [" ".join(sentences[i : i + window]) for i in range(0, len(sentences) - window + 1, stride)]
    if (len(sentences) - window) % stride:
        out.append(" ".join(sentences[-window:]))
    return out[:max_passages]


def _stem(word: str) -> str:
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def content_words(text: str) -> list[str]:
    """Lower-cased, lightly stemmed words that are not function words."""
    out = []
    for m in _WORD.finditer(text or ""):
        w = m.group(0).lower().replace("’", "'")
        if len(w) < 3 or w in STOPWORDS:
            continue
        s = _stem(w)
        if s not in STOPWORDS:
            out.append(s)
    return out


def proper_names(text: str) -> list[str]:
    """Capitalised words not at the start of a sentence: people, places, parties, bodies."""
    names = []
    for sentence in split_sentences(text) or [text]:
        tokens = _WORD.findall(sentence)
        for pos, tok in enumerate(tokens):
            if pos == 0 or not tok[0].isupper() or tok.lower() in STOPWORDS or len(tok) < 3:
                continue
            if tok.isupper() and len(tok) > 5:  # shouting, not an acronym
                continue
            names.append(_stem(tok))
    return names
