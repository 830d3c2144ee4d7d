"""Stored values as words in the staff member's language, chosen when a page is rendered.

The database keeps values (``moderator``, ``comment.held``, ``waiting``) and the moderation
signals keep their reasons as English sentences; each is looked up here and said through the
dashboard catalogue. A value not listed (a newer signal's reason, a value from an import) is
shown as stored — the templates escape it like any other text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from babel import Locale

from townhall import i18n
from townhall.dashboard.formats import format_number, format_score, format_share
from townhall.i18n import N_, NP_

SIGNAL_LABELS = {
    "toxicity": N_("Toxicity"),
    "off_topic": N_("Off-topic"),
    "spam": N_("Spam"),
    "words": N_("Word lists"),
    "trust": N_("Reader trust"),
    "name": N_("Display name"),
}

# Who changed a comment, in its history (types.ActorKind).
ACTOR_KINDS = {
    "reader": N_("reader"),
    "moderator": N_("moderator"),
    "signal": N_("signal"),
    "system": N_("system"),
    "publisher": N_("publisher"),
}

# A reader: a guest, or signed in by the publisher's site (types.AuthorKind).
AUTHOR_KINDS = {"guest": N_("guest"), "sso": N_("signed in by the site")}

# Webhook events (services/webhooks.EVENTS and the test event) and a delivery's state.
EVENTS = {
    "comment.created": N_("comment posted"),
    "comment.published": N_("comment published"),
    "comment.held": N_("comment held"),
    "comment.rejected": N_("comment rejected"),
    "story.created": N_("story added"),
    "story.closed": N_("story closed"),
    "ping": N_("test event"),
}
DELIVERY_STATES = {"delivered": N_("delivered"), "waiting": N_("waiting"), "failed": N_("failed")}

# The kinds of words the toxicity signal found (moderation/signals/toxicity.LEXICON_FEATURES).
TOXICITY_KINDS = {
    "insult": N_("insults"),
    "profanity": N_("profanity"),
    "hostile": N_("hostile words"),
    "mockery": N_("mockery"),
    "negative": N_("harsh judgement"),
    "speech": N_("belittling someone's words"),
    "dismissive": N_("dismissive phrases"),
    "threat": N_("threats"),
    "targeted": N_("aimed at a person"),
}

# What an erasure did with the reader's comments (services/sites.ERASURE_MODES).
ERASURE_MODES = {"remove": N_("removed"), "anonymise": N_("kept without the name")}

# The word lists a matched word came from (moderation/signals/wordlists.py).
WORD_LISTS = {"banned": N_("banned words"), "suspect": N_("suspect words")}


def word(lang: str, table: dict[str, str], value: object) -> str:
    """``value``'s word from ``table`` in ``lang``; a value the table does not know, as stored."""
    text = str(value)
    if text in table:
        return str(i18n.translations(lang, "dashboard").gettext(table[text]))
    return text


def signal_word(lang: str, name: str) -> str:
    if name in SIGNAL_LABELS:
        return word(lang, SIGNAL_LABELS, name)
    return name.replace("_", " ").capitalize()


# -- reasons a moderator reads --------------------------------------------------------------------

Convert = Callable[[str, str], str]  # (lang, matched text) -> what the message shows


def _same(_lang: str, text: str) -> str:
    return text


def _signal(lang: str, text: str) -> str:
    return signal_word(lang, text)


def _score(lang: str, text: str) -> str:
    return format_score(float(text), lang)


def _count(lang: str, text: str) -> str:
    return format_number(int(text), lang)


def _share(lang: str, text: str) -> str:
    return format_share(int(text) / 100, lang)


def _language(lang: str, text: str) -> str:
    """A language's English name, as the policy writes it, in the staff member's language."""
    code = ENGLISH_CODES.get(text)
    return Locale.parse(lang).languages.get(code, text) if code else text


ENGLISH_CODES = {name: code for code, name in Locale("en").languages.items()}  # "German": "de"


@dataclass(frozen=True, slots=True)
class Reason:
    pattern: re.Pattern[str]
    message: str | tuple[str, str]  # msgid with {name} placeholders, one per named group; a
    # plural pair (singular, plural) is chosen by the group named ``count``
    convert: tuple[tuple[str, Convert], ...] = ()


SCORE = r"(?P<score>\d+(?:\.\d+)?)"
BAR = r"(?P<threshold>\d+(?:\.\d+)?)"

