"""Predictions and metrics from logits, per head kind: accuracy + macro-F1 (softmax heads), micro-F1 + exact match
(multi-label), span F1 (token heads, exact match, seqeval default semantics), and sentence accuracy (every head
right) for multi-head models. The selection score for the best checkpoint is the mean of the heads' main metrics."""
import numpy as np

from chunks import log_softmax
from data import documents, is_multi, is_token


def spans(tags):
    """Chunks as seqeval's default (conlleval) mode reads IOB2, same as lib/postprocess/spans.ts: B-X opens, I-X
    continues an open X (else opens one), O or a type change closes."""
    out, start, typ = [], None, None
    for i, t in enumerate(list(tags) + ["O"]):
        p, ty = (t[:1], t[2:]) if t[1:2] == "-" and t[:1] in "BI" else ("O", "")
        if start is not None and (p != "I" or ty != typ):
            out.append((typ, start, i - 1))
            start = None
        if p in "BI" and start is None:
            start, typ = i, ty
    return out


def word_tags(logits, first, labels, adjacent_spans=None, permitted=None):
    """Word tags read at each word's first sub-token (words without tokens, or cut by the window, are O): the most
    probable sequence in which every I-X follows B-X or I-X (Viterbi over log-softmax), as lib/postprocess/spans.ts
    wordTags; a per-word argmax can open a span with I-X or switch type inside one. With `adjacent_spans` (the head's
    list), B-X follows B-X or I-X only for the types listed, as bioRules; `permitted` (per tag) leaves tags out."""
    # Per tag, the tags it may follow (None: any), B-X before I-X so ties break as in the engine.
    def allowed_before(i, label):
        x = label[2:]
        if label.startswith("I-"):
            return ([labels.index("B-" + x)] if "B-" + x in labels else []) + [i]
        if not label.startswith("B-") or adjacent_spans is None or x in adjacent_spans:
            return None
        return [j for j, t in enumerate(labels) if t not in (label, "I-" + x)]
    allowed = [allowed_before(i, label) for i, label in enumerate(labels)]
    tags, run = [], []  # run: the log-probabilities of the words since the last word without tokens
    for p in list(first) + [-1]:
        if p >= 0:
            z = logits[p].astype(np.float64)
            lp = z - z.max() - np.log(np.exp(z - z.max()).sum())
            run.append(lp if permitted is None else np.where(permitted, lp, -np.inf))
            continue
        tags += _viterbi(run, allowed, labels)
        run = []
        tags.append("O")
    return tags[:-1]


def _viterbi(run, allowed, labels):
    if not run:
        return []
    start = np.array([-np.inf if label.startswith("I-") else 0.0 for label in labels])
    best, back = run[0] + start, []
    for lp in run[1:]:
        frm = np.array([max(a, key=lambda k: best[k]) if a else int(best.argmax()) for a in allowed])
        back.append(frm)
        best = best[frm] + lp
    c, out = int(best.argmax()), []
    for frm in reversed(back):
        out.append(labels[c])
        c = int(frm[c])
    out.append(labels[c])
    return out[::-1]


def predict_rows(heads, logits, firsts):
    """Every head's predictions, {name: [one per row]}: token heads decode among the slot types of the row's top
    sequence labels (slot_types_by), as lib/parse.ts."""
    index = {g["name"]: k for k, g in enumerate(heads)}

    def permitted(h, z):
        by = h.get("slot_types_by")
        if not by:
            return None
        lists = [types.get(heads[index[name]]["labels"][int(np.argmax(z[index[name]]))]) for name, types in by.items()]
        return np.array([t == "O" or all(lst is None or t[2:] in lst for lst in lists) for t in h["labels"]])
    return {h["name"]: [predict(h, z[k], f, permitted(h, z)) for z, f in zip(logits, firsts)] for k, h in enumerate(heads)}


