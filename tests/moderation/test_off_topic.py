"""Off-topic signal and embedder, on a self-written story about a fictional city council."""

from __future__ import annotations

import numpy as np
import pytest

from townhall.moderation import policy
from townhall.moderation.embedder import Embedder
from townhall.moderation.signal import Article, CommentInput
from townhall.moderation.signals.off_topic import (
    ArticleRepr,
    BackgroundStory,
    OffTopicSignal,
    make_passages,
    represent_article,
)

TITLE = "Millbrook council votes to close Eastgate library branch to cover budget gap"
TEXT = (
    "Millbrook city council voted 7 to 4 on Tuesday night to close the Eastgate branch library at the end"
    " of the year, saving about 400,000 dollars a year. The decision came after a four-hour meeting in "
    "which more than forty residents spoke against the closure. Councillor Ruth Abara, who represents the"
    " ward, said the branch is the only place many children in the neighbourhood can do homework after "
    "school. Finance chair Daniel Whitcombe said the city faces a 3 million dollar shortfall after "
    "provincial transfers were cut, and that every department had been asked to find savings. The library"
    " board had proposed reducing opening hours at all branches instead, but council rejected that "
    "option. Eastgate's collection will be moved to the central library downtown, about six kilometres "
    "away. Staff will be offered positions at other branches. A petition to keep the branch open has "
    "collected more than 3,000 signatures, and organisers say they will ask council to reconsider in the "
    "spring budget."
)
# Same town, same politics, different story: a councillor's expense scandal nobody here reports.
OFF_TOPIC = (
    "Why is nobody talking about Councillor Fenwick charging the taxpayers for his Florida trip and "
    "his son's car? He should resign before the ethics commissioner finishes the investigation."
)
ON_TOPIC = (
    "Closing Eastgate library hurts the kids who need it most. Cut the hours at every branch like the "
    "library board proposed instead of shutting one neighbourhood out."
)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder.load(threads=1)


@pytest.fixture(scope="module")
def signal(embedder: Embedder) -> OffTopicSignal:
    return OffTopicSignal(embedder)


@pytest.fixture(scope="module")
def story(embedder: Embedder) -> ArticleRepr:
    return represent_article(embedder, TITLE, TEXT)


def _comment(text: str, **kw: object) -> CommentInput:
    return CommentInput(text=text, article=Article(TITLE, TEXT), **kw)  # type: ignore[arg-type]


def test_embedder_is_normalised_and_deterministic(embedder: Embedder) -> None:
    texts = ["About time.", ON_TOPIC, OFF_TOPIC, ""]
    a = embedder.embed(texts)
    b = embedder.embed(texts)
    assert a.shape == (4, 384) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(a, b)
    # order of the output follows the input even though batches are sorted by length
    single = embedder.embed([OFF_TOPIC])[0]
    assert float(single @ a[2]) > 0.97


def test_off_topic_comment_from_another_story_scores_high(signal: OffTopicSignal, story: ArticleRepr) -> None:
    result = signal.assess(_comment(OFF_TOPIC), story)
    assert result.name == "off_topic"
    # Against the shipped far-away background it leans off-topic; the site's own stories settle it
    # (test_same_world_background_makes_the_signal_stricter).
    assert result.score is not None and result.score >= 0.5, result.evidence
    index = result.evidence["nearest_passage_index"]
    nearest = story.title if index is None else story.passages[index]
    assert nearest.startswith(result.evidence["nearest_passage"].rstrip("…"))
    assert isinstance(result.evidence["similarity"], float) and result.evidence["similarity"] < 0.35
    assert "fenwick" in result.evidence["foreign_terms"]


def test_on_topic_comment_scores_low(signal: OffTopicSignal, story: ArticleRepr) -> None:
    result = signal.assess(_comment(ON_TOPIC), story)
    assert result.score is not None and result.score <= 0.3, result.evidence
    assert "eastgate" in result.evidence["shared_terms"]


def test_off_topic_scores_above_on_topic_in_a_thread(signal: OffTopicSignal, story: ArticleRepr) -> None:
    thread = (
        "Forty residents spoke and council ignored every one of them.",
        "Six kilometres to the central library is a long way for a ten year old.",
    )
    on = _comment(
        "The kids on my street will lose their only quiet place to study after school.", thread=thread
    )
    off = _comment(OFF_TOPIC, thread=thread)
    scores = [r.score for r in signal.assess_many([on, off], story)]
    assert scores[0] is not None and scores[1] is not None
    assert scores[1] > scores[0] + 0.3


@pytest.mark.parametrize("text", ["About time.", "Who pays for this?", "Great reporting", "I disagree"])
def test_short_generic_reactions_are_not_held(signal: OffTopicSignal, story: ArticleRepr, text: str) -> None:
    result = signal.assess(_comment(text), story)
    assert result.score is None or result.score < 0.3


