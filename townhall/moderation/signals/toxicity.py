"""Toxicity signal: a linear model over words, word pairs and incivility lexicons, plus a head on the
comment's sentence vector.

The model is trained by ``modelling/train_toxicity.py`` on permissively licensed tweets
(Davidson et al. 2017, OLID) and shipped as plain numpy arrays in ``artefacts/toxicity.npz``; the
runtime needs numpy only and reads nothing but that file. Text is normalised before lookup so
common dodges still match: l33t ("id10t"), masked ("sh*t"), stretched ("stuuupid") and spaced-out
("s t u p i d") words.

The model is linear, so each token's share of the logit is exact; tokens that clearly push the
score up are returned as evidence spans (character offsets into the comment text).

The head (``artefacts/toxicity-head.npz``, ``modelling/train_toxicity_head.py``) is a logistic
regression on the MiniLM vector the off-topic signal computes for the same comment; its logit is
added to the lexical one. It hears hostility said in ordinary words ("people like you",
insinuations), which no word list holds. Without a vector (no embedder wired in) the signal is
the lexical model alone, and its version says so.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from threading import Lock
from typing import Any

import numpy as np

from townhall.moderation.signal import CommentInput, SignalResult

ARTEFACT = Path(__file__).resolve().parent.parent / "artefacts" / "toxicity.npz"
HEAD_ARTEFACT = ARTEFACT.with_name("toxicity-head.npz")
HEAD_MIN_WORDS = 4
NAME = "toxicity"

# --- Hand-written lexicons ---------------------------------------------------------------------------
# Written for this project from general knowledge of abusive and uncivil language, not mined from
# any data set. The model learns from the training tweets how much each category counts; the lists
# carry it to the insults of news comments, which tweets rarely contain.


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


INSULTS = _words("""
idiot idiots idiotic moron morons moronic stupid stupidity dumb dumber dumbest dumbass imbecile
imbeciles imbecilic fool fools foolish clown clowns clownish loser losers jerk jerks dimwit dimwits
halfwit halfwits nitwit nitwits dolt dolts dope dopes buffoon buffoons twit twits cretin cretins
simpleton simpletons numbskull bonehead boneheads airhead ignoramus ignorant brainless clueless
pathetic worthless useless incompetent lunatic lunatics nutjob nutjobs nutcase nutcases nuts crazy
crazies insane deranged delusional psycho psychos sicko sickos creep creeps creepy scum scumbag
scumbags slimeball slimy lowlife lowlifes vermin parasite parasites leech leeches pig pigs rat rats
weasel weasels snake snakes hypocrite hypocrites hypocritical liar liars lying crook crooks crooked
thief thieves thug thugs coward cowards cowardly traitor traitors treasonous sheeple troll trolls
shill shills stooge stooges lackey lackeys bigot bigots bigoted racist racists sexist misogynist
misogynists fascist fascists nazi nazis commie commies libtard libtards retard retards retarded
snowflake snowflakes moonbat moonbats wingnut wingnuts teabagger teabaggers leftard leftards
rethuglican rethuglicans dumbocrat dumbocrats drivel garbage trash rubbish hogwash baloney claptrap
tripe disgusting despicable vile repulsive loathsome contemptible disgrace disgraceful brainwashed
gullible whiner whiners crybaby crybabies hysterical bozo bozos asinine inane ludicrous laughable
hateful freak freaks degenerate degenerates ugly fat stfu ninny nincompoop blockhead knucklehead
knuckleheads chump chumps sucker suckers dupe dupes sycophant sycophants toady bootlicker
bootlickers apologist apologists demagogue demagogues windbag gasbag blowhard blowhards busybody snob
snobs goon goons rabble hillbilly hillbillies redneck rednecks yokel yokels bumpkin bumpkins
deplorables swine monster monsters pervert perverts pedophile pedophiles sleaze
""")
PROFANITY = _words("""
fuck fucking fucked fucker fuckers fucks fuckin motherfucker motherfuckers shit shitty shits
bullshit shithead damn damned goddamn ass asses asshole assholes arse arsehole bitch bitches
bitching bastard bastards crap crappy piss pissed dick dicks dickhead cunt cunts prick pricks douche
douchebag wtf screw screwed sucks suck twat wanker
""")
# Contempt and hostility short of an insult.
HOSTILE = _words("""
hate hates hated hating despise despises loathe loathes shame shameless sickening nasty evil corrupt
criminal criminals fraud frauds fake phony phoney scam scammer scammers cheat cheats cheater greedy
selfish arrogant smug elitist entitled spoiled whine whines whining pandering propaganda brainwashing
indoctrinated cult kook kooks loony looney wacko whacko crackpot crackpots zealot zealots extremist
extremists bully bullies thuggery filth filthy sleazy sleazebag slime cronies
""")
# Mockery and scorn.
MOCKERY = _words("lol lmao lmfao rofl haha hahaha hah joke jokes joker circus whatever duh yawn boohoo")
# Harsh negative judgement of people or their views.
NEGATIVE = _words("""
awful terrible horrible horrid worst ridiculous absurd nonsense nonsensical disaster disastrous
failure failed fails incompetence inept appalling atrocious outrageous insulting offensive lousy
miserable dreadful deplorable idiocy pitiful sad sorry shameful ignorance delusion delusions mindless
senseless hopeless spineless gutless heartless silly childish immature irresponsible dishonest
deceitful treacherous cowardice lies lie lied incoherent
""")
# Contempt for what someone said rather than for them.
SPEECH = _words("""
rant rants ranting blather blathering spew spews spewing babble babbling gibberish rambling ramblings
bleating screeching yapping twaddle bilge codswallop poppycock balderdash malarkey piffle bunk
""")
# Dismissive or silencing phrases, and threats (violent verbs alone are news topics; aimed at
# someone they are abuse). Written as the tokenizer splits them ("kool-aid" -> "kool aid").
DISMISSIVE = (
    "shut up",
    "grow up",
    "get a life",
    "go away",
    "get lost",
    "give me a break",
    "you people",
    "your ilk",
    "get over it",
    "go to hell",
    "piss off",
    "screw you",
    "how dumb",
    "so stupid",
    "what an idiot",
    "get a clue",
    "nobody cares",
    "who cares",
    "get real",
    "wake up",
    "yeah right",
    "good luck with that",
    "oh please",
    "cry me a river",
    "boo hoo",
    "what a joke",
    "so called",
    "go back to",
    "get out",
    "read a book",
    "educate yourself",
    "do your homework",
    "drink the kool aid",
    "drank the kool aid",
    "drinking the kool aid",
    "utter nonsense",
    "total nonsense",
    "complete nonsense",
    "full of it",
)
THREATS = (
    "kill you",
    "kill yourself",
    "kill them",
    "hope you die",
    "go die",
    "should be shot",
    "should be hanged",
    "hang them",
    "shoot them",
    "string them up",
    "beat you",
    "punch you",
    "i will find you",
)
# Mentions of groups (identity, party, nation). Tweets labelled offensive mention them often, so a
# model would learn "mentions women / Muslims / Liberals" as abuse, while news comments discuss
# groups all the time. They are masked to one placeholder that appears only inside word pairs.
GROUPS = _words("""
democrat democrats republican republicans liberal liberals conservative conservatives leftist
leftists tory tories ndp trump obama hillary clinton harper trudeau maga antifa gop dems dem libs lib
nra muslim muslims islam islamic christian christians catholic catholics jew jews jewish hindu hindus
sikh sikhs black blacks white whites gay gays lesbian lesbians trans transgender women woman men man
girl girls boy boys immigrant immigrants refugee refugees mexican mexicans asian asians african
africans arab arabs indian indians native natives feminist feminists socialist socialists communist
communists american americans canadian canadians chinese
""")
SECOND_PERSON = frozenset({"you", "your", "you're", "youre", "u", "ur", "yours", "yourself", "ya"})
# Function words carry some weight in the model ("a" before an insult) but mean nothing to a
# moderator, so they are never shown as evidence.
_NOT_EVIDENCE = _words("""
a an the is are was were be been am to of and or but in on at by for with as it its this that these
those i he she we they me him us them his her our their my there here all so
""")

# One model input per lexicon feature; "targeted" is an insult or hostile word just after
# "you" / "your" ("you ignorant fool"). Word categories are listed in priority order.
LEXICON_FEATURES = (
    "insult",
    "profanity",
    "hostile",
    "mockery",
    "negative",
    "speech",
    "dismissive",
    "threat",
    "targeted",
)
_CATEGORY_WORDS = (INSULTS, PROFANITY, HOSTILE, MOCKERY, NEGATIVE, SPEECH)
_WORD_CATEGORY: dict[str, int] = {}
for _k, _ws in enumerate(_CATEGORY_WORDS):
    for _w in _ws:
        _WORD_CATEGORY.setdefault(_w, _k)
_TARGETABLE = (0, 2)  # insult, hostile
_PHRASES: dict[str, list[tuple[tuple[str, ...], int]]] = {}
for _k, _ps in ((6, DISMISSIVE), (7, THREATS)):
    for _p in _ps:
        _PHRASES.setdefault(_p.split()[0], []).append((tuple(_p.split()), _k))
# Word pieces that make any word containing them an insult or a profanity ("stupidest", "libtards");
# the guards keep "oxymoron", "dumbfounded", "fire retardant", "Scunthorpe" out.
_INSULT_PIECE = re.compile(r"idiot|(?<!oxy)moron|stupid|dumb(?!found)|retard(?!ant)|tards?$|imbecil|cretin")
_PROFANE_PIECE = re.compile(r"fuck|shit|bitch|asshole|(?<!s)cunt|bullsh")


@lru_cache(maxsize=1 << 16)
def word_category(word: str) -> int | None:
    """Index into LEXICON_FEATURES of one normalised word's category, or None."""
    cat = _WORD_CATEGORY.get(word)
    if cat is not None:
        return cat
    if _PROFANE_PIECE.search(word):
        return 1
    if _INSULT_PIECE.search(word):
        return 0
    return None


