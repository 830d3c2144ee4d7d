"""Toxicity signal: a small linear model over words, word pairs and a hand-written insult lexicon.

The model is trained by ``townhall.moderation.training.toxicity`` on permissively licensed tweets
(Davidson et al., OLID) and shipped as plain numpy arrays in ``artefacts/toxicity.npz``; runtime
needs numpy only. Text is normalised before lookup so that common dodges still match: l33t
("id10t"), masked ("sh*t"), stretched ("stuuupid") and spaced-out ("s t u p i d") words.

Because the model is linear, each token's share of the score is exact, and the tokens that push
the score up are returned as evidence spans (character offsets into the comment text).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any

import numpy as np

from townhall.moderation.signal import CommentInput, SignalResult

ARTEFACT = Path(__file__).resolve().parent.parent / "artefacts" / "toxicity.npz"
NAME = "toxicity"

# --- Hand-written lexicons -----------------------------------------------------------------------
# Written for this project from general knowledge of abusive and uncivil language (not mined from
# any data set). The model learns how much each category counts from the training tweets; the
# lists let it generalise to news-comment insults that tweets rarely contain.
INSULTS = frozenset("""
idiot idiots idiotic idiocy moron morons moronic stupid stupidity dumb dumber dumbest dumbass
imbecile imbeciles imbecilic fool fools foolish clown clowns clownish loser losers jerk jerks dimwit
dimwits halfwit halfwits nitwit nitwits dolt dolts dope dopes buffoon buffoons twit twits cretin
cretins simpleton simpletons numbskull bonehead boneheads airhead ignoramus ignorant brainless
clueless pathetic worthless useless incompetent lunatic lunatics nutjob nutjobs nutcase nutcases
nuts crazy crazies insane deranged delusional psycho psychos sicko sickos creep creeps creepy scum
scumbag scumbags slimeball slimy lowlife lowlifes vermin parasite parasites leech leeches pig pigs
rat rats weasel weasels snake snakes hypocrite hypocrites hypocritical liar liars lying crook crooks
crooked thief thieves thug thugs coward cowards cowardly traitor traitors treasonous sheeple troll
trolls shill shills stooge stooges lackey lackeys bigot bigots bigoted racist racists sexist
misogynist misogynists fascist fascists nazi nazis commie commies libtard libtards retard retards
retarded snowflake snowflakes moonbat moonbats wingnut wingnuts teabagger teabaggers leftard
leftards rethuglican rethuglicans dumbocrat dumbocrats drivel garbage trash rubbish hogwash baloney
claptrap tripe disgusting despicable vile repulsive loathsome contemptible shameful disgrace
disgraceful brainwashed gullible whiner whiners crybaby crybabies hysterical bozo bozos asinine
inane ludicrous laughable hateful freak freaks degenerate degenerates ugly fat stfu ninny nincompoop
blockhead knucklehead knuckleheads chump chumps sucker suckers dupe dupes sycophant sycophants toady
bootlicker bootlickers apologist apologists demagogue demagogues windbag gasbag blowhard blowhards
busybody snob snobs goon goons rabble hillbilly hillbillies redneck rednecks yokel yokels bumpkin
bumpkins deplorables swine monster monsters pervert perverts pedophile pedophiles sleaze
""".split())
# Contempt for what someone said (rather than for them).
SPEECH = frozenset("""
rant rants ranting blather blathering spew spews spewing babble babbling gibberish rambling ramblings
bleating screeching yapping twaddle bilge codswallop poppycock balderdash malarkey piffle bunk
""".split())
PROFANITY = frozenset("""
fuck fucking fucked fucker fuckers fucks fuckin motherfucker motherfuckers shit shitty shits
bullshit shithead damn damned goddamn ass asses asshole assholes arse arsehole bitch bitches
bitching bastard bastards crap crappy piss pissed dick dicks dickhead cunt cunts prick pricks douche
douchebag wtf screw screwed sucks suck twat wanker
""".split())
# Mentions of groups (identity, party, nation). Tweets labelled offensive mention them often, so a
# model would learn "mentions women / Muslims / Liberals" as abuse; news comments discuss groups
# all the time. They are masked to one placeholder that only appears inside word pairs.
GROUPS = frozenset("""
democrat democrats republican republicans liberal liberals conservative conservatives leftist
leftists tory tories ndp trump obama hillary clinton harper trudeau maga antifa gop dems dem libs
lib nra muslim muslims islam islamic christian christians catholic catholics jew jews jewish hindu
hindus sikh sikhs black blacks white whites gay gays lesbian lesbians trans transgender women
woman men man girl girls boy boys immigrant immigrants refugee refugees mexican mexicans asian
asians african africans arab arabs indian indians native natives feminist feminists socialist
socialists communist communists american americans canadian canadians chinese
""".split())
# Contempt and hostility short of an insult: a moderator reads these as heat, not as abuse.
HOSTILE = frozenset("""
hate hates hated hating despise despises loathe loathes shame shameless sickening nasty evil corrupt
criminal criminals fraud frauds fake phony phoney scam scammer scammers cheat cheats cheater greedy
selfish arrogant smug elitist entitled spoiled whine whines whining pandering propaganda
brainwashing indoctrinated cult kook kooks loony looney wacko whacko crackpot crackpots zealot
zealots extremist extremists bully bullies thuggery filth filthy sleazy sleazebag slime cronies
kill killed die dies burn hang shoot
""".split())
# Harsh negative judgement of people or their views.
NEGATIVE = frozenset("""
awful terrible horrible horrid worst ridiculous absurd nonsense nonsensical disaster disastrous
failure failed fails incompetence inept appalling atrocious outrageous insulting offensive lousy
miserable dreadful deplorable idiocy pitiful sad sorry shameful ignorance delusion delusions
mindless senseless hopeless spineless gutless heartless clueless silly childish immature
irresponsible dishonest deceitful treacherous cowardice lies lie lied pandering incoherent
""".split())
# Mockery and scorn.
MOCKERY = frozenset("""
lol lmao lmfao rofl haha hahaha hah joke jokes joker clowns circus whatever duh yawn boohoo
""".split())
SECOND_PERSON = frozenset({"you", "your", "you're", "youre", "u", "ur", "yours", "yourself", "ya"})
# Dismissive or silencing phrases, as token tuples.
PHRASES = tuple(tuple(p.split()) for p in (
    "shut up", "grow up", "get a life", "go away", "get lost", "give me a break", "you people",
    "your ilk", "get over it", "go to hell", "piss off", "screw you", "how dumb", "so stupid",
    "what an idiot", "get a clue", "nobody cares", "who cares", "get real", "wake up", "yeah right",
    "good luck with that", "oh please", "cry me a river", "boo hoo", "what a joke", "so called",
    "go back to", "get out", "read a book", "educate yourself", "do your homework",
    "drink the kool aid", "drank the kool aid", "drinking the kool aid", "utter nonsense",
    "total nonsense", "complete nonsense", "full of it",
))
_PHRASES_BY_FIRST: dict[str, tuple[tuple[str, ...], ...]] = {}
for _p in PHRASES:
    _PHRASES_BY_FIRST[_p[0]] = (*_PHRASES_BY_FIRST.get(_p[0], ()), _p)
# One count per category; "you_insult" is an insult or hostile word shortly after "you" / "your".
LEXICON_FEATURES = ("insult", "profanity", "hostile", "mockery", "phrase", "you_insult", "negative", "speech")
_WORD_CATEGORY = {**{w: 7 for w in SPEECH}, **{w: 6 for w in NEGATIVE}, **{w: 3 for w in MOCKERY}, **{w: 2 for w in HOSTILE}, **{w: 1 for w in PROFANITY},
                  **{w: 0 for w in INSULTS}}

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a",
                       "$": "s", "!": "i", "|": "l", "+": "t"})
_WORD = re.compile(r"[^\W_][\w@$*!|+'’]*|[@$*]+[^\W_][\w@$*!|+'’]*")
_RUNS = re.compile(r"(.)\1{2,}")
_MASKABLE = tuple(sorted(INSULTS | PROFANITY))
_EDGE = "'’!|+_"


def _unmask(word: str) -> str:
    """'sh*t' -> 'shit', 'f**k' -> 'fuck': a listed word of the same length agreeing on every letter."""
    for cand in _MASKABLE:
        if len(cand) == len(word) and all(a in "*" or a == b for a, b in zip(word, cand, strict=True)):
            return cand
    return word.replace("*", "")


def normalise(raw: str) -> str:
    """One token as the model sees it: folded case and accents, l33t letters, runs shortened."""
    word = raw.lower().replace("’", "'")
    if not word.isascii():
        word = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    letters = sum(c.isalpha() for c in word)
    if letters == 0:
        return ""  # bare numbers and symbols carry no toxicity
    if "*" in word:
        word = _unmask(word)
    # Read digits and symbols as letters only inside a word ("id10t", "a$$"), not in "covid19", "50k".
    if letters >= 2 and word[0].isalpha() and (word[-1].isalpha() or word[-1] == "$") and not word.isalpha():
        word = word.translate(_LEET)
    word = _RUNS.sub(r"\1", word)  # "stuuupid" -> "stupid", "!!!" already stripped
    return word


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # normalised
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Tokens with offsets into ``text``; spaced-out letters ("s t u p i d") become one token."""
    raw: list[tuple[str, int, int]] = []
    for m in _WORD.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s] in _EDGE:
            s += 1
        while e > s and text[e - 1] in _EDGE:
            e -= 1
        if s < e and text[s] == "@" and e - s > 1 and text[s + 1 : e].isalnum():
            continue  # @mention
        if s < e:
            raw.append((text[s:e], s, e))
    out: list[Token] = []
    i = 0
    while i < len(raw):
        j = i
        # Three or more single letters separated by at most two characters are one spelled word.
        while (j + 1 < len(raw) and len(raw[j][0]) == 1 and len(raw[j + 1][0]) == 1
               and raw[j + 1][1] - raw[j][2] <= 2):
            j += 1
        if j - i >= 2 and len(raw[i][0]) == 1:
            joined = "".join(r[0] for r in raw[i : j + 1])
            norm = normalise(joined)
            if norm:
                out.append(Token(norm, raw[i][1], raw[j][2]))
            i = j + 1
            continue
        norm = normalise(raw[i][0])
        if norm:
            out.append(Token(norm, raw[i][1], raw[i][2]))
        i += 1
    return out


