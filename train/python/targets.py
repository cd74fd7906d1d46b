"""Teacher soft labels, stored instead of the teacher: logits per text (sequence heads) and per whitespace word
(token heads, the logits at the word's first sub-token), float16, in one compressed .npz.

Layout: `meta` (UTF-8 JSON bytes: format, heads with labels, the texts), then per head `<name>` [rows, classes]
(sequence) or `<name>` [words, tags] + `<name>_offsets` [rows + 1] (token; a row's words are offsets[i]:offsets[i+1],
NaN where the word had no sub-token). Students look targets up by text, so any text set (augmented ones too) works.
"""
import json

import numpy as np
import torch

from data import is_token

FORMAT = "onnx-textclf teacher targets v1"


def write_targets(path, texts, heads, logits):
    """logits[head name][i]: [classes] or [words, tags] (float) for texts[i]."""
    arrays = {}
    for h in heads:
        rows = logits[h["name"]]
        if is_token(h):
            n_tags = len(h["labels"])
            lens = [len(r) for r in rows]
            arrays[h["name"]] = np.concatenate([np.asarray(r, np.float32).reshape(-1, n_tags) for r in rows]).astype(np.float16)
            arrays[f"{h['name']}_offsets"] = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        else:
            arrays[h["name"]] = np.stack(rows).astype(np.float16)
    meta = {"format": FORMAT, "heads": [{k: h[k] for k in ("name", "kind", "labels")} for h in heads], "texts": list(texts)}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
    with open(path, "wb") as f:  # np.savez_compressed would append .npz to a path without it
        np.savez_compressed(f, **arrays)


class Targets:
    """Teacher logits for the training rows, as per-batch tensors aligned with the student's logits."""

    def __init__(self, path, heads, rows, enc):
        z = np.load(path)
        meta = json.loads(z["meta"].tobytes().decode("utf-8"))
        if meta.get("format") != FORMAT:
            raise SystemExit(f"{path}: not a teacher-targets file ({FORMAT})")
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
        self.z = {h["name"]: z[h["name"]].astype(np.float32) for h in self.heads}
        self.offsets = {h["name"]: z[f"{h['name']}_offsets"] for h in self.heads if is_token(h)}
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
