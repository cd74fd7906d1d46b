"""Export a run's best checkpoint: ONNX -> ORT transformer fusions -> dynamic INT8; per-head temperature on dev;
fp32 + int8 metrics on dev and test with Python onnxruntime; write the model folder.

  python models/joint/export.py --task snips --heads intent,slots

Outputs: the folder (models/<name>/ for the joint/consolidated models, models/.work/joint/<name>/ for single-task ones)
with model.onnx (INT8), config.json, tokenizer.json, tokenizer_config.json, manifest.json; and in
models/.work/joint/<name>/: model_fp32.onnx (optimised fp32) and py_preds_test_{fp32,int8}.json.
"""
import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from transformers import AutoTokenizer, BertConfig

from common import (BASE, DATA, TOKEN_HEADS, WORK, MultiHead, ece, encode_rows, load_split, log, metrics,
                    model_name, nll, out_dir, package_version, sha256, word_tags)
from prep import fit_temperature, fuse, quantize, repo_path, write_tokenizer

OUTPUT = {"intent": "intent_logits", "scenario": "scenario_logits", "slots": "slot_logits"}


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--task", choices=("snips", "massive"), required=True)
    p.add_argument("--heads", required=True)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--run-dir", help="override models/.work/joint/<name>/train (variants, smoke tests); the fp32 model "
                                     "and predictions go to its parent")
    p.add_argument("--out", help="override the output folder (smoke tests)")
    p.add_argument("--skip-done", action="store_true", help="do nothing if the folder's manifest is newer than best/")
    a = p.parse_args()
    a.heads = a.heads.split(",")
    return a