# --- Normalisation and tokens ------------------------------------------------------------------------

_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
        "+": "t",
    }
)
_WORD = re.compile(r"[^\W_][\w@$*!|+'’]*|[@$*]+[^\W_][\w@$*!|+'’]*")
_RUNS = re.compile(r"(.)\1{2,}")
_MASKABLE = tuple(sorted(INSULTS | PROFANITY))
_EDGE = "'’!|+_"


def _unmask(word: str) -> str:
    """'sh*t' -> 'shit', 'f**k' -> 'fuck': a listed word of the same length agreeing on every letter."""
    for cand in _MASKABLE:
        if len(cand) == len(word) and all(a == "*" or a == b for a, b in zip(word, cand, strict=True)):
            return cand
    return word.replace("*", "")


@lru_cache(maxsize=1 << 16)  # words repeat (Zipf), so most tokens are normalised only once
def normalise(raw: str) -> str:
    """One token as the model sees it: lower case, no accents, l33t read as letters, runs shortened."""
    word = raw.lower().replace("’", "'")
    if not word.isascii():
        word = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    letters = sum(c.isalpha() for c in word)
    if letters == 0:
        return ""  # bare numbers and symbols carry no toxicity
    if "*" in word:
        word = _unmask(word)
    # Digits and symbols are letters only inside a word ("id10t", "a$$"), not in "covid19" or "50k".
    if letters >= 2 and word[0].isalpha() and (word[-1].isalpha() or word[-1] == "$") and not word.isalpha():
        word = word.translate(_LEET)
    return _RUNS.sub(r"\1", word)  # "stuuupid" -> "stupid"


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # normalised
    start: int  # offsets into the original text
    end: int


