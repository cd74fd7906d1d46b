"""Which nodes static int8 may quantise: accuracy, agreement with fp32 and batch independence of three variants on a
trained run (the evidence behind prep.ffn_output_matmuls).

  python train/python/static_variants.py --work models/.work/train/<name>-<hash>   # after npm run train

Variants: every MatMul (+ Gather); every MatMul but the feed-forward outputs (the default); only MatMuls with a
constant weight (attention-score MatMuls left in float). Calibration as the trainer's: MinMax on padded batches.
"""
import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch
from transformers import AutoConfig, AutoTokenizer

from data import encode_rows, load_rows, load_schema
from export import Runner, calibration_feeds, export_onnx, output_names, score
from model import Graph, MultiHead
from prep import ffn_output_matmuls, quantize_static


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--split", default="test", help="test (if the run has one) or dev")
    a = p.parse_args()
    work = Path(a.work)
    best, heads = work / "run" / "best", load_schema(work)["heads"]
    tok = AutoTokenizer.from_pretrained(best)
    cfg = AutoConfig.from_pretrained(best, attn_implementation="eager")
    model = MultiHead(cfg, heads)
    model.load_state_dict(torch.load(best / "model.pt"))
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in tok.model_input_names]
    outputs = output_names(heads)
    split = a.split if (work / f"{a.split}.jsonl").exists() else "dev"
    rows = load_rows(work / f"{split}.jsonl")
    enc = encode_rows(tok, rows, heads, 64, split)
    train_ids = encode_rows(tok, load_rows(work / "train.jsonl")[:4000], heads, 64, "train")["ids"]
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        export_onnx(Graph(model, names).eval(), tok, names, outputs, heads, raw, 17)
        ffn = ffn_output_matmuls(raw, cfg.intermediate_size, cfg.hidden_size)
        fp32 = Runner(raw, outputs, names, 1).run(enc["ids"], tok.pad_token_id)
        argmax = lambda z: [np.argmax(r[0], -1).tolist() for r in z]
        print(f"{split}: {len(rows)} rows; fp32 score {score(heads, rows, enc, fp32)['score']:.4f}")
        for name, exclude, extra in (("all MatMul + Gather", [], {}), ("feed-forward outputs in float", ffn, {}),
                                     ("constant-weight MatMuls only", [], {"MatMulConstBOnly": True})):
            q = Path(tmp) / "q.onnx"
            feeds = calibration_feeds(train_ids, tok.pad_token_id, names, 512, 16, 42)
            quantize_static(raw, q, feeds, exclude, extra)
            r = Runner(q, outputs, names, 1)
            batched, alone = r.run(enc["ids"], tok.pad_token_id, 64), r.run(enc["ids"], tok.pad_token_id, 1)
            agree = np.mean([a == b for a, b in zip(argmax(batched), argmax(fp32))])
            diff = max(float(np.abs(x - y).max()) for b, s in zip(batched, alone) for x, y in zip(b, s))
            print(f"{name}: score {score(heads, rows, enc, batched)['score']:.4f}, argmax = fp32 {agree:.4f}, "
                  f"batched vs alone max |diff| {diff:.1e}, {q.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
