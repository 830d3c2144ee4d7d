"""The pre-submit nudge: before a comment is posted, tell its author, in plain words, when it
looks off-topic or uncivil, so they can edit it or post it anyway.

The check runs the same moderation as a post (the site's stories, thread and thresholds) but
stores nothing: no comment, no author, no story, no memory of it for the spam signal. It is the
site's choice (``SiteSettings.nudge``); scores are never shown, only what they point at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from townhall.errors import NotFound
from townhall.i18n import N_
from townhall.models import Site
from townhall.services.comments import CommentService
from townhall.services.holds import causes
from townhall.types import CommentStatus

ASKED_ABOUT = ("off_topic", "toxicity")  # what an author is asked about; the rest is for moderators
QUESTIONS = {
    ("off_topic",): N_("This doesn't seem to be about this story. Post anyway, or edit?"),
    ("toxicity",): N_("This may come across as uncivil. Post anyway, or edit?"),
    ("off_topic", "toxicity"): N_(
        "This doesn't seem to be about this story, and may come across as uncivil. Post anyway, or edit?"
    ),
}
Gettext = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Nudge:
    ask: bool
    question: str = ""
    evidence: tuple[str, ...] = ()  # plain sentences, one per concern
    concerns: tuple[str, ...] = ()  # the signals behind it: "off_topic", "toxicity"


def _quoted(words: list[str], gettext: Gettext) -> str:
    quoted = [gettext("“{word}”").format(word=w) for w in words]
    if len(quoted) == 1:
        return quoted[0]
    return gettext("{some} and {last}").format(some=", ".join(quoted[:-1]), last=quoted[-1])


def _off_topic_words(title: str, evidence: dict[str, Any], gettext: Gettext) -> str:
    text = (
        gettext("It reads as if it were about something other than “{title}”.").format(title=title)
        if title
        else gettext("It reads as if it were about something other than this story.")
    )
    foreign = [str(t).capitalize() for t in evidence.get("foreign_terms") or []][:3]
    if foreign:
        mentions = gettext("It mentions {words}, which the story does not.")
        text += " " + mentions.format(words=_quoted(foreign, gettext))
    return text


def _toxicity_words(evidence: dict[str, Any], gettext: Gettext) -> str:
    words = list(dict.fromkeys(str(s.get("text", "")) for s in evidence.get("spans") or [] if s.get("text")))[
        :3
    ]
    if words:
        hostile = gettext("Words like {words} may read as hostile to other readers.")
        return hostile.format(words=_quoted(words, gettext))
    return gettext("Its tone may read as hostile to other readers.")


class NudgeService:
    def __init__(self, comments: CommentService):
        self.comments = comments

    def check(
        self, site: Site, url: str, body: str, parent_id: int | None = None, gettext: Gettext = str
    ) -> Nudge:
        """Whether to ask the author before posting ``body`` under the story at ``url``; what the
        author is told is in gettext's language."""
        body = self.comments.check_body(body)
        if not site.settings.nudge:
            return Nudge(False)
        story = self.comments.stories.find(site, url)
        if story is None:  # a story never seen has no article to compare with yet
            return Nudge(False)
        parent_text = None
        if parent_id is not None:
            try:
                parent = self.comments.get(parent_id)
            except NotFound:
                parent = None  # posting will say so; the check only leaves the parent out
            if (
                parent is not None
                and parent.story_id == story.id
                and parent.status is CommentStatus.PUBLISHED
            ):
                parent_text = parent.body
        now = self.comments.clock()
        request = self.comments.contexts.request(site, story, body, now, parent_text=parent_text)
        verdict = self.comments.moderator.assess(request).to_dict()
        concerns = tuple(name for name in ASKED_ABOUT if name in causes(verdict, site.settings))
        if not concerns:
            return Nudge(False)
        signals = verdict["signals"]
        evidence = []
        if "off_topic" in concerns:
            off_topic = signals["off_topic"].get("evidence") or {}
            evidence.append(_off_topic_words(story.title, off_topic, gettext))
        if "toxicity" in concerns:
            evidence.append(_toxicity_words(signals["toxicity"].get("evidence") or {}, gettext))
        return Nudge(True, gettext(QUESTIONS[concerns]), tuple(evidence), concerns)