def tokenize(text: str) -> list[Token]:
    """Tokens with offsets into ``text``; spaced-out letters ("s t u p i d") become one token."""
    out: list[Token] = []
    run: list[tuple[str, int, int]] = []  # single letters that may spell one word

    def flush() -> None:
        # Three or more single letters at most two characters apart are one spelled-out word;
        # a leading "a" / "I" stays a word of its own when the rest is a listed one ("a s t u p i d").
        pieces = [run] if len(run) >= 3 else [[r] for r in run]
        if len(run) >= 4 and run[0][0] in "aAiI":
            whole = normalise("".join(r[0] for r in run))
            rest = normalise("".join(r[0] for r in run[1:]))
            if word_category(rest) is not None and whole not in _WORD_CATEGORY:
                pieces = [run[:1], run[1:]]
        for piece in pieces:
            norm = normalise("".join(r[0] for r in piece))
            if norm:
                out.append(Token(norm, piece[0][1], piece[-1][2]))
        run.clear()

    for m in _WORD.finditer(text):
        raw = m.group()
        s = m.start()
        if raw[-1] in _EDGE:
            raw = raw.rstrip(_EDGE)  # "idiot!!!", "players'"
        e = s + len(raw)
        if raw[0] == "@" and len(raw) > 1 and raw[1:].isalnum():
            continue  # @mention
        if len(raw) == 1 and (not run or s - run[-1][2] <= 2):
            run.append((raw, s, e))
            continue
        if run:
            flush()
            if len(raw) == 1:
                run.append((raw, s, e))
                continue
        norm = normalise(raw)
        if norm:
            out.append(Token(norm, s, e))
    if run:
        flush()
    return out


