"""Best checkpoint -> fp32 ONNX (fused) -> static int8 (MatMul + Gather, fixed scales) and dynamic int8; temperature
per sequence head; fp32 / static / dynamic metrics and batch-1 latency; the engine's folder files.

The static model is the default model.onnx: its answers do not depend on batch-mates. Dynamic int8 is kept instead
only where static loses more than 0.3 points against fp32 on dev (the manifest says which and why).
"""
import json
import re
import shutil
import time

import numpy as np
import onnx
import onnxruntime as ort
import torch
from transformers import AutoConfig

from data import document_windows, documents, is_multi, is_token
from document_head import FILE as DOCUMENT_FILE, document_tokens
from metrics import evaluate, gold_of, predict_rows
from model import Graph, MultiHead
from prep import (STATIC_SETTINGS, ece, ffn_output_matmuls, fit_temperature, fuse, log, nll, nll_sigmoid, quantize,
                  quantize_static, repo_path, sha256, write_tokenizer)

STATIC_MAX_LOSS = 0.003  # 0.3 points of the dev selection score
MIN_CALIBRATION_ROWS = 50  # below this a fitted temperature follows noise (5 right answers drive T to its bound)
ORT_MODEL_TYPES = ("bert", "bart", "gpt2", "roberta")  # onnxruntime.transformers fusions; others fuse as "bert"


def output_names(heads):
    return ["logits"] if len(heads) == 1 else [f"{h['name']}_logits" for h in heads]


class Runner:
    """ORT session over token-id lists (the engine's inputs); per row, the logits of each output."""

    def __init__(self, path, outputs, input_names, threads):
        so = ort.SessionOptions()
        so.intra_op_num_threads, so.inter_op_num_threads = threads, 1
        self.sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        self.outputs, self.input_names = outputs, input_names

    def feed(self, ids_list, pad_id):
        return padded_feed(ids_list, pad_id, self.input_names)

    def run(self, ids, pad_id, bs=64):
        order = np.argsort([len(x) for x in ids], kind="stable")
        out = [None] * len(ids)
        for s in range(0, len(order), bs):
            idx = order[s:s + bs]
            res = self.sess.run(self.outputs, self.feed([ids[i] for i in idx], pad_id))
            for j, i in enumerate(idx):
                out[i] = [z[j][:len(ids[i])] if z.ndim == 3 else z[j] for z in res]
        return out

    def latency_ms(self, docs, pad_id, n):
        """Latency of one request to the engine (inputs prepared): a text, or a long document's windows in one batch."""
        feeds = [self.feed(windows, pad_id) for windows in docs[:n]]
        for f in feeds[:10]:
            self.sess.run(self.outputs, f)
        ts = []
        for f in feeds:
            t0 = time.perf_counter()
            self.sess.run(self.outputs, f)
            ts.append((time.perf_counter() - t0) * 1e3)
        return {"p50": round(float(np.percentile(ts, 50)), 3), "p90": round(float(np.percentile(ts, 90)), 3), "n": len(ts)}


def padded_feed(ids_list, pad_id, input_names):
    L = max(len(x) for x in ids_list)
    x = np.full((len(ids_list), L), pad_id, np.int64)
    m = np.zeros_like(x)
    for i, ids in enumerate(ids_list):
        x[i, :len(ids)], m[i, :len(ids)] = ids, 1
    feed = {"input_ids": x, "attention_mask": m, "token_type_ids": np.zeros_like(x)}
    return {n: feed[n] for n in input_names}


def calibration_feeds(train_ids, pad_id, input_names, n, bs, seed):
    """Padded batches of training texts in random order, so calibration sees padding as the engine's batches do."""
    pick = np.random.default_rng(seed).permutation(len(train_ids))[:n]
    return [padded_feed([train_ids[i] for i in pick[s:s + bs]], pad_id, input_names) for s in range(0, len(pick), bs)]


