#!/usr/bin/env python3
"""fp16 variant of an fp32 ONNX export, for GPUs: ONNX Runtime's transformer optimizer (attention, embedding,
SkipLayerNorm and Gelu fusions), then float16 weights and compute.

keep_io_types (default) leaves the graph's outputs float32, as every consumer expects; --fp16-outputs makes a plain
fp16 export whose logits are float16 (the engine widens those to float32 itself). int8 models stay the CPU format:
the reference GPU run (shared/reference/gpu-h200-2026-11-30.md) had dynamic int8 slower on an H200 than on 16 cores.

One home for the conversion: trainers call `to_fp16(src, dst)`; the CLI is the same call.

    python models/fp16.py OUT_DIR/model_fp32.onnx OUT_DIR/model_fp16.onnx [--model-type bert] [--fp16-outputs]

Needs onnx and onnxruntime (models/requirements.txt); num_heads / hidden_size are read from a config.json beside the
input when present, else detected from the graph.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

# transformer optimizer model types by Hugging Face model_type; BERT-like encoders share the 'bert' fusions.
MODEL_TYPES = {"bert": "bert", "distilbert": "bert", "roberta": "bert", "xlm-roberta": "bert", "mpnet": "bert",
               "electra": "bert", "deberta-v2": "bert"}


def _config_beside(path: Path) -> dict:
    config = path.parent / "config.json"
    return json.loads(config.read_text("utf-8")) if config.exists() else {}


def to_fp16(src: str | Path, dst: str | Path, model_type: str | None = None, keep_io_types: bool = True) -> dict:
    """Writes the fused fp16 model to `dst`; returns the fused operator counts (empty fusions are left out)."""
    try:
        from onnxruntime.transformers.optimizer import optimize_model
    except ImportError as err:  # pragma: no cover - environment problem, reported plainly
        raise SystemExit(f"models/fp16.py needs onnxruntime with its transformers tools: pip install onnxruntime onnx ({err})")
    src, dst = Path(src), Path(dst)
    config = _config_beside(src)
    kind = model_type or MODEL_TYPES.get(str(config.get("model_type", "bert")), "bert")
    heads = int(config.get("num_attention_heads", 0) or config.get("n_heads", 0) or 0)
    hidden = int(config.get("hidden_size", 0) or config.get("dim", 0) or 0)
    # opt_level 0: only the optimizer's own fusions, so the file stays portable; ONNX Runtime optimises the rest at load.
    model = optimize_model(str(src), model_type=kind, num_heads=heads, hidden_size=hidden, opt_level=0)
    fused = {k: v for k, v in model.get_fused_operator_statistics().items() if v}
    model.convert_float_to_float16(keep_io_types=keep_io_types)
    dst.parent.mkdir(parents=True, exist_ok=True)
    model.save_model_to_file(str(dst))
    return fused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path, help="fp32 ONNX export")
    parser.add_argument("dst", type=Path, help="where to write the fp16 model")
    parser.add_argument("--model-type", help="optimizer model type (default: from config.json beside src, else bert)")
    parser.add_argument("--fp16-outputs", action="store_true", help="float16 outputs too (default: outputs stay float32)")
    args = parser.parse_args()
    fused = to_fp16(args.src, args.dst, args.model_type, keep_io_types=not args.fp16_outputs)
    size = args.dst.stat().st_size / 1e6
    print(f"wrote {args.dst} ({size:.1f} MB); fused: {', '.join(f'{k} x{v}' for k, v in fused.items()) or 'nothing'}")


if __name__ == "__main__":
    main()
