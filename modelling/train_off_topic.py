"""Train the off-topic combiner: a small logistic regression over the signal's own features.

    .venv/bin/python -m modelling.train_off_topic [--data DIR] [--out FILE]

There is no permissively licensed set of news comments with their articles, so the training pairs
are built from what may be used, by placing real comments under the wrong story:

* the YouTube Spam Collection's legitimate comments (CC BY 4.0): four music videos, each a "story"
  with a short description we wrote (``VIDEOS`` below) as its article and its earlier comments as
  its thread;
* the sixteen short news stories with five comments each that we wrote for the signal's default
  background (``townhall/moderation/artefacts/off-topic-background.json``).

On-topic: a comment under its own story, with the comments posted before it as its thread.
Off-topic: the same comment under another story of the same source, at the same position in that
story's thread. The background the margins are measured against is the source's other stories,
without the two involved (as in the evaluation). Both sources weigh the same. The combiner is kept
small (one weight per feature) so that it carries over to news comments (seven features); it is measured on
C3 and SFU by ``modelling/evaluate_off_topic.py``, which never trains anything.

Output: ``townhall/moderation/artefacts/off-topic-combiner.json`` (weights, bias, features).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from modelling import train_spam
from modelling.paths import ARTEFACTS, DATA
from townhall.moderation.embedder import Embedder
from townhall.moderation.signal import Article, CommentInput
from townhall.moderation.signals.off_topic import (
    BACKGROUND_FILE,
    COMBINER_FILE,
    FEATURES,
    MAX_CONTEXT,
    BackgroundStory,
    Combiner,
    OffTopicSignal,
    represent_article,
)

VERSION = "combiner-yt-written-1"
C = 1.0

# Our own short descriptions of the four videos of the YouTube Spam Collection.
VIDEOS = {
    "01-9bZkp7q19f0": (
        "Psy - Gangnam Style (official music video)",
        "The South Korean rapper Psy dances his horse-riding dance through Seoul's Gangnam district, "
        "in stables, saunas, parking garages and on a tour bus. The K-pop song mocks the flashy "
        "lifestyle of the wealthy neighbourhood. The video became the first on the site to pass one "
        "billion views and set off parodies around the world.",
    ),
    "04-CevxZvSJLk8": (
        "Katy Perry - Roar (official music video)",
        "After a plane crash the singer is stranded in a jungle with her companion, who is eaten by a "
        "tiger. She makes friends with the animals, tames the tiger and ends the video as queen of "
        "the jungle. The pop anthem is about finding your voice and standing up for yourself.",
    ),
    "07-KQ6zr6kCPj8": (
        "LMFAO - Party Rock Anthem ft. Lauren Bennett, GoonRock (official video)",
        "Redfoo and Sky Blu wake from a coma to find the city taken over by zombie-like shuffle "
        "dancers. The electro-pop party song made the shuffle dance famous, with crowds dancing in "
        "the streets and the chorus telling everybody to have a good time.",
    ),
    "08-uelHwf8o7_U": (
        "Eminem - Love The Way You Lie ft. Rihanna (official video)",
        "The rapper tells the story of a violent, on-and-off relationship, played by two actors who "
        "fight and make up in a run-down house that finally burns. Rihanna sings the chorus in front "
        "of the flames. The song is about domestic abuse and not being able to leave.",
    ),
}


@dataclass
class Story:
    key: str
    title: str
    text: str
    comments: list[str]


def youtube_stories(data: Path = DATA) -> list[Story]:
    videos = train_spam.load_videos(data / "youtube_spam")
    stories = []
    for key, rows in videos.items():
        title, text = VIDEOS[key]
        ham = [e.text for e in sorted(rows, key=lambda e: e.when) if not e.spam and e.text.strip()]
        stories.append(Story(key, title, text, ham))
    return stories


def written_stories() -> list[Story]:
    data = json.loads((ARTEFACTS / BACKGROUND_FILE).read_text(encoding="utf-8"))
    return [Story(f"w{i}", s["title"], s["text"], list(s["comments"])) for i, s in enumerate(data["stories"])]


def placements(
    signal: OffTopicSignal, stories: Sequence[Story], partners: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features of every comment under its own story and under ``partners`` other stories (the
    most similar ones), with labels (1 = placed under another story) and abstention flags."""
    reprs = [represent_article(signal.embedder, s.title, s.text, key=s.key) for s in stories]
    vecs = [signal.vectors(s.comments) for s in stories]
    bgs = [BackgroundStory(reprs[i], vecs[i][:MAX_CONTEXT]) for i in range(len(stories))]
    titles = np.stack([r.title_vec for r in reprs if r.title_vec is not None])
    sims = titles @ titles.T
    np.fill_diagonal(sims, -9.0)
    rows: list[list[float]] = []
    labels: list[int] = []
    abstained: list[bool] = []
    for a, story in enumerate(stories):
        for b in [int(j) for j in np.argsort(-sims[a])[:partners]]:
            background = signal.make_background([bg for i, bg in enumerate(bgs) if i not in (a, b)])
            for host, label in ((a, 0), (b, 1)):
                if label == 0 and b != int(np.argmax(sims[a])):
                    continue  # the on-topic placement once per comment
                h = stories[host]
                comments, threads = [], []
                for pos, text in enumerate(story.comments):
                    th = vecs[host][
                        max(0, min(pos, len(h.comments)) - MAX_CONTEXT) : min(pos, len(h.comments))
                    ]
                    thread = tuple(
                        h.comments[
                            max(0, min(pos, len(h.comments)) - MAX_CONTEXT) : min(pos, len(h.comments))
                        ]
                    )
                    comments.append(CommentInput(text, Article(h.title, h.text), thread=thread))
                    threads.append(th)
                results = signal.assess_many(
                    comments, reprs[host], comment_vecs=vecs[a], thread_vecs=threads, background=background
                )
                for r in results:
                    f = r.evidence["features"]
                    rows.append([f[k] for k in FEATURES])
                    labels.append(label)
                    abstained.append(r.score is None)
    return np.array(rows), np.array(labels), np.array(abstained)


