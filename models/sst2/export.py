"""Export the best checkpoint of a run to ONNX -> ORT transformer fusions -> dynamic INT8, fit a temperature,
evaluate both fp32 and int8 with Python onnxruntime, and write models/sentiment-<base>/.

  python models/sst2/export.py --run minilm

Outputs: models/sentiment-<base>/{model.onnx (INT8), config.json, tokenizer.json, tokenizer_config.json, manifest.json};
models/.work/<run>/{model_fp32.onnx (optimised fp32), py_preds_fp32.json, py_preds_int8.json}.
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
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from common import BASES, DATA, REPO, WORK, log, package_version, read_tsv, sha256, split_train
from prep import ece, fit_temperature, fuse, nll, quantize, repo_path, write_tokenizer


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--run", required=True, help="run dir under models/.work (holds best/ and summary.json)")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--out", help="output folder (default models/sentiment-<base>)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--model-type", help="onnxruntime.transformers model_type override (default from common.BASES)")
    p.add_argument("--per-channel", action=argparse.BooleanOptionalAction, default=True,
                   help="per-channel int8 weight scales (kept closer to fp32 than per-tensor in our MiniLM test)")
    return p.parse_args()


class Runner:
    """ORT session + the tokenizer, batch-by-length inference returning logits in input order."""

    def __init__(self, path, tok, max_len, input_names, threads):
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        self.tok, self.max_len, self.names = tok, max_len, input_names

    def feed(self, texts):
        enc = self.tok(texts, truncation=True, max_length=self.max_len, padding=True, return_tensors="np")
        return {n: enc[n].astype(np.int64) if n in enc else np.zeros_like(enc["input_ids"], dtype=np.int64) for n in self.names}

    def logits(self, texts, bs=64):
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), 2), dtype=np.float32)
        for i in range(0, len(order), bs):
            idx = order[i:i + bs]
            out[idx] = self.sess.run(["logits"], self.feed([texts[j] for j in idx]))[0]
        return out

    def latency_ms(self, texts, n=200):
        """Batch-1 latency incl. tokenisation, like a single request to the engine."""
        for t in texts[:10]:
            self.sess.run(["logits"], self.feed([t]))
        ts = []
        for t in texts[:n]:
            t0 = time.perf_counter()
            self.sess.run(["logits"], self.feed([t]))
            ts.append((time.perf_counter() - t0) * 1e3)
        return {"p50": round(float(np.percentile(ts, 50)), 3), "p90": round(float(np.percentile(ts, 90)), 3), "n": n}


def teacher_info(logits_path, rdir):
    """Provenance of the soft labels a distilled run learnt from: the teacher run's best checkpoint and dev accuracy."""
    if not logits_path:
        return None
    npy = (Path(__file__).parent / logits_path).resolve()  # relative paths are as typed in models/sst2/
    tdir = npy.parent
    info = {"logits": repo_path(npy), "sha256": sha256(npy)}
    state = tdir / "best" / "train_state.json"
    if state.exists():
        t = json.load(open(state))
        info |= {"run": tdir.name, "base": t["args"]["base"], "step": t["step"], "heldout_acc_torch": round(t["acc"], 4)}
    out = REPO / "models" / BASES[info.get("base", "mpnet")]["out"] / "manifest.json"
    if out.exists():
        info["dev_acc_fp32"] = json.load(open(out))["metrics"]["fp32"]["dev"]["accuracy"]
    return info


