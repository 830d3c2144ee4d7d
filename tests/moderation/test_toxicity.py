import json

import numpy as np

from townhall.moderation.signal import Article, CommentInput
from townhall.moderation.signals.toxicity import ARTEFACT, ToxicitySignal, tokenize, word_category

POLITE = (
    "Thanks for the clear explanation of the transit budget. I hope council reads the costing "
    "section before Tuesday's vote."
)
INSULT = "You are a pathetic idiot, and your column is garbage."


def comment(text: str) -> CommentInput:
    return CommentInput(text=text, article=Article("Council delays transit vote"))


def signal() -> ToxicitySignal:
    return ToxicitySignal.load()


def spans_text(result) -> list[str]:
    return [s["text"] for s in result.evidence["spans"]]


def test_insult_scores_higher_than_polite_comment():
    polite, rude = signal().score(comment(POLITE)), signal().score(comment(INSULT))
    assert rude.name == polite.name == "toxicity"
    assert 0.0 <= polite.score < 0.3 < 0.8 < rude.score <= 1.0
    assert rude.version.startswith("toxicity-")
    assert polite.evidence["spans"] == []


def test_evidence_spans_point_at_the_insulting_words():
    result = signal().score(comment(INSULT))
    for span in result.evidence["spans"]:
        assert INSULT[span["start"] : span["end"]] == span["text"]
        assert span["weight"] > 0
    assert {"pathetic", "idiot", "garbage"} <= set(spans_text(result))
    assert not {"You", "a", "and", "column"} & set(spans_text(result))
    assert "insult" in result.evidence["categories"]
    json.dumps(result.to_dict())  # stored with the comment: must be plain JSON


def test_obfuscated_insults_still_score():
    polite = signal().score(comment(POLITE)).score
    for text, word in [
        ("The author is an id10t.", "id10t"),
        ("Only a s t u p i d person would believe this.", "s t u p i d"),
        ("What a stuuuupid take.", "stuuuupid"),
        ("This is sh*t journalism.", "sh*t"),
        ("Another m0r0n writing columns.", "m0r0n"),
    ]:
        result = signal().score(comment(text))
        assert result.score > max(0.5, polite), text
        assert word in spans_text(result), (text, result.evidence)


def test_score_many_equals_score_one_by_one():
    texts = [
        POLITE,
        INSULT,
        "",
        "!!!",
        "The author is an id10t.",
        "Muslim women deserve better.",
        "kill them all",
        "Fair point about the bus lanes, but the fares went up twice.",
    ]
    s = signal()
    batch = s.score_many([comment(t) for t in texts])
    assert [r.to_dict() for r in batch] == [s.score(comment(t)).to_dict() for t in texts]
    assert s.score_many([]) == []


def test_group_mentions_and_lookalike_words_are_not_abuse():
    s = signal()
    mention = "Muslim women and gay men deserve the same protection as everyone else."
    assert s.score(comment(mention)).score < 0.3
    for word in ("oxymoron", "scunthorpe", "dumbfounded", "retardant", "class", "assess"):
        assert word_category(word) is None, word


def test_tokens_keep_offsets_into_the_original_text():
    text = "Wow... @bob you're a l0ser!!! s.t.u.p.i.d, #maga €50"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["wow", "you're", "a", "loser", "stupid", "maga"]
    assert [text[t.start : t.end] for t in tokens] == ["Wow", "you're", "a", "l0ser", "s.t.u.p.i.d", "maga"]


def test_artefact_is_small_plain_arrays():
    assert ARTEFACT.stat().st_size < 5_000_000
    with np.load(ARTEFACT, allow_pickle=False) as z:  # no pickled objects
        assert {"vocab", "idf", "coef", "lex_coef", "intercept", "threshold", "version"} <= set(z.files)
    assert 0.0 < signal().threshold < 1.0


