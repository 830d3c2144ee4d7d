import json
from datetime import UTC, datetime, timedelta

from tests.timing import best_cpu_seconds
from townhall.moderation.signal import Article, CommentInput
from townhall.moderation.signals.spam import (
    SpamMemory,
    SpamModel,
    SpamSignal,
    default_model,
    extract_links,
    featurise,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
NEWS = (
    "The council should publish the full costing of the bypass before the vote. Last time the "
    "estimate doubled after the contract was signed, and residents paid for it."
)
SPAM = (
    "Make $5000 a week working from home!!! Click here http://bit.ly/3xYz and subscribe to my "
    "channel for free gift cards"
)
PROMO = (
    "Hi everyone, check out my new channel where I post reviews of phones every week, please "
    "subscribe and share it with your friends, it really helps us grow"
)


def comment(text: str, title: str = "Bypass vote delayed", author: str | None = None) -> CommentInput:
    return CommentInput(text=text, article=Article(title), author=author)


def _rules_only() -> SpamSignal:
    signal = SpamSignal()
    signal.model = None  # isolate the rules from the text model
    return signal


def test_result_shape_is_json():
    result = SpamSignal().assess(comment(NEWS), now=T0)
    assert result.name == "spam"
    assert 0.0 <= result.score <= 1.0
    assert result.version.startswith("spam-")
    for key in ("reasons", "links", "duplicate_of", "model_score"):
        assert key in result.evidence
    json.dumps(result.evidence)


def test_model_scores_obvious_spam_above_news_comment():
    model = default_model()
    assert model is not None, "run python -m modelling.train_spam"
    assert model.probability(SPAM) > 0.5 > model.probability(NEWS)
    assert model.probability(PROMO) > model.probability(NEWS)
    signal = SpamSignal()
    assert signal.assess(comment(SPAM), now=T0).score > signal.threshold
    assert signal.assess(comment(NEWS), now=T0).score < signal.threshold


def test_model_artefact_round_trip(tmp_path):
    model = default_model()
    assert model is not None
    model.save(tmp_path, {"note": "test"})
    again = SpamModel.load(tmp_path)
    assert again.bits == model.bits
    assert abs(again.probability(SPAM) - model.probability(SPAM)) < 1e-6


def test_features_are_deterministic_and_normalised():
    idx, vals = featurise("Check out my channel!", 18)
    idx2, vals2 = featurise("Check out my channel!", 18)
    assert (idx == idx2).all() and (vals == vals2).all()
    assert abs(float((vals**2).sum()) - 1.0) < 1e-5
    empty_idx, empty_vals = featurise("", 18)  # must not fail on an empty comment
    assert len(empty_idx) == len(empty_vals)


def test_honeypot_is_certain_spam():
    result = SpamSignal().assess(comment(NEWS), honeypot="http://buy.example", now=T0)
    assert result.score == 1.0
    assert result.evidence["honeypot"] is True
    assert any("honeypot" in r for r in result.evidence["reasons"])
    assert SpamSignal().assess(comment(NEWS), honeypot="  ", now=T0).score < 0.5


def test_links_extracted():
    links = extract_links("see bit.ly/abc and https://www.Example.com/a?b=1, murdev.com. Agreed.me too")
    assert [link["host"] for link in links] == ["bit.ly", "example.com", "murdev.com"]


def test_shortener_link():
    signal = _rules_only()
    result = signal.assess(comment("Great point, more here: https://bit.ly/3abcDE"), now=T0)
    assert result.score >= 0.7
    assert result.evidence["links"] == ["https://bit.ly/3abcDE"]
    assert any("shortener" in r for r in result.evidence["reasons"])


def test_allowlisted_links_do_not_count():
    signal = _rules_only()
    text = "The figures are in the report: https://www.citycouncil.gov.uk/budget/2024.pdf"
    unlisted = signal.assess(comment(text), now=T0)
    allowed = signal.assess(comment(text), links_allowlist=["https://citycouncil.gov.uk"], now=T0)
    assert unlisted.score > 0 and any("not on the site's list" in r for r in unlisted.evidence["reasons"])
    assert allowed.score == 0.0
    many = signal.assess(comment(" ".join(f"http://site{i}.com" for i in range(5))), now=T0)
    assert any("5 links" in r for r in many.evidence["reasons"])


def test_allowlisted_links_are_invisible_to_the_model():
    model = default_model()
    assert model is not None
    text = "Full report at https://www.example-news.com/politics/budget-2024"
    assert model.probability(text, ["example-news.com"]) < model.probability(text)


def test_near_duplicate_across_stories():
    signal, memory = _rules_only(), SpamMemory()
    first = signal.assess(
        comment(PROMO, title="Story A"), now=T0, memory=memory, comment_id="1", author_key="alice"
    )
    assert first.evidence["duplicate_of"] is None and first.score == 0.0
    again = PROMO.replace("every week", "every single week") + "!!"
    result = signal.assess(
        comment(again, title="Story B"),
        now=T0 + timedelta(hours=2),
        memory=memory,
        comment_id="2",
        author_key="bob",
    )
    dup = result.evidence["duplicate_of"]
    assert dup["comment_id"] == "1" and dup["story"] == "Story A" and dup["similarity"] >= 0.7
    assert result.score >= 0.8
    assert any("another story" in r for r in result.evidence["reasons"])


def test_duplicate_on_same_story_counts_less_and_short_repeats_do_not_count():
    signal, memory = _rules_only(), SpamMemory()
    signal.assess(comment(PROMO), now=T0, memory=memory)
    same = signal.assess(comment(PROMO), now=T0, memory=memory)
    assert 0.0 < same.score < 0.8
    signal.assess(comment("Great article, thanks!", title="A"), now=T0, memory=memory)
    short = signal.assess(comment("Great article, thanks!", title="B"), now=T0, memory=memory)
    assert short.score == 0.0 and short.evidence["duplicate_of"] is None


def test_different_comments_are_not_duplicates():
    signal, memory = _rules_only(), SpamMemory()
    signal.assess(comment(NEWS, title="A"), now=T0, memory=memory)
    other = (
        "I walked the proposed route last weekend and the flooding near the river crossing is "
        "far worse than the consultation documents admit."
    )
    assert signal.assess(comment(other, title="B"), now=T0, memory=memory).evidence["duplicate_of"] is None


def test_re_moderating_a_comment_does_not_match_or_count_itself():
    signal, memory = _rules_only(), SpamMemory()
    signal.assess(comment(PROMO), now=T0, memory=memory, comment_id="7")
    again = signal.assess(comment(PROMO), now=T0, memory=memory, comment_id="7")
    assert again.evidence["duplicate_of"] is None
    assert len(memory) == 1
    for _ in range(20):  # a short comment re-moderated many times is not flooding
        result = signal.assess(comment("Short one.", author="cy"), now=T0, memory=memory, comment_id="8")
    assert result.score == 0.0


def test_spam_wave_stays_fast():
    signal, memory = _rules_only(), SpamMemory()
    for i in range(3000):
        memory.remember(PROMO, when=T0, story_key=str(i % 30), author_key=f"bot{i}")

    def assess() -> object:
        return signal.assess(comment(PROMO, title="new"), now=T0, memory=memory)

    assert best_cpu_seconds(assess) < 0.05
    result = signal.assess(comment(PROMO, title="new"), now=T0, memory=memory)
    assert result.evidence["duplicate_of"]["similarity"] == 1.0


def test_flooding_with_injected_clock():
    clock = {"now": T0}
    signal = _rules_only()
    signal.clock = lambda: clock["now"]
    memory = SpamMemory()
    limit, window = signal.rules.author_flood
    scores = []
    for i in range(limit + 1):
        clock["now"] = T0 + timedelta(seconds=30 * i)
        text = f"Comment number {i} about the bypass."
        scores.append(signal.assess(comment(text, author="ann"), memory=memory).score)
    assert all(s == 0.0 for s in scores[:limit])
    assert scores[-1] >= 0.6  # comment limit+1 inside ten minutes
    # Another author is not affected, and after the window the same author is fine again.
    assert signal.assess(comment("Me too.", author="ben"), memory=memory).score == 0.0
    clock["now"] += timedelta(seconds=window + 1)
    assert signal.assess(comment("One more thought.", author="ann"), memory=memory).score == 0.0


def test_network_flooding():
    signal, memory = _rules_only(), SpamMemory()
    limit, _ = signal.rules.network_flood
    result = None
    for i in range(limit + 1):
        result = signal.assess(
            comment(f"Hello {i}"),
            author_key=f"user{i}",
            network_key="10.0.0.0/24",
            now=T0 + timedelta(seconds=i),
            memory=memory,
        )
    assert result is not None and result.evidence["network_recent"] == limit + 1
    assert any("network" in r for r in result.evidence["reasons"])


def test_memory_is_bounded():
    memory = SpamMemory(max_comments=10, max_keys=5)
    for i in range(50):
        text = f"comment {i} " + " ".join(f"word{i}x{j}" for j in range(10))
        memory.remember(text, when=T0, story_key="s", author_key=f"a{i}", comment_id=str(i))
    assert len(memory) == 10
    assert len(memory._times) == 5
    assert sum(len(b) for b in memory._buckets.values()) == 10 * 10  # ten bands per comment
    assert memory.nearest("comment 0 " + " ".join(f"word0x{j}" for j in range(10))) is None


# An ordinary reader citing a public document, in the widget's Markdown: one link, ~300 characters.
# (The report: a comment like this scored 0.87 and was held.)
CITING = (
    "The transit authority's own ridership report contradicts the minister. **Weekday boardings** fell "
    "by 12 percent on the northern line after the schedule change, not 2 percent as he told the house. "
    "The figures are in table 3 of [the quarterly report](https://www.transitboard.example.org/reports/"
    "q3-ridership.pdf) if anyone wants to check."
)


def test_markdown_comment_citing_an_ordinary_source_is_not_held():
    from townhall.moderation import policy

    assert 250 <= len(CITING) <= 400
    result = SpamSignal().assess(comment(CITING), now=T0)
    assert result.evidence["links"] == ["https://www.transitboard.example.org/reports/q3-ridership.pdf"]
    assert result.evidence["model_score"] < SpamSignal().threshold
    assert result.score < policy.DEFAULT_THRESHOLDS["spam"]["hold"], result.evidence
    # the same comment from a link shortener is still a reason on its own
    shortened = SpamSignal().assess(comment(CITING.replace("www.transitboard.example.org", "bit.ly")), now=T0)
    assert shortened.score > result.score


def test_markdown_links_read_as_their_text_and_host():
    idx, _ = featurise("see [the report](https://stats.example.org/a.pdf)", 18)
    idx2, _ = featurise("see the report https://stats.example.org/a.pdf", 18)
    assert set(idx) == set(idx2)


def test_a_reader_talking_about_the_paper_is_not_spam_but_a_channel_plug_is():
    """ "Subscribe" is the spammer's word on YouTube and the reader's on a news site; our written news
    comments (modelling/data/news_ham.tsv; none of these is one of them) teach the model the difference."""
    from townhall.moderation import policy

    hold = policy.DEFAULT_THRESHOLDS["spam"]["hold"]
    readers = (
        "Time to cancel my subscription, this paper has lost its way.",
        "That's it, I am ending my subscription to this paper.",
        "The Star reported the same thing last week: https://www.thestar.com/news/gta/2016/05/03/transit-plan.html",
    )
    for text in readers:
        result = SpamSignal().assess(comment(text), now=T0)
        assert result.score < hold / 2, (text, result.evidence)
    plug = SpamSignal().assess(comment("subscribe to my channel please!! i make music videos"), now=T0)
    assert plug.score >= policy.DEFAULT_THRESHOLDS["spam"]["reject"]
