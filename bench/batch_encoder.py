"""Would micro-batching pay? The shipped int8 encoder one text at a time against batches of N.

Encodes ``--texts`` real reader comments (C3, ../shared/data: measurement only) with the shipped
MiniLM int8 graph, one ONNX run per text (as the server does) and in batches of ``--batch``
(length-sorted within each batch, as ``Embedder.embed`` pads), alternating the two ``--rounds``
times, and reports texts per second of each. Then what batching would change: the cosine of each
text's batched vector to its own alone, and how far the toxicity head's probability and the
off-topic signal's article similarity move (``tests/moderation/test_two_doors.py`` allows 0.002
between the server and ``townhall moderate score``).

    .venv/bin/python bench/batch_encoder.py --batch 8
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from townhall.demo.content import load as load_demo
from townhall.moderation.embedder import Embedder
from townhall.moderation.pipeline import Models

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def comments(limit: int) -> list[str]:
    with (DATA / "c3" / "C3_anonymized.csv").open(encoding="utf-8") as handle:
        texts = [row["comment_text"] for row in csv.DictReader(handle) if row["comment_text"].strip()]
    random.Random(5).shuffle(texts)  # noqa: S311 - a sample, not security
    return texts[:limit]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--texts", type=int, default=400)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-chars", type=int, default=0, help="cut each comment to this length (0: whole)")
    args = parser.parse_args(argv)
    texts = [t[: args.max_chars] if args.max_chars else t for t in comments(args.texts)]
    models = Models.load()
    alone_encoder = models.embedder
    batched = Embedder(alone_encoder._session, alone_encoder._tokenizer, batch_size=args.batch)  # noqa: SLF001
    rates: dict[str, list[float]] = {"alone": [], f"batch {args.batch}": []}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name, encoder in (("alone", alone_encoder), (f"batch {args.batch}", batched)):
            started = time.perf_counter()
            # the server's way: each arrival group of N texts encoded together (or each alone)
            out = [encoder.embed(texts[i : i + args.batch]) for i in range(0, len(texts), args.batch)]
            rates[name].append(len(texts) / (time.perf_counter() - started))
            vectors[name] = np.concatenate(out)
    alone, together = vectors["alone"], vectors[f"batch {args.batch}"]
    cosine = np.sum(alone * together, axis=1)
    head = models.toxicity.head
    assert head is not None
    tox_alone = 1 / (1 + np.exp(-head.logits(alone)))
    tox_batched = 1 / (1 + np.exp(-head.logits(together)))
    article = load_demo()[0][0]
    passages = alone_encoder.embed([article.title, *article.text.split("\n\n")])
    sim_alone, sim_batched = (alone @ passages.T).max(axis=1), (together @ passages.T).max(axis=1)
    cut = f", cut to {args.max_chars} characters" if args.max_chars else ""
    print(f"{len(texts)} C3 comments{cut}, 1 intra-op thread, load {os.getloadavg()[0]:.1f}")
    for name, values in rates.items():
        shown = ", ".join(f"{v:.0f}" for v in values)
        print(f"  {name}: {shown} texts/s (median {statistics.median(values):.0f})")
    print(
        f"  batched vs alone: cosine min {cosine.min():.4f}, median {np.median(cosine):.4f};"
        f" toxicity probability |diff| max {np.abs(tox_alone - tox_batched).max():.4f},"
        f" share > 0.002: {np.mean(np.abs(tox_alone - tox_batched) > 0.002):.1%};"
        f" best article similarity |diff| max {np.abs(sim_alone - sim_batched).max():.4f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