# --- Features ----------------------------------------------------------------------------------------


def analyse(tokens: list[Token]) -> tuple[list[tuple[str, int, int]], list[list[int]]]:
    """Model features of one text.

    Returns word features as (feature, first token, last token) — "w:" single words and "b:" word
    pairs, group words masked — and, per lexicon feature, the indices of the tokens that matched.
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
        cat = word_category(w)
        if cat is not None:
            lex[cat].append(i)
            if cat in _TARGETABLE and any(words[k] in SECOND_PERSON for k in range(max(0, i - 4), i)):
                lex[8].append(i)
        for phrase, k in _PHRASES.get(w, ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                lex[k].extend(range(i, i + len(phrase)))
    return feats, lex


def lexicon_values(lex: list[list[int]]) -> list[float]:
    """Lexicon inputs as log-counts, not length-normalised: one insult in a long comment still counts."""
    return [math.log1p(len(set(hits))) for hits in lex]


# --- Model -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToxicityModel:
    """The shipped arrays. Word block: sublinear TF-IDF, L2-normalised per text; then lexicon block."""

    vocab: dict[str, int]
    idf: np.ndarray  # (n_words,)
    coef: np.ndarray  # (n_words,)
    lex_coef: np.ndarray  # (len(LEXICON_FEATURES),)
    intercept: float
    threshold: float  # offensive / not cut chosen on held-out training data (OLID macro-F1)
    version: str

    @classmethod
    def from_file(cls, path: Path) -> ToxicityModel:
        with np.load(path, allow_pickle=False) as z:
            words = bytes(z["vocab"]).decode("utf-8").split("\n")
            lex_coef = z["lex_coef"].astype(np.float64)
            if len(lex_coef) != len(LEXICON_FEATURES):
                raise ValueError(f"{path} was trained with other lexicon features; retrain it")
            return cls(
                vocab={w: i for i, w in enumerate(words)},
                idf=z["idf"].astype(np.float64),
                coef=z["coef"].astype(np.float64),
                lex_coef=lex_coef,
                intercept=float(z["intercept"]),
                threshold=float(z["threshold"]),
                version=str(z["version"]),
            )


@dataclass(frozen=True)
class EmbeddingHead:
    """Logistic regression on a comment's unit-length sentence vector."""

    coef: np.ndarray  # (dim,)
    intercept: float
    version: str
    embedder_version: str

    @classmethod
    def from_file(cls, path: Path) -> EmbeddingHead:
        with np.load(path, allow_pickle=False) as z:
            return cls(
                coef=z["coef"].astype(np.float32),
                intercept=float(z["intercept"]),
                version=str(z["version"]),
                embedder_version=str(z["embedder_version"]),
            )

    def logits(self, vectors: np.ndarray) -> np.ndarray:
        return np.asarray(vectors, dtype=np.float32) @ self.coef + self.intercept