def predict(head, z, first=None, permitted=None):
    """One row's prediction from its logits (z: [classes], or [tokens, tags] for token heads)."""
    if is_token(head):
        return word_tags(z, first, head["labels"], head.get("adjacent_spans"), permitted)
    if is_multi(head):
        return sorted(head["labels"][i] for i in np.flatnonzero(z > 0))
    return head["labels"][int(z.argmax())]


def _full(gold, pred):
    """Word tags of words cut by the window count as O (misses), so metrics are over the whole utterance."""
    return list(pred) + ["O"] * (len(gold) - len(pred))


def head_metrics(head, gold, pred) -> dict:
    name = head["name"]
    if is_token(head):
        tp = n_pred = n_gold = 0
        for g, p in zip(gold, pred):
            g_sp, p_sp = set(spans(g)), set(spans(_full(g, p)))
            tp, n_pred, n_gold = tp + len(g_sp & p_sp), n_pred + len(p_sp), n_gold + len(g_sp)
        P, R = tp / max(n_pred, 1), tp / max(n_gold, 1)
        return {f"{name}_precision": round(P, 4), f"{name}_recall": round(R, 4),
                f"{name}_f1": round(2 * P * R / max(P + R, 1e-12), 4)}
    if is_multi(head):
        tp = sum(len(set(g) & set(p)) for g, p in zip(gold, pred))
        n_pred, n_gold = sum(len(p) for p in pred), sum(len(g) for g in gold)
        P, R = tp / max(n_pred, 1), tp / max(n_gold, 1)
        return {f"{name}_micro_f1": round(2 * P * R / max(P + R, 1e-12), 4),
                f"{name}_exact_match": round(float(np.mean([sorted(g) == sorted(p) for g, p in zip(gold, pred)])), 4)}
    f1s = []
    for label in head["labels"]:
        tp = sum(g == label and p == label for g, p in zip(gold, pred))
        n_p, n_g = sum(p == label for p in pred), sum(g == label for g in gold)
        if n_g:
            f1s.append(2 * tp / max(n_p + n_g, 1))
    return {f"{name}_accuracy": round(float(np.mean([g == p for g, p in zip(gold, pred)])), 4),
            f"{name}_macro_f1": round(float(np.mean(f1s)), 4) if f1s else 0.0}


def main_metric(head) -> str:
    return f"{head['name']}_" + ("f1" if is_token(head) else "micro_f1" if is_multi(head) else "accuracy")


def gold_of(head, rows):
    value = [r["heads"][head["name"]] for r in rows]
    return [sorted(v) for v in value] if is_multi(head) else value


def document_fit(heads, k, rows, enc, logits, how):
    """(accuracy, mean log-likelihood) of single-label head `k` over the rows' documents, from per-encoded-sequence
    `logits` combined as the engine combines a document's windows: what --lexical and --nested-heads weigh on dev."""
    h = heads[k]
    gold = np.array([h["labels"].index(v) for v in gold_of(h, rows)])
    p = log_softmax(np.stack([doc[k] for doc in documents(heads, enc, logits, how)[0]]))
    return float((p.argmax(1) == gold).mean()), float(p[np.arange(len(gold)), gold].mean())


def evaluate(heads, rows, preds) -> dict:
    """preds[head name]: one prediction per row (see predict)."""
    m = {"n": len(rows)}
    ok = np.ones(len(rows), bool)
    for h in heads:
        gold = gold_of(h, rows)
        m |= head_metrics(h, gold, preds[h["name"]])
        same = [(_full(g, p) if is_token(h) else p) == g for g, p in zip(gold, preds[h["name"]])]
        ok &= np.array(same, bool)
    if len(heads) > 1:
        m["sentence_accuracy"] = round(float(ok.mean()), 4)
    m["score"] = round(float(np.mean([m[main_metric(h)] for h in heads] + ([m["sentence_accuracy"]] if len(heads) > 1 else []))), 4)
    return m