def export_onnx(graph, tok, input_names, outputs, heads, path, opset):
    ex = tok(["a sample sentence to trace the graph", "short"], padding=True, return_tensors="pt")
    args = tuple(ex[n] if n in ex else torch.zeros_like(ex["input_ids"]) for n in input_names)
    dyn = {n: {0: "batch", 1: "sequence"} for n in input_names}
    dyn |= {o: {0: "batch", 1: "sequence"} if is_token(h) else {0: "batch"} for o, h in zip(outputs, heads)}
    with torch.no_grad():
        torch.onnx.export(graph, args, str(path), input_names=input_names, output_names=outputs, dynamic_axes=dyn,
                          opset_version=opset, do_constant_folding=True, dynamo=False)
    onnx.checker.check_model(str(path))
    log(f"exported {path} ({path.stat().st_size / 1e6:.1f} MB), outputs {outputs}")


def score(heads, rows, enc, logits):
    """Metrics of one model on one split, from its per-row logits."""
    firsts = [[] for _ in enc["docs"]] if "docs" in enc else enc["first"]
    return evaluate(heads, rows, predict_rows(heads, logits, firsts))


def seq_arrays(heads, rows, logits, k):
    h = heads[k]
    z = np.stack([row[k] for row in logits])
    if is_multi(h):
        y = np.zeros_like(z)
        for i, labels in enumerate(gold_of(h, rows)):
            y[i, [h["labels"].index(label) for label in labels]] = 1
    else:
        y = np.array([h["labels"].index(v) for v in gold_of(h, rows)])
    return z, y


def calibration_metrics(heads, rows, logits, T):
    m = {}
    for k, h in enumerate(heads):
        if is_token(h) or not rows:
            continue
        z, y = seq_arrays(heads, rows, logits, k)
        f = nll_sigmoid if is_multi(h) else nll
        m |= {f"{h['name']}_nll": round(f(z, y), 4), f"{h['name']}_nll_T": round(f(z, y, T[h['name']]), 4)}
        if not is_multi(h):
            m |= {f"{h['name']}_ece": round(ece(z, y), 4), f"{h['name']}_ece_T": round(ece(z, y, T[h['name']]), 4)}
    return m


def config_json(cfg, heads, outputs, T, name, long_options=None):
    """config.json as docs/model-folders.md describes: single head -> top-level id2label (+ temperature);
    several -> `heads`."""
    c = cfg.to_dict()
    arch = re.sub(r"(Model|For\w+)$", "", (c.get("architectures") or ["Model"])[0])
    for k in ("id2label", "label2id", "problem_type", "_attn_implementation", "_attn_implementation_autoset",
              "architectures", "transformers_version", "dtype", "torch_dtype"):
        c.pop(k, None)
    if len(heads) == 1:
        h = heads[0]
        id2label = {str(i): label for i, label in enumerate(h["labels"])}
        c |= {"id2label": id2label, "label2id": {label: int(i) for i, label in id2label.items()},
              "architectures": [f"{arch}For{'Token' if is_token(h) else 'Sequence'}Classification"]}
        c |= {k: h[k] for k in ("adjacent_spans", "slot_types_by") if k in h}
        if not is_token(h):
            c |= {"problem_type": h.get("problem_type", "single_label_classification"), "temperature": round(T[h["name"]], 6)}
    else:
        c["heads"] = []
        for h, o in zip(heads, outputs):
            d = {"name": h["name"], "output": o, "kind": h["kind"]}
            if not is_token(h):
                d |= {"problem_type": h.get("problem_type", "single_label_classification"), "temperature": round(T[h["name"]], 6)}
            d["id2label"] = {str(i): label for i, label in enumerate(h["labels"])}
            d |= {k: h[k] for k in ("adjacent_spans", "slot_types_by") if k in h}
            c["heads"].append(d)
    c["_name_or_path"] = name
    if long_options:
        c["long_options"] = long_options
    return dict(sorted(c.items()))