class Graph(torch.nn.Module):
    """The exported graph: dict of head logits -> tuple in head order (ONNX outputs)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        out = self.model(input_ids, attention_mask, token_type_ids)
        return tuple(out[h] for h in self.model.head_names)


class Runner:
    """ORT session over word-wise encodings (as the engine feeds token heads); returns per-row logits per output."""

    def __init__(self, path, names, threads):
        so = ort.SessionOptions()
        so.intra_op_num_threads, so.inter_op_num_threads = threads, 1
        self.sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        self.names = names

    def feed(self, ids_list, pad_id):
        L = max(len(x) for x in ids_list)
        x = np.full((len(ids_list), L), pad_id, np.int64)
        m = np.zeros_like(x)
        for i, ids in enumerate(ids_list):
            x[i, :len(ids)], m[i, :len(ids)] = ids, 1
        return {"input_ids": x, "attention_mask": m, "token_type_ids": np.zeros_like(x)}

    def run(self, ids, pad_id, bs=64):
        order = np.argsort([len(x) for x in ids], kind="stable")
        out = [{} for _ in ids]
        for s in range(0, len(order), bs):
            idx = order[s:s + bs]
            res = self.sess.run(self.names, self.feed([ids[i] for i in idx], pad_id))
            for name, z in zip(self.names, res):
                for j, i in enumerate(idx):
                    out[i][name] = z[j][:len(ids[i])] if z.ndim == 3 else z[j]
        return out

    def latency_ms(self, ids, pad_id, n=200):
        """Batch-1 latency of the session (inputs prepared), like one request to the engine."""
        feeds = [self.feed([x], pad_id) for x in ids[:n]]
        for f in feeds[:10]:
            self.sess.run(self.names, f)
        ts = []
        for f in feeds:
            t0 = time.perf_counter()
            self.sess.run(self.names, f)
            ts.append((time.perf_counter() - t0) * 1e3)
        return {"p50": round(float(np.percentile(ts, 50)), 3), "p90": round(float(np.percentile(ts, 90)), 3), "n": len(ts)}


def main():
    a = parse_args()
    torch.set_num_threads(a.threads)
    name = model_name(a.task, a.heads)
    rdir = Path(a.run_dir).resolve() if a.run_dir else WORK / name / "train"
    out = Path(a.out).resolve() if a.out else out_dir(a.task, a.heads)
    wdir = rdir.parent  # models/.work/joint/<name>/: fp32 model + python predictions (git-ignored)
    if a.skip_done and (out / "manifest.json").exists() and \
            (out / "manifest.json").stat().st_mtime > (rdir / "best" / "model.pt").stat().st_mtime:
        log(f"{out} is already exported")
        return
    out.mkdir(parents=True, exist_ok=True)
    wdir.mkdir(parents=True, exist_ok=True)
    summary = json.load(open(rdir / "summary.json")) if (rdir / "summary.json").exists() else None
    meta = json.load(open(rdir / "best" / "meta.json"))
    targs, heads, labels = meta["args"], meta["heads"], meta["labels"]
    assert heads == a.heads, (heads, a.heads)
    max_len = targs["max_length"]
    if summary is None:
        log("WARNING: no summary.json - training has not finished; exporting the best checkpoint so far")

    # eager attention: the explicit MatMul/Softmax graph is what ORT's attention fusion pattern-matches (SDPA is not).
    cfg = BertConfig.from_pretrained(rdir / "best", attn_implementation="eager")
    model = MultiHead(cfg, heads, {h: len(v) for h, v in labels.items()})
    model.load_state_dict(torch.load(rdir / "best" / "model.pt"))
    graph = Graph(model).eval()  # export restores the module's train/eval mode afterwards: keep it eval
    tok = AutoTokenizer.from_pretrained(rdir / "best")
    single = len(heads) == 1
    outputs = ["logits"] if single else [OUTPUT[h] for h in heads]
    names = ["input_ids", "attention_mask", "token_type_ids"]

    # 1. ONNX export (TorchScript exporter: its graph shapes are what onnxruntime.transformers' fusions target).
    raw = wdir / "model_raw.onnx"
    ex = tok(["play the latest album by daft punk on spotify", "hi"], padding=True, return_tensors="pt")
    dyn = {n: {0: "batch", 1: "sequence"} for n in names}
    dyn |= {o: {0: "batch", 1: "sequence"} if h in TOKEN_HEADS else {0: "batch"} for o, h in zip(outputs, heads)}
    with torch.no_grad():
        torch.onnx.export(graph, tuple(ex[n] for n in names), str(raw), input_names=names, output_names=outputs,
                          dynamic_axes=dyn, opset_version=a.opset, do_constant_folding=True, dynamo=False)
    onnx.checker.check_model(str(raw))
    log(f"exported {raw} ({raw.stat().st_size / 1e6:.1f} MB), outputs {outputs}")

    # 2. Transformer fusions (EmbedLayerNorm, Attention, SkipLayerNorm, BiasGelu).
    fp32 = wdir / "model_fp32.onnx"
    fusion, n_attn = fuse(raw, fp32, "bert", cfg)

    # 3. Dynamic INT8, per-channel weights.
    int8 = out / "model.onnx"
    quantize(fp32, int8)

    # 4. Logits on dev and test from torch (sanity), fp32 ORT and int8 ORT, all on word-wise encodings.
    rows = {s: load_split(a.task, s) for s in ("dev", "test")}
    enc = {s: encode_rows(tok, r, heads, labels, max_len) for s, r in rows.items()}
    runners = {k: Runner(p, outputs, a.threads) for k, p in (("fp32", fp32), ("int8", int8))}
    # int8 at batch 1: dynamic quantisation scales activations by the min/max of the whole batch tensor (padding
    # included), so int8 logits depend on what else is in the batch; batch 1 is what the engine does per request.
    L = {k: {s: r.run(enc[s]["ids"], tok.pad_token_id, bs=1 if k == "int8" else 64) for s in rows}
         for k, r in runners.items()}
    with torch.no_grad():
        ids = enc["dev"]["ids"][:64]
        f = runners["fp32"].feed(ids, tok.pad_token_id)
        tz = graph(*(torch.from_numpy(f[n]) for n in names))
    diff = max(float(np.abs((t[i][:len(ids[i])] if t.dim() == 3 else t[i]).numpy() - L["fp32"]["dev"][i][o]).max())
               for t, o in zip(tz, outputs) for i in range(len(ids)))
    log(f"max |torch - ort fp32| logits on 64 dev rows: {diff:.2e}")

    def head_logits(k, s, h):
        return np.stack([z[outputs[heads.index(h)]] for z in L[k][s]])

    def predict(k, s):
        p = {}
        for h in heads:
            o = outputs[heads.index(h)]
            if h in TOKEN_HEADS:
                p[h] = [word_tags(z[o], first, labels[h]) for z, first in zip(L[k][s], enc[s]["first"])]
            else:
                p[h] = [labels[h][int(z[o].argmax())] for z in L[k][s]]
        return p

    # 5. Temperature per sequence head: minimise dev NLL of the fp32 logits over T.
    seq_heads = [h for h in heads if h not in TOKEN_HEADS]
    gold = {s: {h: np.array([labels[h].index(r[h]) for r in rows[s]]) for h in seq_heads} for s in rows}
    T = {h: fit_temperature(head_logits("fp32", "dev", h), gold["dev"][h]) for h in seq_heads}
    log(f"temperatures {T}")

    res, preds = {}, {}
    for k in L:
        res[k] = {}
        for s in rows:
            preds[k, s] = predict(k, s)
            m = metrics(rows[s], heads, labels, preds[k, s])
            for h in seq_heads:
                z, y = head_logits(k, s, h), gold[s][h]
                m |= {f"{h}_nll": round(nll(z, y), 4), f"{h}_nll_T": round(nll(z, y, T[h]), 4),
                      f"{h}_ece": round(ece(z, y), 4), f"{h}_ece_T": round(ece(z, y, T[h]), 4)}
            if a.task == "massive" and "intent" in heads:  # the scenario implied by the predicted intent
                m["scenario_from_intent_accuracy"] = round(float(np.mean(
                    [p.split("_")[0] == r["scenario"] for p, r in zip(preds[k, s]["intent"], rows[s])])), 4)
            if a.task == "massive" and {"intent", "scenario"} <= set(heads):  # do the two heads agree?
                m["intent_scenario_consistency"] = round(float(np.mean(
                    [i.split("_")[0] == c for i, c in zip(preds[k, s]["intent"], preds[k, s]["scenario"])])), 4)
            res[k][s] = m
        res[k]["latency_batch1_ms"] = runners[k].latency_ms(enc["test"]["ids"], tok.pad_token_id)
        log(f"{k}: dev {res[k]['dev']}\n{k}: test {res[k]['test']}")
        # Per-utterance predictions (test: engine parity checks; dev: the dual-model comparison in report.py).
        # Token heads: the logits at each word's first sub-token (null for words without one).
        for s in rows:
            items = []
            for i, r in enumerate(rows[s]):
                it = {"index": i, "text": r["text"], "heads": {}}
                for h in heads:
                    z, p = L[k][s][i][outputs[heads.index(h)]], preds[k, s][h][i]
                    if h in TOKEN_HEADS:
                        lg = [[float(v) for v in z[t]] if t >= 0 else None for t in enc[s]["first"][i]]
                    else:
                        lg = [float(v) for v in z]
                    it["heads"][h] = {"gold": r[h], "pred": p, "logits": lg}
                items.append(it)
            json.dump({"model": repo_path(fp32 if k == "fp32" else int8), "data": f"{DATA[a.task]}/{s}.jsonl",
                       "heads": heads, "outputs": outputs, "max_length": max_len, "preds": items},
                      open(wdir / f"py_preds_{s}_{k}.json", "w"))
    agree = {s: round(float(np.mean([preds["fp32", s][h][i] == preds["int8", s][h][i] for h in heads
                                     for i in range(len(rows[s]))])), 4) for s in rows}
    log(f"fp32/int8 prediction agreement (per head, per row): {agree}")

    # 6. The folder: config.json, tokenizer (truncation baked in, no padding), manifest.json.
    c = cfg.to_dict()
    for k in ("id2label", "label2id", "problem_type", "_attn_implementation", "_attn_implementation_autoset"):
        c.pop(k, None)
    if single:
        h = heads[0]
        id2label = {str(i): l for i, l in enumerate(labels[h])}
        c |= {"architectures": ["BertForTokenClassification" if h in TOKEN_HEADS else "BertForSequenceClassification"],
              "id2label": id2label, "label2id": {l: int(i) for i, l in id2label.items()}}
        if h not in TOKEN_HEADS:
            c |= {"problem_type": "single_label_classification", "temperature": round(T[h], 6)}
    else:
        c["architectures"] = ["BertModel"]
        c["heads"] = []
        for h, o in zip(heads, outputs):
            d = {"name": h, "output": o, "kind": "token" if h in TOKEN_HEADS else "sequence"}
            if h not in TOKEN_HEADS:
                d["problem_type"] = "single_label_classification"
            d["id2label"] = {str(i): l for i, l in enumerate(labels[h])}
            if h not in TOKEN_HEADS:
                d["temperature"] = round(T[h], 6)
            c["heads"].append(d)
    c["_name_or_path"] = name
    json.dump(dict(sorted(c.items())), open(out / "config.json", "w"), indent=2)
    write_tokenizer(tok, max_len, wdir / "tok_out", out)

    files = {f: (out / f).stat().st_size for f in ("model.onnx", "config.json", "tokenizer.json", "tokenizer_config.json")}
    manifest = {
        "name": name,
        "task": {"snips": "SNIPS intent + slot filling (Goo et al. 2018 split)", "massive": "MASSIVE en-US intent / scenario"}[a.task],
        "heads": [{"name": h, "output": o, "kind": "token" if h in TOKEN_HEADS else "sequence", "classes": len(labels[h])}
                  for h, o in zip(heads, outputs)],
        "base_model": {"name": BASE["hf_name"], "package": BASE["package"], "package_version": package_version(),
                       "model_type": cfg.model_type, "layers": cfg.num_hidden_layers, "hidden_size": cfg.hidden_size,
                       "attention_heads": cfg.num_attention_heads},
        "data": {f"{f}.jsonl": {"path": str(DATA[a.task] / f"{f}.jsonl"), "sha256": sha256(DATA[a.task] / f"{f}.jsonl"),
                                "bytes": (DATA[a.task] / f"{f}.jsonl").stat().st_size} for f in ("train", "dev", "test")},
        "encoding": "whitespace words, each tokenised alone (no specials), concatenated in [CLS] ... [SEP], max_length "
                    f"{max_len}; a word's label is on its first sub-token (others and specials ignored in the loss); "
                    "a word's predicted tag is the argmax at its first sub-token",
        "training": {"hyperparameters": {k: targs[k] for k in ("epochs", "lr", "batch_size", "max_length", "warmup",
                                                               "weight_decay", "max_steps", "train_subset")},
                     "seed": targs["seed"], "loss": "sum of per-head cross-entropy (token heads: mean over labelled sub-tokens)",
                     "optimizer": "AdamW (fused) + linear warmup/decay, grad clip 1.0, dropout 0.1 before each head",
                     "selection": "best dev score = mean of head metrics (accuracy / slot F1) + sentence accuracy if >1 head, "
                                  f"evaluated {targs['evals_per_epoch']}x per epoch",
                     "steps": summary["steps"] if summary else None, "best_step": meta["dev"]["step"],
                     "best_dev_torch": meta["dev"], "train_examples": summary["train_examples"] if summary else None,
                     "train_seconds": summary["train_seconds"] if summary else None, "finished": bool(summary),
                     "hardware": f"{platform.machine()} CPU, torch threads {targs['threads']}", "torch": torch.__version__},
        "export": {"exporter": "torch.onnx.export (TorchScript, dynamo=False), eager attention", "opset": a.opset,
                   "inputs": names, "outputs": outputs, "dynamic_axes": ["batch", "sequence"],
                   "torch_vs_ort_fp32_max_abs_diff": diff,
                   "fusion": {"tool": "onnxruntime.transformers.optimizer.optimize_model", "model_type": "bert",
                              "num_heads": cfg.num_attention_heads, "hidden_size": cfg.hidden_size, "opt_level": 1,
                              "fused_operators": fusion, "attention_fused_layers": n_attn},
                   "quantization": {"tool": "onnxruntime.quantization.quantize_dynamic", "weight_type": "QInt8",
                                    "per_channel": True, "reduce_range": False, "extra_options": {"DefaultTensorType": "FLOAT"}},
                   "onnxruntime": ort.__version__, "onnx": onnx.__version__,
                   "fp32_optimised_model": {"path": repo_path(fp32), "bytes": fp32.stat().st_size,
                                            "sha256": sha256(fp32)},
                   "int8_model_sha256": sha256(int8)},
        "calibration": {"temperature": {h: round(t, 6) for h, t in T.items()}, "fitted_on": "dev, fp32 ORT logits, min NLL"},
        "metrics": {"runtime": f"Python onnxruntime {ort.__version__}, CPU, {a.threads} threads; fp32 in length-sorted "
                               "batches of 64, int8 at batch 1 (dynamic int8 results depend on the batch's contents)",
                    "slot_f1": "micro F1, exact span match, seqeval default (conlleval) semantics on word-level tags",
                    "sentence_accuracy": "all heads right (intent and every word tag)", **res,
                    "fp32_int8_agreement": agree},
        "python_predictions": {f"{s}_{k}": repo_path(wdir / f"py_preds_{s}_{k}.json")
                               for s in ("test", "dev") for k in ("fp32", "int8")},
        "files_bytes": files,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    json.dump(manifest, open(out / "manifest.json", "w"), indent=2)
    raw.unlink()
    log(f"wrote {out}: " + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in files.items()))


if __name__ == "__main__":
    main()