def main():
    a = parse_args()
    torch.set_num_threads(a.threads)
    rdir = WORK / a.run
    summary = json.load(open(rdir / "summary.json")) if (rdir / "summary.json").exists() else None
    best_state = json.load(open(rdir / "best" / "train_state.json"))
    targs = best_state["args"]
    base, max_len = targs["base"], targs["max_length"]
    out = Path(a.out) if a.out else REPO / "models" / BASES[base]["out"]
    out.mkdir(parents=True, exist_ok=True)
    if summary is None:
        log("WARNING: no summary.json - training has not finished; exporting the best checkpoint so far")

    # eager attention: the explicit MatMul/Softmax graph is what ORT's attention fusion pattern-matches (SDPA is not).
    model = AutoModelForSequenceClassification.from_pretrained(rdir / "best", attn_implementation="eager").eval()
    tok = AutoTokenizer.from_pretrained(rdir / "best")
    cfg = model.config
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if "token_type_ids" in tok.model_input_names else [])

    # 1. ONNX export (TorchScript exporter: its graph shapes are what onnxruntime.transformers' fusions target).
    raw = rdir / "model_raw.onnx"
    ex = tok(["a sample sentence to trace", "short"], padding=True, return_tensors="pt")
    args = tuple(ex[n] if n in ex else torch.zeros_like(ex["input_ids"]) for n in names)
    dyn = {n: {0: "batch", 1: "sequence"} for n in names} | {"logits": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(model, args, str(raw), input_names=names, output_names=["logits"], dynamic_axes=dyn,
                          opset_version=a.opset, do_constant_folding=True, dynamo=False)
    onnx.checker.check_model(str(raw))
    log(f"exported {raw} ({raw.stat().st_size / 1e6:.1f} MB)")

    # 2. Transformer fusions (Attention, SkipLayerNorm, BiasGelu, EmbedLayerNorm...). MPNet has no dedicated
    # ORT model_type; 'bert' fuses what matches (LayerNorm/Gelu), its relative-position attention may not fuse.
    fp32 = rdir / "model_fp32.onnx"
    mtype = a.model_type or BASES[base]["ort_type"]
    fusion, n_attn = fuse(raw, fp32, mtype, cfg)
    log(f"fp32 optimised ONNX (git-ignored): {fp32}")

    # 3. Dynamic INT8: int8 weights for MatMul/Attention, activations quantised on the fly (no calibration data).
    int8 = out / "model.onnx"
    quantize(fp32, int8, a.per_channel)

    # 4. Evaluate: torch (sanity), fp32 ORT, int8 ORT on the held-out slice and the 872 validation sentences.
    sents, labels = read_tsv(DATA / "train.tsv")
    _, held_rows = split_train(len(sents), targs["holdout"], targs["split_seed"])
    held_x, held_y = [sents[i] for i in held_rows], labels[held_rows]
    dev_x, dev_y = read_tsv(DATA / "dev.tsv")
    with torch.no_grad():
        enc = tok(dev_x[:64], truncation=True, max_length=max_len, padding=True, return_tensors="pt")
        torch_logits = model(**{n: enc[n] for n in names if n in enc}).logits.numpy()
    runners = {k: Runner(p, tok, max_len, names, a.threads) for k, p in (("fp32", fp32), ("int8", int8))}
    # int8 at batch 1: dynamic quantisation scales activations per batch, so only batch-1 logits are a property of
    # the text alone (and what the engine gives with maxBatchSize 1). fp32 does not depend on batching.
    bs = {"fp32": 64, "int8": 1}
    L = {k: {"dev": r.logits(dev_x, bs[k]), "heldout": r.logits(held_x, bs[k])} for k, r in runners.items()}
    log(f"max |torch - ort fp32| logits on 64 dev sentences: {np.abs(torch_logits - L['fp32']['dev'][:64]).max():.2e}")

    # 5. Temperature: minimise held-out NLL of the fp32 logits over T (1-D, bounded).
    T = fit_temperature(L["fp32"]["heldout"], held_y)
    log(f"temperature T = {T:.4f}")

    metrics = {}
    for k in L:
        metrics[k] = {}
        for split, y in (("dev", dev_y), ("heldout", held_y)):
            z = L[k][split]
            metrics[k][split] = {"n": int(len(y)), "accuracy": round(float((z.argmax(-1) == y).mean()), 4),
                                 "nll": round(nll(z, y), 4), "nll_T": round(nll(z, y, T), 4),
                                 "ece": round(ece(z, y), 4), "ece_T": round(ece(z, y, T), 4)}
        metrics[k]["latency_batch1_ms"] = runners[k].latency_ms(dev_x)
        log(f"{k}: dev acc {metrics[k]['dev']['accuracy']:.4f}  held-out acc {metrics[k]['heldout']['accuracy']:.4f}  "
            f"batch-1 p50 {metrics[k]['latency_batch1_ms']['p50']} ms")
        preds = [{"index": i, "label": int(dev_y[i]), "pred": int(z.argmax()), "logits": [float(v) for v in z]}
                 for i, z in enumerate(L[k]["dev"])]
        json.dump({"model": str(fp32 if k == "fp32" else int8), "data": "dev.tsv", "preds": preds},
                  open(rdir / f"py_preds_{k}.json", "w"))
    agree = float((L["fp32"]["dev"].argmax(-1) == L["int8"]["dev"].argmax(-1)).mean())
    agree_h = float((L["fp32"]["heldout"].argmax(-1) == L["int8"]["heldout"].argmax(-1)).mean())
    log(f"fp32/int8 prediction agreement: dev {agree:.4f}, held-out {agree_h:.4f}")

    # 6. The HF-style folder: config (+ temperature), tokenizer (truncation baked into tokenizer.json), manifest.
    cfg.problem_type = "single_label_classification"
    cfg_d = cfg.to_dict()
    cfg_d["temperature"] = round(T, 6)
    cfg_d["_name_or_path"] = BASES[base]["out"]
    json.dump(cfg_d, open(out / "config.json", "w"), indent=2)
    write_tokenizer(tok, max_len, rdir / "tok_out", out)

    files = {f: (out / f).stat().st_size for f in ("model.onnx", "config.json", "tokenizer.json", "tokenizer_config.json")}
    manifest = {
        "name": BASES[base]["out"],
        "task": "sst2-binary-sentiment",
        "labels": {"0": "negative", "1": "positive"},
        "base_model": {"name": BASES[base]["hf_name"], "package": BASES[base]["package"],
                       "package_version": package_version(base), "model_type": cfg.model_type,
                       "layers": cfg.num_hidden_layers, "hidden_size": cfg.hidden_size, "heads": cfg.num_attention_heads},
        "data": {f: {"path": str(DATA / f), "sha256": sha256(DATA / f), "bytes": (DATA / f).stat().st_size}
                 for f in ("train.tsv", "dev.tsv")},
        "split": {"heldout_rows": int(len(held_rows)), "split_seed": targs["split_seed"],
                  "note": "held-out = seeded slice of train.tsv (model selection + temperature); dev.tsv used only for this report. "
                          "SST-2 train has many overlapping sub-phrases, so held-out accuracy is optimistic vs dev."},
        "training": {"hyperparameters": {k: targs[k] for k in ("epochs", "lr", "batch_size", "max_length", "warmup",
                                                                "weight_decay", "max_steps", "train_subset", "distill_from",
                                                                "distill_alpha", "distill_temp")},
                     "seed": targs["seed"], "optimizer": "AdamW + linear warmup/decay, grad clip 1.0",
                     "train_examples": summary["train_examples"] if summary else None,
                     "examples_seen": summary["examples_seen"] if summary else None,
                     "steps": summary["steps"] if summary else None,
                     "best_step": best_state["step"], "best_heldout_acc_torch": round(best_state["acc"], 4),
                     "train_seconds": summary["train_seconds"] if summary else None,
                     "finished": bool(summary), "hardware": f"{platform.processor() or platform.machine()}, torch threads {targs['threads']}",
                     "teacher": teacher_info(targs.get("distill_from"), rdir),
                     "torch": torch.__version__},
        "export": {"exporter": "torch.onnx.export (TorchScript, dynamo=False), eager attention", "opset": a.opset,
                   "inputs": names, "output": "logits [batch, 2]", "dynamic_axes": ["batch", "sequence"],
                   "fusion": {"tool": "onnxruntime.transformers.optimizer.optimize_model", "model_type": mtype,
                              "num_heads": cfg.num_attention_heads, "hidden_size": cfg.hidden_size, "opt_level": 1,
                              "fused_operators": fusion, "attention_fused_layers": n_attn},
                   "quantization": {"tool": "onnxruntime.quantization.quantize_dynamic", "weight_type": "QInt8",
                                    "per_channel": a.per_channel, "reduce_range": False,
                                    "extra_options": {"DefaultTensorType": "FLOAT"}},
                   "onnxruntime": ort.__version__, "onnx": onnx.__version__,
                   "fp32_optimised_model": {"path": repo_path(fp32), "bytes": fp32.stat().st_size, "sha256": sha256(fp32)},
                   "int8_model_sha256": sha256(int8)},
        "calibration": {"temperature": round(T, 6), "fitted_on": "held-out slice, fp32 ORT logits, min NLL"},
        "metrics": {"runtime": f"Python onnxruntime {ort.__version__}, CPU, {a.threads} threads; fp32 in length-sorted batches of 64, int8 at batch 1", **metrics,
                    "fp32_int8_agreement": {"dev": round(agree, 4), "heldout": round(agree_h, 4)}},
        "files_bytes": files,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    json.dump(manifest, open(out / "manifest.json", "w"), indent=2)
    raw.unlink()
    log(f"wrote {out}: " + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in files.items()))
    log(f"python predictions: {rdir / 'py_preds_fp32.json'}, {rdir / 'py_preds_int8.json'}")


if __name__ == "__main__":
    main()