Vectors = Callable[[list[str]], np.ndarray]


@dataclass
class _Encoded:
    """One text's known features: word-feature ids with their token spans, and lexicon hits."""

    tokens: list[Token]
    ids: list[int]
    first: list[int]  # first token of each id's feature
    last: list[int]
    lex: list[list[int]]


class ToxicitySignal:
    """How likely a comment is abusive, insulting or profane; the evidence names the words."""

    name = NAME
    max_spans = 8
    min_span_weight = 0.3  # logit units: smaller shares are noise to a moderator
    _shipped: tuple[ToxicityModel, EmbeddingHead | None] | None = None
    _lock = Lock()

    def __init__(
        self, model: ToxicityModel, head: EmbeddingHead | None = None, vectors: Vectors | None = None
    ) -> None:
        self.model = model
        self.head = head
        self._vectors = vectors  # the comment's sentence vector, shared with the off-topic signal
        uses_head = head is not None and vectors is not None
        self.version = f"{model.version}+{head.version}" if uses_head and head else model.version
        self.threshold = model.threshold

    @classmethod
    def load(cls, path: Path | None = None, vectors: Vectors | None = None) -> ToxicitySignal:
        """The shipped models (read from disk once per process), or the lexical one at ``path``.

        ``vectors`` turns texts into the sentence vectors the head reads (normally the off-topic
        signal's cached ones); without it the shipped head is loaded but only used when
        :meth:`score_many` is handed vectors."""
        if path is not None:
            return cls(ToxicityModel.from_file(path))
        with cls._lock:
            if cls._shipped is None:
                head = EmbeddingHead.from_file(HEAD_ARTEFACT) if HEAD_ARTEFACT.exists() else None
                cls._shipped = (ToxicityModel.from_file(ARTEFACT), head)
            model, head = cls._shipped
        return cls(model, head, vectors)

    def _encode(self, text: str) -> _Encoded:
        tokens = tokenize(text)
        feats, lex = analyse(tokens)
        get = self.model.vocab.get
        ids: list[int] = []
        first: list[int] = []
        last: list[int] = []
        for f, a, b in feats:
            j = get(f)
            if j is not None:
                ids.append(j)
                first.append(a)
                last.append(b)
        return _Encoded(tokens, ids, first, last, lex)

    def score(self, comment: CommentInput) -> SignalResult:
        return self.score_many([comment])[0]

    def score_many(
        self, comments: Iterable[CommentInput], vectors: np.ndarray | Sequence[np.ndarray] | None = None
    ) -> list[SignalResult]:
        """One result per comment, in order; the arithmetic runs once over the whole batch.
        ``vectors`` are the comments' sentence vectors when the caller has them already."""
        comments = list(comments)
        if not comments:
            return []
        head_logits = self._head_logits(comments, vectors)
        m = self.model
        n_docs = len(comments)
        encs = [self._encode(c.text) for c in comments]
        n_ids = np.fromiter((len(e.ids) for e in encs), dtype=np.int64, count=n_docs)
        n_tok = np.fromiter((len(e.tokens) for e in encs), dtype=np.int64, count=n_docs)
        tok_base = np.concatenate([[0], np.cumsum(n_tok)])
        doc = np.repeat(np.arange(n_docs), n_ids)
        ids = np.fromiter((j for e in encs for j in e.ids), dtype=np.int64, count=int(n_ids.sum()))

        # Sublinear TF-IDF per (text, feature), L2-normalised per text, as in training.
        n_feat = len(m.idf)
        uniq, inv, counts = np.unique(doc * n_feat + ids, return_inverse=True, return_counts=True)
        udoc, ufeat = uniq // n_feat, uniq % n_feat
        vals = (1.0 + np.log(counts)) * m.idf[ufeat]
        norms = np.sqrt(np.bincount(udoc, weights=vals * vals, minlength=n_docs))
        vals /= np.maximum(norms[udoc], 1e-12)
        occ = (m.coef[ufeat] * vals / counts)[inv]  # each occurrence's share of its feature's term
        logits = m.intercept + np.bincount(doc, weights=occ, minlength=n_docs)

        lex = np.array([lexicon_values(e.lex) for e in encs]).reshape(n_docs, len(LEXICON_FEATURES))
        lex_terms = lex * m.lex_coef
        logits += lex_terms.sum(axis=1)

        # Per-token shares of the logit (they add up to it, less the intercept): single words and
        # lexicon hits go to their tokens; a word pair is split in proportion to what its two words
        # already carry, so "an idiot" marks "idiot", not "an".
        n_all = int(tok_base[-1])
        first = np.fromiter((a for e in encs for a in e.first), dtype=np.int64, count=len(ids))
        last = np.fromiter((b for e in encs for b in e.last), dtype=np.int64, count=len(ids))
        base = tok_base[doc]
        single = first == last
        share = np.bincount(base[single] + first[single], weights=occ[single], minlength=n_all)
        for d, e in enumerate(encs):
            for k, hits in enumerate(e.lex):
                if hits:
                    uniq_hits = sorted(set(hits))
                    share[tok_base[d] + np.asarray(uniq_hits)] += lex_terms[d, k] / len(uniq_hits)
        a_tok, b_tok = base[~single] + first[~single], base[~single] + last[~single]
        wa, wb = np.maximum(share[a_tok], 0.0) + 1e-3, np.maximum(share[b_tok], 0.0) + 1e-3
        pair = occ[~single]
        share += np.bincount(a_tok, weights=pair * wa / (wa + wb), minlength=n_all) + np.bincount(
            b_tok, weights=pair * wb / (wa + wb), minlength=n_all
        )

        lexical = _sigmoid(logits)
        version = self.model.version
        if head_logits is not None:
            logits = logits + np.nan_to_num(head_logits, nan=0.0)
            version = f"{self.model.version}+{self.head.version if self.head else ''}"
        scores = _sigmoid(logits)
        results = []
        for d, (c, e) in enumerate(zip(comments, encs, strict=True)):
            result = self._result(c.text, float(scores[d]), share[tok_base[d] : tok_base[d + 1]], e, version)
            # What each part says, so a moderator can see why a comment with no rude word scored high.
            result.evidence["lexical"] = round(float(lexical[d]), 4)
            if head_logits is not None and not np.isnan(head_logits[d]):
                result.evidence["sentence"] = round(float(_sigmoid(head_logits[d])), 4)
            results.append(result)
        return results

    def _head_logits(
        self, comments: list[CommentInput], vectors: np.ndarray | Sequence[np.ndarray] | None
    ) -> np.ndarray | None:
        if self.head is None:
            return None
        if vectors is None:
            if self._vectors is None:
                return None
            vectors = self._vectors([c.text for c in comments])
        logits = self.head.logits(np.asarray(vectors, dtype=np.float32).reshape(len(comments), -1))
        # The head learned on sentences; a name or a three-word jeer is left to the lexical model.
        short = np.array([len(c.text.split()) < HEAD_MIN_WORDS for c in comments])
        return np.where(short, np.nan, logits)

    def _result(
        self, text: str, score: float, share: np.ndarray, enc: _Encoded, version: str
    ) -> SignalResult:
        spans = []
        if len(share):
            for i in np.argsort(-share, kind="stable")[: self.max_spans]:
                w = float(share[i])
                if w < self.min_span_weight:
                    break
                t = enc.tokens[i]
                if t.text in _NOT_EVIDENCE:
                    continue
                spans.append(
                    {"start": t.start, "end": t.end, "text": text[t.start : t.end], "weight": round(w, 3)}
                )
        spans.sort(key=lambda s: s["start"])
        evidence: dict[str, Any] = {"spans": spans}
        categories = [name for name, hits in zip(LEXICON_FEATURES, enc.lex, strict=True) if hits]
        if categories:
            evidence["categories"] = categories
        return SignalResult(name=NAME, score=round(score, 4), evidence=evidence, version=version)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40.0, 40.0)))