def analyse(tokens: list[Token]) -> tuple[list[tuple[str, int, int]], list[list[int]]]:
    """Model features of one text.

    Returns word features as (feature, first token, last token) — "w:" unigrams and "b:" pairs, with
    group words masked — and, per lexicon feature, the indices of the tokens that matched it.
    """
    words = [t.text for t in tokens]
    masked = ["<grp>" if w in GROUPS else w for w in words]
    feats: list[tuple[str, int, int]] = []
    for i, w in enumerate(masked):
        if w != "<grp>":
            feats.append(("w:" + w, i, i))
        if i:
            feats.append(("b:" + masked[i - 1] + " " + w, i - 1, i))
    lex: list[list[int]] = [[] for _ in LEXICON_FEATURES]
    for i, w in enumerate(words):
        cat = _WORD_CATEGORY.get(w)
        if cat is not None:
            lex[cat].append(i)
            # "you idiot", "you are so stupid", "your pathetic ...": aimed at the reader
            if cat in (0, 2) and any(words[k] in SECOND_PERSON for k in range(max(0, i - 4), i)):
                lex[5].append(i)
        for p in _PHRASES_BY_FIRST.get(w, ()):
            if tuple(words[i : i + len(p)]) == p:
                lex[4].extend(range(i, i + len(p)))
    return feats, lex


