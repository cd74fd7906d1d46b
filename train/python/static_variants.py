"""Which nodes static int8 may quantise: accuracy, agreement with fp32 and batch independence of six variants on a
trained run (the evidence behind prep.ffn_output_matmuls).

  python train/python/static_variants.py --work models/.work/train/<name>-<hash>   # after npm run train

Variants (with their time over the split, batched and one by one: compare within one run): every MatMul (+ Gather); every
MatMul static but the feed-forward outputs, whose inputs are quantised per token at run time (the default); only MatMuls with a
constant weight (attention-score MatMuls left in float); every MatMul with the feed-forward outputs' inputs smoothed
first (SmoothQuant, alpha 0.5 and 0.75); every MatMul but the feed-forward outputs, which compute in float on int8
weights (prep.weight_only_int8 without prep.per_row_int8: the default before 2026-12-01 17:40). Calibration as the trainer's: MinMax on padded batches.
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from transformers import AutoConfig, AutoTokenizer

from data import encode_rows, load_rows, load_schema
from export import Runner, calibration_feeds, export_onnx, output_names, score
from model import Graph, MultiHead
from prep import ffn_output_matmuls, quantize_static


def smooth_matmul_inputs(fp32: Path, out: Path, feeds: list[dict], nodes: list[str], alpha: float = 0.5):
    """SmoothQuant (Xiao et al. 2023) for the given MatMuls: their input channel j is divided by s_j and weight row j
    multiplied by it (the product is unchanged in float), s_j = max|X_j|^alpha / max|W_j|^(1 - alpha) over the
    calibration feeds, so the few outlier channels of GELU outputs no longer set one fixed int8 range for all. The
    division is a Mul node in float (a previous op to fold it into would have to be linear; GELU is not)."""
    import onnx
    import onnxruntime as ort
    from onnx import helper, numpy_helper
    model = onnx.load(str(fp32))
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    targets = [n for n in g.node if n.name in nodes and n.op_type == "MatMul" and n.input[1] in inits]
    probe = onnx.ModelProto()
    probe.CopyFrom(model)  # the same graph with the MatMuls' inputs as outputs, read before `model` changes
    probe.graph.output.extend(helper.make_tensor_value_info(n.input[0], onnx.TensorProto.FLOAT, None) for n in targets)
    sess = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [n.input[0] for n in targets]
    amax = {x: None for x in names}
    for feed in feeds:
        for x, v in zip(names, sess.run(names, feed)):
            m = np.abs(v).reshape(-1, v.shape[-1]).max(0)
            amax[x] = m if amax[x] is None else np.maximum(amax[x], m)
    for n in targets:
        w = numpy_helper.to_array(inits[n.input[1]])
        s = np.clip(np.maximum(amax[n.input[0]], 1e-5) ** alpha / np.maximum(np.abs(w).max(1), 1e-5) ** (1 - alpha), 1e-4, 1e4)
        inits[n.input[1]].CopyFrom(numpy_helper.from_array((w * s[:, None]).astype(np.float32), n.input[1]))
        g.initializer.append(numpy_helper.from_array((1.0 / s).astype(np.float32), n.name + "_smooth"))
        g.node.insert(list(g.node).index(n), helper.make_node("Mul", [n.input[0], n.name + "_smooth"], [n.name + "_smoothed"],
                                                               name=n.name + "_Smooth"))
        n.input[0] = n.name + "_smoothed"
    onnx.save(model, str(out))


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
        feeds = calibration_feeds(train_ids, tok.pad_token_id, names, 512, 16, 42)
        smoothed = {}
        for alpha in (0.5, 0.75):
            smoothed[alpha] = Path(tmp) / f"smoothed-{alpha}.onnx"
            smooth_matmul_inputs(raw, smoothed[alpha], feeds, ffn, alpha)
        for name, source, exclude, extra, per_row in (
                ("all MatMul + Gather", raw, [], {}, True),
                ("feed-forward outputs on int8 inputs quantised per token (the default)", raw, ffn, {}, True),
                ("feed-forward outputs in float, weights int8 (the default before 2026-12-01 17:40)", raw, ffn, {}, False),
                ("constant-weight MatMuls only", raw, [], {"MatMulConstBOnly": True}, True),
                *((f"feed-forward outputs smoothed (alpha {a})", p, [], {}, True) for a, p in smoothed.items())):
            q = Path(tmp) / "q.onnx"
            quantize_static(source, q, feeds, exclude, extra, per_row)
            r = Runner(q, outputs, names, 1)
            start = time.perf_counter()
            batched = r.run(enc["ids"], tok.pad_token_id, 64)
            middle = time.perf_counter()
            alone = r.run(enc["ids"], tok.pad_token_id, 1)
            seconds = (middle - start, time.perf_counter() - middle)
            agree = np.mean([a == b for a, b in zip(argmax(batched), argmax(fp32))])
            diff = max(float(np.abs(x - y).max()) for b, s in zip(batched, alone) for x, y in zip(b, s))
            print(f"{name}: score {score(heads, rows, enc, batched)['score']:.4f}, argmax = fp32 {agree:.4f}, "
                  f"batched vs alone max |diff| {diff:.1e}, {q.stat().st_size / 1e6:.1f} MB; the split in batches of 64 "
                  f"{seconds[0]:.2f} s, one by one {seconds[1]:.2f} s")


if __name__ == "__main__":
    main()