def export(a, best, heads, tok, splits, train_rows, train_enc, work, staging, add_ons=None, document=None):
    """Writes model.onnx, config.json and the tokenizer files into `staging`; returns the manifest's export,
    calibration and metrics sections. `splits`: {name: (rows, enc)} with dev first; `add_ons`: modules fitted after
    training, set on the model by attribute name (--lexical, --nested-heads); `document`: (DocumentHead, its JSON)
    applied to each document after its windows are combined (--lexical tfidf-document), written beside the model."""
    t_start = time.time()
    cfg = AutoConfig.from_pretrained(best, attn_implementation="eager")  # eager: the graph ORT's fusions match
    model = MultiHead(cfg, heads)
    model.load_state_dict(torch.load(best / "model.pt"))
    for name, module in (add_ons or {}).items():
        setattr(model, name, module)
    input_names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in tok.model_input_names]
    outputs = output_names(heads)
    graph = Graph(model, input_names).eval()
    raw, fp32 = work / "model_raw.onnx", work / "model_fp32.onnx"
    files = {"fp32": fp32, "static": work / "model_static_int8.onnx", "dynamic": work / "model_dynamic_int8.onnx"}
    export_onnx(graph, tok, input_names, outputs, heads, raw, a.opset)
    mtype = cfg.model_type if cfg.model_type in ORT_MODEL_TYPES else "bert"
    fusion, n_attn = fuse(raw, fp32, mtype, cfg)
    feeds = calibration_feeds(train_enc["ids"], tok.pad_token_id, input_names, a.calib_size, 16, a.seed)
    hidden, inner = cfg.hidden_size, getattr(cfg, "intermediate_size", None) or getattr(cfg, "hidden_dim", None)
    float_nodes = ffn_output_matmuls(raw, inner, hidden)
    quantize_static(raw, files["static"], feeds, float_nodes)
    quantize(fp32, files["dynamic"])
    raw.unlink()

    runners = {k: Runner(p, outputs, input_names, a.threads) for k, p in files.items()}
    # Dynamic int8 at batch 1 (its answers depend on batch-mates); fp32 and static int8 do not depend on batching.
    bs = {"fp32": 64, "static": 64, "dynamic": 1}
    # Per row; a chunked document's windows combined as the engine combines them.
    L = {k: {s: documents(heads, enc, r.run(enc["ids"], tok.pad_token_id, bs[k]), a.aggregate)[0] for s, (_, enc) in splits.items()}
         for k, r in runners.items()}
    if document:
        tokens = {s: document_tokens(enc, tok) for s, (_, enc) in splits.items()}
        L = {k: {s: document[0].apply_all(tokens[s], z) for s, z in per.items()} for k, per in L.items()}
        json.dump(document[1], open(staging / DOCUMENT_FILE, "w"))

    # Temperature per sequence head, on the dev rows whose text is not a training text (fp32 logits, min NLL).
    seen = {r["text"] for r in train_rows}
    dev_rows, _ = splits["dev"]
    calib = [i for i, r in enumerate(dev_rows) if r["text"] not in seen]
    T = {}
    for k, h in enumerate(heads):
        if not is_token(h):
            z, y = seq_arrays(heads, [dev_rows[i] for i in calib], [L["fp32"]["dev"][i] for i in calib], k)
            T[h["name"]] = fit_temperature(z, y, is_multi(h)) if len(calib) >= MIN_CALIBRATION_ROWS else 1.0
    fitted = (f"fitted on {len(calib)} dev rows whose text is not a training text; fp32 ORT logits, min NLL"
              if len(calib) >= MIN_CALIBRATION_ROWS else
              f"not fitted (T = 1): {len(calib)} dev rows without a training text, fewer than {MIN_CALIBRATION_ROWS}")
    log(f"temperatures {T}: {fitted}")

    metrics = {}
    for k in L:
        metrics[k] = {s: score(heads, rows, enc, L[k][s]) | calibration_metrics(heads, rows, L[k][s], T)
                      for s, (rows, enc) in splits.items()}
        last = list(splits)[-1]
        metrics[k]["latency_batch1_ms"] = runners[k].latency_ms(document_windows(splits[last][1]), tok.pad_token_id, a.latency_n)
        metrics[k]["bytes"] = files[k].stat().st_size
        log(f"{k}: " + "  ".join(f"{s} score {metrics[k][s]['score']:.4f}" for s in splits) +
            f"  batch-1 p50 {metrics[k]['latency_batch1_ms']['p50']} ms, {files[k].stat().st_size / 1e6:.1f} MB")
    # Decided on dev; on a dev set too small to resolve 0.3 points, on (up to 2,000) training rows instead.
    if len(dev_rows) >= MIN_CALIBRATION_ROWS:
        on, loss = "dev", metrics["fp32"]["dev"]["score"] - metrics["static"]["dev"]["score"]
    else:
        # Encoded sequences (with --long chunks, training windows, each scored against its document's labels).
        pick = list(range(min(len(train_enc["ids"]), 2000)))
        sub = {"ids": [train_enc["ids"][i] for i in pick], "first": [train_enc["first"][i] for i in pick]}
        rows_t = [train_rows[train_enc["row"][i] if "row" in train_enc else i] for i in pick]
        on = f"{len(pick)} training rows (dev has {len(dev_rows)})"
        loss = (score(heads, rows_t, sub, runners["fp32"].run(sub["ids"], tok.pad_token_id))["score"] -
                score(heads, rows_t, sub, runners["static"].run(sub["ids"], tok.pad_token_id))["score"])
    chosen = a.int8 if a.int8 != "auto" else "static" if loss <= STATIC_MAX_LOSS else "dynamic"
    why = (f"static int8 scores {-loss * 100:+.2f} points against fp32 on {on} " +
           (f"(--int8 {a.int8})" if a.int8 != "auto" else f"(dynamic only below -{STATIC_MAX_LOSS * 100:.1f})") +
           ("" if chosen == "static" else ": dynamic int8, so answers can depend on batch-mates"))
    log(f"model.onnx = {chosen} int8 ({why})")

    shutil.copy(files[chosen], staging / "model.onnx")
    name = staging.name
    # --long chunks: the folder reads long texts as it was scored here, unless a call says otherwise.
    long_options = ({"long": "chunks", "window": a.max_length, "stride": a.stride, "aggregate": a.aggregate,
                     "maxChunks": a.eval_max_chunks} if a.long == "chunks" else None)
    config = config_json(cfg, heads, outputs, T, a.name or name, long_options)
    if document:
        config["document_head"] = DOCUMENT_FILE
    json.dump(config, open(staging / "config.json", "w"), indent=2)
    write_tokenizer(tok, a.max_length, work / "tok_out", staging)
    return {
        "export": {"exporter": "torch.onnx.export (TorchScript, dynamo=False), eager attention", "opset": a.opset,
                   "inputs": input_names, "outputs": outputs, "dynamic_axes": ["batch", "sequence"],
                   "fusion": {"tool": "onnxruntime.transformers.optimizer.optimize_model", "model_type": mtype,
                              "opt_level": 1, "fused_operators": fusion, "attention_fused_layers": n_attn,
                              "applies_to": "fp32 and dynamic int8; static int8 quantises the unfused export"},
                   "static_int8": STATIC_SETTINGS | {"calibration_texts": int(min(a.calib_size, len(train_enc["ids"]))),
                                                     "calibration_batch": 16, "calibration_padded": True,
                                                     "float_nodes": len(float_nodes)},
                   "dynamic_int8": {"tool": "onnxruntime.quantization.quantize_dynamic", "weight_type": "QInt8",
                                    "per_channel": True},
                   "model_onnx": chosen, "choice": why,
                   "onnxruntime": ort.__version__, "onnx": onnx.__version__, "torch": torch.__version__,
                   "fp32_optimised_model": {"path": repo_path(fp32), "bytes": fp32.stat().st_size, "sha256": sha256(fp32)},
                   "other_int8": {k: repo_path(files[k]) for k in ("static", "dynamic") if k != chosen},
                   "model_onnx_sha256": sha256(staging / "model.onnx"), "seconds": round(time.time() - t_start, 1)},
        "calibration": {"temperature": {h: round(t, 6) for h, t in T.items()},
                        "fitted_on": fitted},
        "metrics": {"runtime": f"Python onnxruntime {ort.__version__}, CPU, {a.threads} threads; fp32 and static int8 in "
                               "length-sorted batches of 64, dynamic int8 at batch 1" +
                               ("; per window, each document's windows then combined (--long chunks), its latency "
                                "one padded batch of them" if a.long == "chunks" else ""),
                    **metrics},
    }
