"""Teacher soft labels, stored instead of the teacher: logits per text (sequence heads) and per whitespace word
(token heads, the logits at the word's first sub-token), in one compressed .npz.

Layout (v2): `meta` (UTF-8 JSON bytes: format, step, heads with labels, the texts), then per head `<name>` uint8
[rows, classes], each logit as round((row max - logit) / step), clipped at 255, and `<name>_max` float16 [rows]; a
token head also has `<name>_offsets` [rows + 1] (a text's words are offsets[i]:offsets[i+1]; max NaN where the word
had no sub-token). A step of 0.1 logit keeps softmax(t/2) within 1e-4 nats of float16 (KL, SNIPS slots) at a quarter
of float16's size: float16 logits hardly compress, these small integers do. v1 files (float16 logits) still read.
Students look targets up by text, so any text set (augmented ones too) works.
"""
import json
import sys

import numpy as np
import torch

from data import is_token

FORMAT = "onnx-textclf teacher targets v2"
FORMAT_V1 = "onnx-textclf teacher targets v1"
STEP = 0.1


def encode(logits):
    """[rows, classes] float -> (uint8 steps below the row max, float16 row max)."""
    x = np.asarray(logits, np.float32)
    top = x.max(1).astype(np.float16)  # steps count from the stored max, so float16's rounding adds no error
    q = np.clip(np.rint((top.astype(np.float32)[:, None] - x) / STEP), 0, 255)
    return np.where(np.isnan(q), 255, q).astype(np.uint8), top


def decode(z, name, step):
    top = z[f"{name}_max"].astype(np.float32)
    return top[:, None] - z[name].astype(np.float32) * step


def write_targets(path, texts, heads, logits):
    """logits[head name][i]: [classes] or [words, tags] (float) for texts[i]."""
    flat, offsets = {}, {}
    for h in heads:
        rows = logits[h["name"]]
        if is_token(h):
            flat[h["name"]] = np.concatenate([np.asarray(r, np.float32).reshape(-1, len(h["labels"])) for r in rows])
            offsets[h["name"]] = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
        else:
            flat[h["name"]] = np.stack(rows)
    save(path, texts, heads, flat, offsets)


def save(path, texts, heads, flat, offsets):
    """Writes the current format: per head, logits [rows or words, classes] (+ a token head's word offsets)."""
    arrays = {}
    for h in heads:
        arrays[h["name"]], arrays[f"{h['name']}_max"] = encode(flat[h["name"]])
        if h["name"] in offsets:
            arrays[f"{h['name']}_offsets"] = offsets[h["name"]]
    meta = {"format": FORMAT, "step": STEP, "heads": [{k: h[k] for k in ("name", "kind", "labels")} for h in heads],
            "texts": list(texts)}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
    with open(path, "wb") as f:  # np.savez_compressed would append .npz to a path without it
        np.savez_compressed(f, **arrays)


def read_targets(path):
    """(meta, {head: float32 logits [rows or words, classes], NaN rows where a word had no target},
    {token head: word offsets [rows + 1]})."""
    z = np.load(path)
    meta = json.loads(z["meta"].tobytes().decode("utf-8"))
    if meta.get("format") not in (FORMAT, FORMAT_V1):
        raise SystemExit(f"{path}: not a teacher-targets file ({FORMAT})")
    v1 = meta["format"] == FORMAT_V1
    logits = {h["name"]: z[h["name"]].astype(np.float32) if v1 else decode(z, h["name"], meta["step"])
              for h in meta["heads"]}
    offsets = {h["name"]: z[f"{h['name']}_offsets"] for h in meta["heads"] if f"{h['name']}_offsets" in z.files}
    return meta, logits, offsets


class Targets:
    """Teacher logits for the training rows, as per-batch tensors aligned with the student's logits."""

    def __init__(self, path, heads, rows, enc):
        meta, logits, offsets = read_targets(path)
        theirs = {h["name"]: h for h in meta["heads"]}
        self.heads = []
        for h in heads:
            t = theirs.get(h["name"])
            if t is None:
                continue
            if t["kind"] != h["kind"] or t["labels"] != h["labels"]:
                raise SystemExit(f"{path}: head {h['name']!r} has other labels than the training data "
                                 f"({len(t['labels'])} vs {len(h['labels'])}); the teacher must share the label order")
            self.heads.append(h)
        if not self.heads:
            raise SystemExit(f"{path}: no head in common with the training data ({sorted(theirs)})")
        at = {text: i for i, text in enumerate(meta["texts"])}
        self.row = np.array([at.get(r["text"], -1) for r in rows])
        self.coverage = float((self.row >= 0).mean())
        self.z = {h["name"]: logits[h["name"]] for h in self.heads}
        self.offsets = {h["name"]: offsets[h["name"]] for h in self.heads if is_token(h)}
        self.first = enc["first"]

    def batch(self, rows, length):
        """{head: (logits tensor shaped like the student's, mask of positions that have a target)}."""
        out = {}
        for h in self.heads:
            name, n = h["name"], len(h["labels"])
            if is_token(h):
                t = np.zeros((len(rows), length, n), np.float32)
                mask = np.zeros((len(rows), length), bool)
                for i, r in enumerate(rows):
                    j = self.row[r]
                    if j < 0:
                        continue
                    words = self.z[name][self.offsets[name][j]:self.offsets[name][j + 1]]
                    for w, p in enumerate(self.first[r][:len(words)]):
                        if p >= 0 and not np.isnan(words[w]).any():
                            t[i, p], mask[i, p] = words[w], True
            else:
                j = self.row[rows]
                t = np.where((j >= 0)[:, None], self.z[name][np.maximum(j, 0)], 0).astype(np.float32)
                mask = j >= 0
            out[name] = (torch.from_numpy(t), torch.from_numpy(mask))
        return out


def kd_shift(a, b, temp=2.0):
    """Mean and largest KL(softmax(a/T) || softmax(b/T)) over rows: what re-encoding changes in a student's KD target."""
    ok = ~np.isnan(a).any(1)
    la, lb = (torch.log_softmax(torch.from_numpy(x[ok]) / temp, -1) for x in (a, b))
    kl = (la.exp() * (la - lb)).sum(-1)
    return float(kl.mean()), float(kl.max())


if __name__ == "__main__":  # python train/python/targets.py FILE...: rewrites older files in the current format
    for path in sys.argv[1:]:
        meta, logits, offsets = read_targets(path)
        save(path, meta["texts"], meta["heads"], logits, offsets)
        _, new, _ = read_targets(path)
        shifts = ", ".join(f"{k} KL at T=2 mean {m:.1e} max {x:.1e}" for k in new for m, x in [kd_shift(logits[k], new[k])])
        print(f"{path}: {meta['format']} -> {FORMAT} ({shifts})")
