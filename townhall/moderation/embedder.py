"""Sentence embeddings from the shipped int8 ONNX export of all-MiniLM-L6-v2 (no PyTorch at runtime).

The graph (made by ``modelling/export_embedder.py``) already mean-pools and L2-normalises, so this
module only tokenises, pads and batches. Texts are sorted by length before batching so that each
batch pads to its own longest text, not the longest of the whole call.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
MODEL_FILE = "minilm-l6-int8.onnx"
TOKENIZER_FILE = "minilm-tokenizer.json"
DIM = 384
VERSION = "minilm-l6-v2-int8-2"  # bump whenever the artefact is re-exported


class Embedder:
    """Wraps one onnxruntime session; thread-safe for concurrent ``embed`` calls (ORT sessions are)."""

    version = VERSION
    dim = DIM

    # One text per run by default: the int8 graph quantises activations dynamically, with one scale
    # per batch, so a text batched with others gets a slightly different vector (cosine ~0.993 to
    # its own). Alone, a text's vector depends on the text only: the server and `moderate score`
    # agree, and a comment scores the same whatever it arrived with. Costs ~20 % of throughput.
    def __init__(self, session: ort.InferenceSession, tokenizer: Tokenizer, batch_size: int = 1) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._batch_size = batch_size

    @classmethod
    def load(cls, threads: int = 1, directory: Path | None = None) -> Embedder:
        """Load the shipped model and tokenizer; reads only local files."""
        directory = directory or ARTEFACTS
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Comments vary in length, so every run asks for differently sized buffers: ORT's CPU arena
        # keeps each size it was ever asked for and grew with every post (docs/benchmarks.md, soak).
        # Plain malloc/free costs at most ~0.4 ms a comment (bench/onnx_session.py), memory stays flat.
        opts.enable_cpu_mem_arena = False
        session = ort.InferenceSession(
            str(directory / MODEL_FILE), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        tokenizer.no_padding()  # padding is done per batch below
        return cls(session, tokenizer)

    def embed(self, texts: list[str], max_tokens: int = 128) -> np.ndarray:
        """Return (len(texts), 384) float32 unit vectors, in the order given."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        self._tokenizer.enable_truncation(max_length=max_tokens)
        encodings = self._tokenizer.encode_batch([t if t.strip() else "." for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self._batch_size):
            idx = order[start : start + self._batch_size]
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            vecs = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            out[idx] = vecs
        # the graph normalises already; renormalise to absorb int8 and float rounding
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.maximum(norms, 1e-12)).astype(np.float32)

    def embed_one(self, text: str, max_tokens: int = 128) -> np.ndarray:
        """One text's (384,) vector."""
        return self.embed([text], max_tokens)[0]