def test_reply_uses_parent_as_context(signal: OffTopicSignal, story: ArticleRepr) -> None:
    parent = (
        "The finance chair says provincial transfers were cut, so where else should the savings come from?"
    )
    result = signal.assess(
        _comment("Freeze the councillors' own pay raise first, that alone covers a branch.", parent=parent),
        story,
    )
    assert result.evidence["parent_similarity"] is not None
    assert result.score is not None and result.score < 0.5


def test_article_repr_round_trips_through_bytes(story: ArticleRepr) -> None:
    data = story.to_bytes()
    assert isinstance(data, bytes)
    back = ArticleRepr.from_bytes(data)
    assert back.title == story.title and back.passages == story.passages
    assert back.terms == story.terms and back.vocab == story.vocab and back.names == story.names
    assert back.key == story.key and back.version == ArticleRepr.VERSION
    assert back.passage_vecs.shape == story.passage_vecs.shape
    # float16 storage: vectors survive to well within the noise of the int8 model
    assert float(np.min(np.sum(back.passage_vecs * story.passage_vecs, axis=1))) > 0.9999
    assert back.title_vec is not None and float(back.title_vec @ story.title_vec) > 0.9999


def test_passages_cover_the_article() -> None:
    passages = make_passages(TEXT)
    assert len(passages) >= 3
    assert "Eastgate" in passages[0] and "petition" in passages[-1]


def test_no_context_abstains(signal: OffTopicSignal, embedder: Embedder) -> None:
    empty = represent_article(embedder, "", "")
    result = signal.assess(_comment(OFF_TOPIC), empty)
    assert result.score is None and "abstained" in result.evidence


def test_stored_vectors_and_texts_give_the_same_score(
    signal: OffTopicSignal, embedder: Embedder, story: ArticleRepr
) -> None:
    thread = ("Forty residents spoke and council ignored every one of them.", "Reopen the vote in spring.")
    comment = _comment(ON_TOPIC, thread=thread)
    from_texts = signal.assess(comment, story)
    vecs = embedder.embed([ON_TOPIC, *thread])
    from_vecs = signal.assess(comment, story, comment_vec=vecs[0], thread_vecs=vecs[1:])
    assert from_texts.score == pytest.approx(from_vecs.score, abs=0.02)


def test_same_world_background_makes_the_signal_stricter(embedder: Embedder, story: ArticleRepr) -> None:
    # The site's other Millbrook stories calibrate better than the shipped far-away default.
    others = [
        (
            "Millbrook councillor faces ethics probe over travel expenses",
            "The ethics commissioner is investigating expense claims by a Millbrook councillor, including a "
            "trip to Florida charged to the city.",
            ["He should pay it all back.", "Expense rules at city hall are a joke."],
        ),
        (
            "Millbrook stadium deal approved despite cost overruns",
            "Council approved a new agreement with the stadium developer after costs rose by a third.",
            ["Taxpayers always lose on stadiums.", "The mayor promised no public money."],
        ),
    ]
    site = [BackgroundStory(represent_article(embedder, t, x), embedder.embed(c)) for t, x, c in others]
    strict = OffTopicSignal(embedder, background=site)
    default = OffTopicSignal(embedder)
    s_site = strict.assess(_comment(OFF_TOPIC), story).score
    s_default = default.assess(_comment(OFF_TOPIC), story).score
    assert s_site is not None and s_default is not None and s_site >= s_default
    assert s_site >= policy.DEFAULT_THRESHOLDS["off_topic"]["hold"]  # held by default
    assert (strict.assess(_comment(ON_TOPIC), story).score or 0.0) < 0.3
    # the site's list of recent stories includes this one: it is never its own background
    with_self = OffTopicSignal(embedder, background=[*site, strict.background_story(story, [ON_TOPIC])])
    assert (with_self.assess(_comment(ON_TOPIC), story).score or 0.0) < 0.3


def test_runtime_does_not_need_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from townhall.moderation.embedder import Embedder; "
        "Embedder.load().embed(['x']); "
        "import townhall.moderation.signals.off_topic; "
        "sys.exit(1 if 'torch' in sys.modules or 'sentence_transformers' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_stories_without_text_are_told_apart_by_key(embedder: Embedder) -> None:
    # two threads with no article text: neither may be dropped as "the same story" as the other
    thread = [f"Comment {i} about the hospital emergency wait times and nurse shortages." for i in range(4)]
    a = represent_article(embedder, "", "", key="story-a")
    b = represent_article(embedder, "", "", key="story-b")
    signal = OffTopicSignal(embedder, background=[])
    signal.set_background([signal.background_story(b, thread)])
    comment = _comment(
        "The emergency room waits are a disgrace and nurses are exhausted.", thread=tuple(thread)
    )
    assert signal.assess(comment, a).evidence["background"]["thread"] is not None
    assert signal.assess(comment, b).evidence["background"]["thread"] is None  # its own story
