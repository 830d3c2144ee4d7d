"""ONNX Runtime session options, timed per comment: threads, CPU arena, graph optimisation level.

Embeds 300 made-up comments of 8 to 90 words one at a time (as the server does), three rounds per
configuration, interleaved, and checks each configuration's vectors against the shipped one's.

    .venv/bin/python bench/onnx_session.py
"""

from __future__ import annotations

import random
import statistics
import time

import numpy as np
import onnxruntime as ort
from run import WORDS
from tokenizers import Tokenizer

from townhall.moderation.embedder import ARTEFACTS, MODEL_FILE, TOKENIZER_FILE, Embedder

Level = ort.GraphOptimizationLevel
CONFIGS = [
    (1, False, Level.ORT_ENABLE_ALL),  # shipped
    (1, True, Level.ORT_ENABLE_ALL),
    (2, False, Level.ORT_ENABLE_ALL),
    (1, False, Level.ORT_ENABLE_EXTENDED),
    (1, False, Level.ORT_ENABLE_BASIC),
]
MAX_TOKENS = 64  # the off-topic signal's setting


def make(threads: int, arena: bool, level: ort.GraphOptimizationLevel) -> Embedder:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = level
    options.enable_cpu_mem_arena = arena
    session = ort.InferenceSession(
        str(ARTEFACTS / MODEL_FILE), sess_options=options, providers=["CPUExecutionProvider"]
    )
    tokenizer = Tokenizer.from_file(str(ARTEFACTS / TOKENIZER_FILE))
    tokenizer.no_padding()
    return Embedder(session, tokenizer)


def main() -> None:
    rng = random.Random(1)  # noqa: S311 - made-up text
    texts = [" ".join(rng.choices(WORDS, k=rng.randint(8, 90))) for _ in range(300)]
    embedders = {config: make(*config) for config in CONFIGS}
    shipped = embedders[CONFIGS[0]].embed(texts[:50], MAX_TOKENS)
    medians: dict[tuple[int, bool, ort.GraphOptimizationLevel], list[float]] = {c: [] for c in CONFIGS}
    for _round in range(3):
        for config, embedder in embedders.items():
            for text in texts[:20]:
                embedder.embed([text], MAX_TOKENS)
            times = []
            for text in texts:
                started = time.perf_counter()
                embedder.embed([text], MAX_TOKENS)
                times.append((time.perf_counter() - started) * 1000)
            medians[config].append(statistics.median(times))
    for config, embedder in embedders.items():
        diff = float(np.max(np.abs(embedder.embed(texts[:50], MAX_TOKENS) - shipped)))
        threads, arena, level = config
        rounds = ", ".join(f"{m:.2f}" for m in medians[config])
        print(f"threads={threads} arena={arena} {level.name}: ms per comment {rounds}; max diff {diff:.1e}")


if __name__ == "__main__":
    main()