# The policy's reasons (moderation/policy.py) and the spam signal's (moderation/signals/spam.py),
# as they are written there; each says the same in the staff member's language.
REASONS = (
    Reason(
        re.compile(rf"^(?P<signal>\w+) {SCORE} ≥ hold threshold {BAR}$"),
        N_("{signal} {score} ≥ hold threshold {threshold}"),
        convert=(("signal", _signal), ("score", _score), ("threshold", _score)),
    ),
    Reason(
        re.compile(rf"^(?P<signal>\w+) {SCORE} ≥ reject threshold {BAR}$"),
        N_("{signal} {score} ≥ reject threshold {threshold}"),
        convert=(("signal", _signal), ("score", _score), ("threshold", _score)),
    ),
    Reason(
        re.compile(rf"^site calibration {SCORE} ≥ {BAR} \((?P<signal>\w+)\)$"),
        N_("site calibration {score} ≥ {threshold} ({signal})"),
        convert=(("signal", _signal), ("score", _score), ("threshold", _score)),
    ),
    Reason(
        re.compile(r"^(?P<signal>\w+) borderline, skipped for a trusted reader$"),
        N_("{signal} borderline, skipped for a trusted reader"),
        convert=(("signal", _signal),),
    ),
    Reason(re.compile(r"^pre-moderation$"), N_("pre-moderation")),
    Reason(
        re.compile(
            r"^(?P<signal>\w+) not checked: written in (?P<language>.+), which the model does not know$"
        ),
        N_("{signal} not checked: written in {language}, which the model does not know"),
        convert=(("signal", _signal), ("language", _language)),
    ),
    Reason(
        re.compile(
            r"^(?P<signal>\w+) partly checked: written in (?P<language>.+), "
            r"which the text model does not know$"
        ),
        N_("{signal} partly checked: written in {language}, which the text model does not know"),
        convert=(("signal", _signal), ("language", _language)),
    ),
    Reason(
        re.compile(
            r"^held: written in (?P<language>.+), which the models do not know \(the site's setting\)$"
        ),
        N_("held: written in {language}, which the models do not know (the site's setting)"),
        convert=(("language", _language),),
    ),
    Reason(
        re.compile(r"^hidden honeypot field was filled in \(a bot\)$"),
        N_("hidden honeypot field was filled in (a bot)"),
    ),
    Reason(re.compile(r"^link shortener: (?P<links>.+)$"), N_("link shortener: {links}")),
    Reason(
        re.compile(r"^links to domains not on the site's list: (?P<domains>.+)$"),
        N_("links to domains not on the site's list: {domains}"),
    ),
    Reason(
        re.compile(r"^(?P<count>\d+) links$"),
        NP_(
            "{count} link",
            "{count} links",
        ),
        convert=(("count", _count),),
    ),
    Reason(
        re.compile(rf"^text reads like spam \(model {SCORE}\)$"),
        N_("text reads like spam (model {score})"),
        convert=(("score", _score),),
    ),
    Reason(
        re.compile(r"^near-duplicate \((?P<share>\d+)%\) of a recent comment on this story$"),
        N_("near-duplicate ({share}) of a recent comment on this story"),
        convert=(("share", _share),),
    ),
    Reason(
        re.compile(r"^near-duplicate \((?P<share>\d+)%\) of a recent comment on another story$"),
        N_("near-duplicate ({share}) of a recent comment on another story"),
        convert=(("share", _share),),
    ),
    Reason(
        re.compile(r"^flooding: (?P<count>\d+) comments from one author in (?P<minutes>\d+) min$"),
        NP_(
            "flooding: {count} comment from one author in {minutes} min",
            "flooding: {count} comments from one author in {minutes} min",
        ),
        convert=(("count", _count), ("minutes", _count)),
    ),
    Reason(
        re.compile(r"^flooding: (?P<count>\d+) comments from one network in (?P<minutes>\d+) min$"),
        NP_(
            "flooding: {count} comment from one network in {minutes} min",
            "flooding: {count} comments from one network in {minutes} min",
        ),
        convert=(("count", _count), ("minutes", _count)),
    ),
)


def reason(lang: str, text: str) -> str:
    """A stored reason in ``lang`` when it is one we know the shape of; otherwise as stored."""
    if lang == i18n.DEFAULT or not isinstance(text, str):
        return str(text)
    for known in REASONS:
        found = known.pattern.match(text)
        if found is None:
            continue
        params = dict(found.groupdict())
        converters = dict(known.convert)
        for name, value in params.items():
            params[name] = converters.get(name, _same)(lang, value)
        translations = i18n.translations(lang, "dashboard")
        if isinstance(known.message, tuple):
            template = translations.ngettext(*known.message, int(found.group("count")))
        else:
            template = translations.gettext(known.message)
        try:
            return str(template).format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text
