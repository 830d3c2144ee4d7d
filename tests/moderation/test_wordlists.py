import json
import random
import time

from tests.timing import best_cpu_seconds
from townhall.moderation.signals.wordlists import WordListSignal

BANNED = ["ass", "rape", "cunt", "cock", "stupid", "go to hell"]
SUSPECT = ["idiot", "moron"]


def words() -> WordListSignal:
    return WordListSignal(BANNED, SUSPECT)


def found(text: str) -> list[str]:
    return [m["word"] for m in words().matches(text)]


def test_plain_match_scores_and_evidence():
    result = words().check("You are stupid.")
    assert result.name == "words"
    assert result.score == 1.0
    assert result.version
    assert result.evidence == {
        "matches": [{"word": "stupid", "list": "banned", "start": 8, "end": 14, "text": "stupid"}]
    }
    json.dumps(result.evidence)


def test_suspect_only_scores_half_and_clean_scores_zero():
    assert words().check("What an idiot").score == 0.5
    assert words().check("The council met on Tuesday to discuss the budget.").score == 0.0
    assert words().check("").score == 0.0
    assert WordListSignal([], []).check("stupid").score == 0.0


def test_banned_wins_over_suspect():
    result = words().check("idiot and stupid")
    assert result.score == 1.0
    assert [(m["word"], m["list"]) for m in result.evidence["matches"]] == [
        ("idiot", "suspect"),
        ("stupid", "banned"),
    ]


def test_case():
    assert found("STUPID") == ["stupid"]
    assert found("StUpId") == ["stupid"]


def test_accents_and_lookalikes():
    assert found("stüpíd") == ["stupid"]
    assert found("ＳＴＵＰＩＤ") == ["stupid"]  # full-width letters
    assert found("stupid".replace("u", "\u0443")) == []  # Cyrillic у looks like y, not u
    assert found("іdіot") == ["idiot"]  # Cyrillic і


def test_leet():
    assert found("$tup1d") == ["stupid"]
    assert found("5tup!d") == ["stupid"]
    assert found("a$$") == ["ass"]
    assert found("@55") == ["ass"]
    assert found("1d10t") == ["idiot"]
    assert found("c0ck") == ["cock"]
    assert found("r4p3") == ["rape"]
    assert found("s7up1d") == ["stupid"]


def test_numbers_are_not_leet():
    assert found("I paid 455 dollars") == []
    assert found("room 455") == []


def test_repeated_letters():
    assert found("stuuuupid") == ["stupid"]
    assert found("ssstupiddd") == ["stupid"]
    assert found("asssss") == ["ass"]
    # a listed double letter must be there at least twice: "as" is not "ass"
    assert found("as far as I know") == []


def test_inserted_punctuation():
    assert found("s.t.u.p.i.d") == ["stupid"]
    assert found("st-upid") == ["stupid"]
    assert found("s_t_u_p_i_d") == ["stupid"]
    assert found("s*t*u*p*i*d") == ["stupid"]
    assert found("stu\u200bpid") == ["stupid"]  # zero-width space


def test_spaced_out_single_letters():
    assert found("s t u p i d") == ["stupid"]
    assert found("you are s t u p i d!") == ["stupid"]
    assert found("S. T. U. P. I. D.") == ["stupid"]
    assert found("u r s t u p i d") == ["stupid"]  # single-letter words around it
    assert found("a s s") == ["ass"]


def test_spaced_words_are_not_joined():
    assert found("stu pid") == []
    assert found("the rapist") == []
    assert found("c l a s s") == []  # a spelled word is not searched inside
    assert found("as s") == []


def test_scunthorpe():
    for text in [
        "class",
        "assistant",
        "Scunthorpe",
        "cocktail",
        "grapefruit",
        "therapist",
        "passage",
        "embarrass",
        "assassin",
        "hancock",
        "peacock",
        "drape",
        "scrape",
        "Cassandra",
        "glass of grape juice at the classic cocktail bar",
    ]:
        assert found(text) == [], text
    more = WordListSignal(["hell", "anal", "cum", "tit", "sex", "dick"], [])
    for text in [
        "hello",
        "shell",
        "analysis",
        "cumulative",
        "titanic",
        "Essex",
        "Sussex",
        "Dickens",
        "assess",
        "asset",
        "bass",
    ]:
        assert more.matches(text) == [] and found(text) == [], text


def test_plurals():
    assert found("idiots") == ["idiot"]
    assert found("asses") == ["ass"]


def test_phrases():
    assert found("go to hell") == ["go to hell"]
    assert found("Go   to, HELL!") == ["go to hell"]
    assert found("gotohell") == ["go to hell"]
    assert found("go to the hell") == []
    assert found("ago to hello") == []


def test_offsets_point_into_original_text():
    text = "Café owners: you're all $tüüpid, and a m o r o n too. Go to hell."
    matches = words().matches(text)
    assert [m["word"] for m in matches] == ["stupid", "moron", "go to hell"]
    for m in matches:
        assert text[m["start"] : m["end"]] == m["text"]
    assert [m["text"] for m in matches] == ["$tüüpid", "m o r o n", "Go to hell"]


def test_offsets_with_removed_invisible_characters():
    text = "e\u0301e\u0301 \u200b st\u00adupid ass"
    matches = words().matches(text)
    assert [(m["text"], m["word"]) for m in matches] == [("st\u00adupid", "stupid"), ("ass", "ass")]
    for m in matches:
        assert text[m["start"] : m["end"]] == m["text"]


def test_compiled_once_per_list():
    a = WordListSignal(["foo", "bar"], ["baz"])
    b = WordListSignal(["foo", "bar"], ["baz"])
    assert a._compiled is b._compiled


def test_pathological_input_stays_fast():
    signal = WordListSignal(["ill", "ass", "stupid"], ["lil"])
    for text in ["$" * 5000, "1" * 5000, "1 " * 2500, "s-" * 2500, "a a " * 1000]:
        assert best_cpu_seconds(lambda text=text: signal.check(text)) < 0.05, text[:8]


def test_speed_1000_chars_200_words():
    rng = random.Random(3)
    listed = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
        for _ in range(195)
    ] + BANNED[:5]
    signal = WordListSignal(listed[:100], listed[100:])
    text = (
        "The council's decision on the new housing development is short-sighted, and the mayor "
        "should explain why the consultation was cut. "
    ) * 8
    text = text[:1000]
    signal.check(text)
    times = []
    for _ in range(200):
        start = time.thread_time()
        signal.check(text)
        times.append(time.thread_time() - start)
    times.sort()
    assert times[len(times) // 2] < 0.001  # ~0.1 ms on a laptop; loose bound for busy CI