def _tiny_training_data(root):
    """A few made-up tweets in the Davidson and OLID file layouts."""
    rude = [
        "you are an idiot",
        "shut up you stupid fool",
        "what a pathetic loser",
        "this is crap",
        "go to hell you moron",
        "total garbage from a clown",
    ]
    kind = [
        "lovely weather today",
        "thanks for sharing the recipe",
        "the game starts at noon",
        "great photo of the lake",
        "see you at the library",
        "the bus was on time",
    ]
    (root / "davidson").mkdir()
    (root / "olid").mkdir()
    lines = [",count,hate_speech,offensive_language,neither,class,tweet"]
    for i in range(30):
        text, label = (rude[i % 6], 1) if i % 2 else (kind[i % 6], 2)
        lines.append(f'{i},3,0,0,3,{label},"RT @user: {text} {i}"')
    (root / "davidson" / "labeled_data.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = ["id\ttweet\tsubtask_a\tsubtask_b\tsubtask_c"]
    for i in range(40):
        text, label = (rude[i % 6], "OFF") if i % 2 else (kind[i % 6], "NOT")
        rows.append(f"{i}\t@USER {text} #{i} URL\t{label}\tNULL\tNULL")
    (root / "olid" / "olid-training-v1.0.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_training_writes_an_artefact_the_runtime_reads_identically(tmp_path):
    from modelling import train_toxicity as training

    _tiny_training_data(tmp_path)
    out = tmp_path / "toxicity.npz"
    training.main(["--data", str(tmp_path), "--out", str(out)])
    runtime = ToxicitySignal.load(out)
    params = training.Params()
    texts, y, weights, _ = training.training_set(tmp_path, params)
    trained = training.fit(training.featurise(texts), y, weights, params)
    probe = ["you are a stupid clown", "thanks for the lovely photo", "what a pathetic idiot"]
    expected = 1.0 / (1.0 + np.exp(-trained.decision(training.featurise(probe))))
    got = [r.score for r in runtime.score_many([comment(t) for t in probe])]
    assert np.allclose(got, expected, atol=1e-3)
    assert got[0] > got[1] and got[2] > got[1]


# Hostility with no swear word, and sharp but civil disagreement; none of these is a training row.
HOSTILE_PLAIN = (
    "Folks like you never let facts get in the way of a grudge.",
    "The minister is a liar and everyone in the capital knows it, he should be behind bars.",
    "Amazing how the mayor's cousin always seems to win these tenders. We all know why.",
    "You obviously didn't read past the headline, as usual for your crowd.",
)
CIVIL_SHARP = (
    "I think the mayor is wrong here: the tender rules were followed, but the scoring was opaque.",
    "This is a poor plan and council should scrap it before more money is spent on consultants.",
    "I disagree with the columnist. Rent caps reduce supply; the evidence from other cities is clear.",
    "The minister's numbers do not add up, and the opposition is right to demand the full report.",
)

# Personal attacks without a swear word, against civil comments with strong words about an idea, a
# policy or an article, or plain reports of ugly facts. Held-out probes: none is a training row
# (the training pairs are in modelling/data/attacks_vs_ideas.tsv); compare_toxicity_heads scores them.
ATTACKS_PLAIN = (
    "People like you are the reason this town is dying, go back where you came from.",
    "You obviously have never worked a day in your life, so spare us the lecture.",
    "The mayor is a coward and a liar and everyone in this town knows it.",
    "Crawl back to your basement and let grown-ups discuss the budget.",
    "Your kind has been dragging this neighbourhood down for years.",
    "The writer is a bitter hack who should find another job.",
    "Those people should be sent back on the next boat.",
    "Only a simpleton could write something this one-sided, and the author qualifies.",
    "She is a disgrace and should be ashamed to show her face at council.",
    "Anyone who supports this is a traitor and deserves what is coming.",
    "Nobody cares what a washed-up old man like you thinks.",
    "The councillor is a leech who has bled this city dry.",
    "You people never learn, and you never will.",
    "Maybe read a book before embarrassing yourself again.",
    "Folks from out there are all the same: lazy and ungrateful.",
    "That minister is a snake and would stab his own mother in the back.",
)
IDEAS_STRONG = (
    "This plan is a disaster and the council should scrap it.",
    "The budget is dishonest: it hides the pension shortfall in a footnote.",
    "I think the columnist is badly wrong about rent control, and here is why.",
    "What an absurd decision. The clinic served three villages.",
    "The policy is cruel to families who rely on the night buses.",
    "The word 'thug' in the headline is unfair to the protesters.",
    "The mayor's claim is false; the audit says the opposite.",
    "Terrible reporting. The article never asks the developer a single question.",
    "The attacker was convicted of murder and sentenced to twenty years.",
    "This is nonsense; the bridge was inspected last spring.",
    "I'm not saying the minister is stupid, but this bill is badly drafted.",
    "Shameful treatment of the nurses. They deserve a proper contract.",
    "Racist graffiti was painted on the mosque, and police are looking for witnesses.",
    "The council's excuses are pathetic; the road has been broken for two years.",
    "I strongly disagree with you, the numbers show the opposite.",
    "The opposition's plan is just as bad, and nobody is talking about the cost.",
)


def test_sentence_head_hears_hostility_said_in_ordinary_words(models) -> None:
    from townhall.moderation import policy

    hostile = models.toxicity.score_many([comment(t) for t in HOSTILE_PLAIN])
    civil = models.toxicity.score_many([comment(t) for t in CIVIL_SHARP])
    assert all("+toxicity-head" in r.version and "sentence" in r.evidence for r in hostile + civil)
    # every hostile comment above every civil one, which the word model alone does not manage
    ordered = sum(h.score > c.score for h in hostile for c in civil)
    by_words = sum(h.evidence["lexical"] > c.evidence["lexical"] for h in hostile for c in civil)
    assert ordered == 16, [(r.score, r.evidence) for r in hostile + civil]
    assert by_words < ordered
    hold = policy.DEFAULT_THRESHOLDS["toxicity"]["hold"]
    assert all(r.score < hold for r in civil)


def test_given_vectors_and_the_wired_embedder_agree(models) -> None:
    texts = [comment(t) for t in HOSTILE_PLAIN[:2]]
    vectors = models.off_topic.vectors([c.text for c in texts])
    with_vectors = models.toxicity.score_many(texts, vectors)
    wired = [models.toxicity.score(c) for c in texts]
    assert [r.score for r in with_vectors] == [r.score for r in wired]
    lexical_only = ToxicitySignal.load()  # no embedder: the word model alone, and its version says so
    assert "+" not in lexical_only.score(texts[0]).version


def test_names_and_short_jeers_are_left_to_the_word_model(models) -> None:
    result = models.toxicity.score(comment("Margaret Oduya"))
    assert "sentence" not in result.evidence
    assert result.score == result.evidence["lexical"]


def test_swear_free_attacks_on_people_are_held_and_strong_words_about_ideas_are_not(models) -> None:
    """The attack head (modelling/data/attacks_vs_ideas.tsv) separates attacks on a person from strong
    criticism of an idea; at the default hold no civil probe is held and about a third of the attacks
    are (the rest still rank above the civil ones: see the model card's limits)."""
    from townhall.moderation import policy

    hold = policy.DEFAULT_THRESHOLDS["toxicity"]["hold"]
    attacks = models.toxicity.score_many([comment(t) for t in ATTACKS_PLAIN])
    civil = models.toxicity.score_many([comment(t) for t in IDEAS_STRONG])
    assert all(r.score < hold for r in civil), [
        (t, r.score) for t, r in zip(IDEAS_STRONG, civil, strict=True)
    ]
    assert sum(r.score >= hold for r in attacks) >= 5
    ordered = sum(a.score > c.score for a in attacks for c in civil)
    assert ordered >= 0.9 * len(attacks) * len(civil)
    # the lexical model alone orders far fewer: the sentence head carries it
    by_words = sum(a.evidence["lexical"] > c.evidence["lexical"] for a in attacks for c in civil)
    assert by_words < 0.8 * ordered