def lexicon_values(lex: list[list[int]]) -> list[float]:
    """Lexicon features as log-counts (unnormalised, so one insult in a long comment still counts)."""
    return [math.log1p(len(set(hits))) for hits in lex]


@dataclass(frozen=True)
class ToxicityModel:
    """The shipped arrays. Word block: sublinear TF-IDF, L2-normalised; then lexicon block."""

    vocab: dict[str, int]
    idf: np.ndarray  # (n_words,)
    coef: np.ndarray  # (n_words,)
    lex_coef: np.ndarray  # (len(LEXICON_FEATURES),)
    intercept: float
    version: str

    @classmethod
    def from_file(cls, path: Path) -> ToxicityModel:
        with np.load(path, allow_pickle=False) as z:
            words = bytes(z["vocab"]).decode("utf-8").split("\n")
            return cls(
                vocab={w: i for i, w in enumerate(words)},
                idf=z["idf"].astype(np.float64),
                coef=z["coef"].astype(np.float64),
                lex_coef=z["lex_coef"].astype(np.float64),
                intercept=float(z["intercept"]),
                version=str(z["version"]),
            )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40.0, 40.0)))


@dataclass
class _Encoded:
    """One text's looked-up features: word ids with their token span, and lexicon hits."""

    tokens: list[Token]
    ids: list[int]
    spans: list[tuple[int, int]]
    lex: list[list[int]]