def training_pairs(signal: OffTopicSignal, data: Path = DATA) -> dict[str, tuple[np.ndarray, ...]]:
    return {
        "youtube": placements(signal, youtube_stories(data), partners=3),
        "written": placements(signal, written_stories(), partners=3),
    }


# Left out after the held-out ablation (modelling/evaluate_off_topic.py): the comment's length and
# the absolute similarity to the article made C3 and SFU worse; what carries over from videos and
# written stories to news comments is the margin against the site's other stories.
SHIPPED = tuple(f for f in FEATURES if f not in ("length", "article_similarity"))


def fit(pairs: dict[str, tuple[np.ndarray, ...]], features: Sequence[str] = SHIPPED) -> Combiner:
    """Logistic regression on the scored (not abstained) placements; each source and each class
    weighs the same."""
    cols = [FEATURES.index(f) for f in features]
    xs, ys, ws = [], [], []
    for x, y, abstained in pairs.values():
        keep = ~abstained
        x, y = x[keep][:, cols], y[keep]
        w = np.where(y == 1, 0.5 / max(1, (y == 1).sum()), 0.5 / max(1, (y == 0).sum()))
        xs.append(x)
        ys.append(y)
        ws.append(w)
    w = np.concatenate(ws)
    model = LogisticRegression(C=C, max_iter=5000)
    model.fit(np.vstack(xs), np.concatenate(ys), sample_weight=w * len(w))
    return Combiner(
        tuple(features), tuple(float(v) for v in model.coef_[0]), float(model.intercept_[0]), VERSION
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=ARTEFACTS / COMBINER_FILE)
    args = ap.parse_args(argv)
    signal = OffTopicSignal(Embedder.load(threads=2), background=[])
    pairs = training_pairs(signal, args.data)
    combiner = fit(pairs)
    info = combiner.to_dict() | {
        "trained_on": {k: int((~v[2]).sum()) for k, v in pairs.items()},
        "data": "YouTube Spam Collection legitimate comments (CC BY 4.0) under our own video "
        "descriptions; our own written stories and comments (off-topic-background.json)",
    }
    args.out.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
