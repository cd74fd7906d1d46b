"""The canonical data train/cli.ts writes (schema.json + train/dev/test JSONL) and the encoding the engine uses.

A row is {"text", "heads": {head: label | [labels] | [word tags]}, "words"?: [...]}; token heads come as one BIO tag
per whitespace word, so Python never re-splits text. Sequence-only models encode the whole text (lib `encode`);
models with a token head encode word by word (lib `encodeWords(text, 'first')`), exactly as the engine feeds them.
"""
import json
from pathlib import Path

import numpy as np
import torch

from chunks import aggregate, encode_long


def load_schema(work: Path) -> dict:
    return json.load(open(work / "schema.json", encoding="utf-8"))


def load_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


def is_token(head) -> bool:
    return head["kind"] == "token"


def is_multi(head) -> bool:
    return head.get("problem_type") == "multi_label_classification"


def single_label(heads):
    """The single-label sequence heads (softmax over one label per text)."""
    return [h for h in heads if not is_token(h) and not is_multi(h)]


def encode_words(tok, words, max_len):
    """Mirror of lib/tokenize.ts encodeWords(..., 'first'): each word tokenised alone (no specials), pieces
    concatenated inside the model's specials; a word that does not fit ends the window. Returns (ids, first) where
    first[w] = position of word w's first sub-token, -1 if it has none; len(first) = words kept."""
    prefix, suffix = special_affixes(tok)
    budget = max_len - len(prefix) - len(suffix)
    pieces, first = [], []
    for w in words:
        ids = tok(w, add_special_tokens=False)["input_ids"][:budget]
        if len(pieces) + len(ids) > budget:
            break
        first.append(len(prefix) + len(pieces) if ids else -1)
        pieces += ids
    return prefix + pieces + suffix, first


def special_affixes(tok):
    """The specials the tokenizer puts before and after one text ([CLS] / [SEP], <s> / </s>), found as lib does."""
    bare = tok("a", add_special_tokens=False)["input_ids"]
    full = tok("a")["input_ids"]
    at = next(i for i in range(len(full)) if full[i:i + len(bare)] == bare)
    return full[:at], full[at + len(bare):]


def encode_rows(tok, rows, heads, max_len, where: str, long=None):
    """Token ids, first-sub-token maps and per-head targets. Token targets: the word's tag on its first sub-token,
    -100 elsewhere (ignored by the loss); multi-label targets: a 0/1 vector.

    With `long` ({"stride", "max_chunks"}: sequence heads only), each row becomes its windows (chunks.encode_long):
    ids, first and targets are per window, "row" maps a window to its row, "docs" gives each row's [start, end) of
    windows and "weights" each window's weight (see chunks.documents)."""
    word_wise = any(is_token(h) for h in heads)
    index = {h["name"]: {label: i for i, label in enumerate(h["labels"])} for h in heads}
    enc = {"ids": [], "first": [], "y": {h["name"]: [] for h in heads}}
    if long:
        prefix, suffix = special_affixes(tok)
        budget = max_len - len(prefix) - len(suffix)
        enc |= {"row": [], "docs": [], "weights": []}
    for n, r in enumerate(rows):
        if word_wise:
            ids, first = encode_words(tok, r["words"], max_len)
        elif long:
            windows, weights = encode_long(tok, r["text"], prefix, suffix, budget, long["stride"], long["max_chunks"])
            enc["docs"].append((len(enc["ids"]), len(enc["ids"]) + len(windows)))
            enc["row"] += [n] * len(windows)
            enc["weights"] += weights
            enc["ids"] += windows[:-1]
            enc["first"] += [[]] * (len(windows) - 1)
            ids, first = windows[-1], []
        else:
            ids, first = tok(r["text"], truncation=True, max_length=max_len)["input_ids"], []
        enc["ids"].append(ids)
        enc["first"].append(first)
        for h in heads:
            if "heads" not in r:  # an augmented text: its labels are unknown, only the teacher's targets train on it
                enc["y"][h["name"]].append(unknown_label(h, len(ids)))
                continue
            name, value = h["name"], r["heads"].get(h["name"])
            try:
                if is_token(h):
                    y = [-100] * len(ids)
                    for w, p in enumerate(first):
                        if p >= 0:
                            y[p] = index[name][value[w]]
                elif is_multi(h):
                    y = np.zeros(len(h["labels"]), np.float32)
                    y[[index[name][v] for v in value]] = 1
                else:
                    y = index[name][value]
            except (KeyError, TypeError) as e:
                raise SystemExit(f"{where} row {n + 1}: head {name!r}: label {e} is not in the training labels")
            enc["y"][name] += [y] * (enc["docs"][-1][1] - enc["docs"][-1][0] if long else 1)
    return enc


def unknown_label(head, n_ids):
    """A target the hard loss leaves out: -100 (per token for token heads), NaN for multi-label heads."""
    if is_token(head):
        return [-100] * n_ids
    return np.full(len(head["labels"]), np.nan, np.float32) if is_multi(head) else -100


def documents(heads, enc, logits, how):
    """Per row (document), the logits of every head and the first-sub-token map, from per-encoded-sequence
    `logits`: with chunked rows, each head's windows combined as the engine does (chunks.aggregate, `how`)."""
    if "docs" not in enc:
        return logits, enc["first"]
    out = [[aggregate([logits[i][k] for i in range(s, e)], enc["weights"][s:e], how, is_multi(h)) for k, h in enumerate(heads)]
           for s, e in enc["docs"]]
    return out, [[] for _ in out]


def document_windows(enc):
    """Per row, its encoded sequences (one, or its windows): what one request to the engine runs together."""
    if "docs" not in enc:
        return [[x] for x in enc["ids"]]
    return [enc["ids"][s:e] for s, e in enc["docs"]]


def collate(ids, rows, pad_id, heads=None, ys=None):
    """Dynamic padding to the longest sequence in the batch; token targets padded with -100."""
    L = max(len(ids[r]) for r in rows)
    x = torch.full((len(rows), L), pad_id, dtype=torch.long)
    m = torch.zeros((len(rows), L), dtype=torch.long)
    for i, r in enumerate(rows):
        x[i, :len(ids[r])] = torch.tensor(ids[r])
        m[i, :len(ids[r])] = 1
    out = {}
    for h in heads or []:
        y = ys[h["name"]]
        if is_token(h):
            t = torch.full((len(rows), L), -100, dtype=torch.long)
            for i, r in enumerate(rows):
                t[i, :len(y[r])] = torch.tensor(y[r])
        elif is_multi(h):
            t = torch.from_numpy(np.stack([y[r] for r in rows]))
        else:
            t = torch.tensor([y[r] for r in rows])
        out[h["name"]] = t
    return x, m, out