class ToxicitySignal:
    """How likely a comment is abusive, insulting or profane; evidence names the words."""

    name = NAME
    max_spans = 8
    _cache: ToxicitySignal | None = None
    _lock = Lock()

    def __init__(self, model: ToxicityModel) -> None:
        self.model = model
        self.version = model.version

    @classmethod
    def load(cls, path: Path | None = None) -> ToxicitySignal:
        """The shipped model, read from disk once per process (offline)."""
        if path is not None:
            return cls(ToxicityModel.from_file(path))
        with cls._lock:
            if cls._cache is None:
                cls._cache = cls(ToxicityModel.from_file(ARTEFACT))
            return cls._cache

    def _encode(self, text: str) -> _Encoded:
        tokens = tokenize(text)
        feats, lex = analyse(tokens)
        vocab = self.model.vocab
        ids: list[int] = []
        spans: list[tuple[int, int]] = []
        for f, a, b in feats:
            j = vocab.get(f)
            if j is not None:
                ids.append(j)
                spans.append((a, b))
        return _Encoded(tokens, ids, spans, lex)

    def _contributions(self, enc: _Encoded) -> tuple[float, np.ndarray]:
        """Logit and each token's additive share of it (the intercept is shared by no token)."""
        m = self.model
        share = np.zeros(len(enc.tokens))
        logit = m.intercept
        if enc.ids:
            ids = np.asarray(enc.ids)
            uniq, inv, counts = np.unique(ids, return_inverse=True, return_counts=True)
            vals = (1.0 + np.log(counts)) * m.idf[uniq]
            vals /= np.sqrt(vals @ vals)
            # each occurrence gets its feature's contribution divided by the feature's count
            occ = (m.coef[uniq] * vals / counts)[inv]
            logit += float(occ.sum())
            for c, (a, b) in zip(occ, enc.spans, strict=True):
                share[a : b + 1] += c / (b - a + 1)
        lex_vals = lexicon_values(enc.lex)
        for k, hits in enumerate(enc.lex):
            if hits:
                c = m.lex_coef[k] * lex_vals[k]
                logit += c
                uniq_hits = sorted(set(hits))
                share[uniq_hits] += c / len(uniq_hits)
        return logit, share

    def _result(self, text: str, logit: float, share: np.ndarray, tokens: list[Token]) -> SignalResult:
        score = float(_sigmoid(np.array(logit)))
        order = np.argsort(-share)[: self.max_spans]
        spans = []
        for i in order:
            w = float(share[i])
            if w <= 0.05:  # only words that clearly push the score up
                break
            t = tokens[i]
            spans.append({"start": t.start, "end": t.end, "text": text[t.start : t.end], "weight": round(w, 3)})
        spans.sort(key=lambda s: s["start"])
        evidence: dict[str, Any] = {"spans": spans}
        cats = _categories(tokens)
        if cats:
            evidence["categories"] = cats
        return SignalResult(name=NAME, score=round(score, 4), evidence=evidence, version=self.version)

    def score(self, comment: CommentInput) -> SignalResult:
        enc = self._encode(comment.text)
        logit, share = self._contributions(enc)
        return self._result(comment.text, logit, share, enc.tokens)

    def score_many(self, comments: Iterable[CommentInput]) -> list[SignalResult]:
        """Same results as ``score`` one by one; the arithmetic runs once over the whole batch."""
        comments = list(comments)
        if not comments:
            return []
        m = self.model
        encs = [self._encode(c.text) for c in comments]
        n_ids = np.array([len(e.ids) for e in encs])
        doc = np.repeat(np.arange(len(encs)), n_ids)
        ids = np.fromiter((j for e in encs for j in e.ids), dtype=np.int64, count=int(n_ids.sum()))
        # count each (doc, feature) pair once, as a sparse TF-IDF row would
        key = doc * len(m.idf) + ids
        uniq, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
        udoc, ufeat = uniq // len(m.idf), uniq % len(m.idf)
        vals = (1.0 + np.log(counts)) * m.idf[ufeat]
        norms = np.sqrt(np.bincount(udoc, weights=vals * vals, minlength=len(encs)))
        vals /= np.maximum(norms[udoc], 1e-12)
        occ = (m.coef[ufeat] * vals / counts)[inv]
        logits = m.intercept + np.bincount(doc, weights=occ, minlength=len(encs))
        lex = np.array([lexicon_values(e.lex) for e in encs]).reshape(len(encs), len(LEXICON_FEATURES))
        logits += lex @ m.lex_coef
        out = []
        offsets = np.concatenate([[0], np.cumsum(n_ids)])
        for d, (c, e) in enumerate(zip(comments, encs, strict=True)):
            share = np.zeros(len(e.tokens))
            for c_occ, (a, b) in zip(occ[offsets[d] : offsets[d + 1]], e.spans, strict=True):
                share[a : b + 1] += c_occ / (b - a + 1)
            for k, hits in enumerate(e.lex):
                if hits:
                    uniq_hits = sorted(set(hits))
                    share[uniq_hits] += m.lex_coef[k] * lex[d, k] / len(uniq_hits)
            out.append(self._result(c.text, float(logits[d]), share, e.tokens))
        return out


def _categories(tokens: list[Token]) -> list[str]:
    """Which lexicon categories the text touches, for the moderator's eye."""
    words = {t.text for t in tokens}
    cats = []
    if words & INSULTS:
        cats.append("insult")
    if words & PROFANITY:
        cats.append("profanity")
    return cats
