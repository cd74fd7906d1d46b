#!/usr/bin/env python3
"""test/fixtures/tiny-bert-fp16: the tiny-bert fixture converted by models/fp16.py into a plain fp16 export (float16
weights AND float16 logits), so the tests load an fp16-output model and compare it with its fp32 twin.

    python models/scripts/make_fp16_fixture.py [--fixtures test/fixtures]

Run make_fixtures.py first (it makes tiny-bert). The check below: the fp16 file's logits are float16 and within
fp16 tolerance of the fp32 model's in ONNX Runtime (CPU).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fp16 import to_fp16  # noqa: E402

TEXTS = ["Hello world, this is a test!", "terrible.", "a much longer sentence about the weather tomorrow morning"]
TOLERANCE = 1e-2  # fp16 keeps ~3 decimal digits; these logits are O(1)


def logits(path: Path, tok: Tokenizer) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rows = []
    for text in TEXTS:
        enc = tok.encode(text)
        feeds = {"input_ids": [enc.ids], "attention_mask": [enc.attention_mask], "token_type_ids": [enc.type_ids]}
        wanted = {i.name: i for i in session.get_inputs()}
        dtype = {n: np.int32 if "int32" in wanted[n].type else np.int64 for n in wanted}
        out = session.run(None, {n: np.array(v, dtype=dtype[n]) for n, v in feeds.items() if n in wanted})[0]
        rows.append(out[0])
    return np.stack(rows), session.get_outputs()[0].type


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, default=Path("test/fixtures"))
    args = parser.parse_args()
    src, dst = args.fixtures / "tiny-bert", args.fixtures / "tiny-bert-fp16"
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(src / name, dst / name)
    fused = to_fp16(src / "model.onnx", dst / "model.onnx", keep_io_types=False)

    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    fp32, type32 = logits(src / "model.onnx", tok)
    fp16, type16 = logits(dst / "model.onnx", tok)
    diff = float(np.abs(fp16.astype(np.float32) - fp32).max())
    assert type32 == "tensor(float)" and type16 == "tensor(float16)", (type32, type16)
    assert diff < TOLERANCE, f"fp16 logits differ from fp32 by {diff}"
    size = sum(f.stat().st_size for f in dst.iterdir())
    assert size < 1_000_000, size
    print(f"{dst}: {size / 1024:.0f} KiB, fused {fused}, logits {type16}, max |fp16 - fp32| = {diff:.1e}")


if __name__ == "__main__":
    main()
