"""--lexical tfidf: beside the encoder, a linear model over each window's word pieces, fitted after training and
added to every single-label sequence head's logits with a weight chosen on dev. A wide-and-deep pair inside the one
ONNX graph: the engine runs it as any other model, and a window's lexical logits depend on its own tokens only.

Why: on long, header-rich posts (20 Newsgroups) bag-of-words models are strong and see what a 128-token encoder window
misses or forgets; the two err differently (dev groups 89.67 -> 92.00 %; on MASSIVE's short commands too, intent
89.52 -> 89.82 %). Features are scikit-learn's TfidfVectorizer(sublinear_tf=True) over the
tokenizer's ids (1 + log count, times idf from the training windows, L2-normalised per window), so the graph computes
them from input_ids with one ScatterElements and a few element-wise ops. The classifier is a multinomial logistic
regression on every window of the training documents (all of them, not only the first --max-chunks the encoder
trained on), each carrying its document's label.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy import sparse

from data import collate, encode_rows, single_label
from metrics import document_fit

C_REG = 30.0  # inverse L2 strength of the logistic regression (tried once on 20NG windows; not tuned further)
# Per document: 2-fold CV on the 20NG training posts (2026-12-06), groups 89.85 / 90.02 / 90.18 % at C 10 / 30 / 100.
C_DOCUMENT = 100.0
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)  # the lexical logits' weights tried on dev, per head


class Lexical(nn.Module):
    """input_ids, attention_mask -> {head: logits}. Quantiser-safe by construction: the static int8 pass quantises
    MatMul and Gather on float tensors only, and here the one Gather reads an integer table (word-piece id -> column)
    and the product is F.linear (a Gemm), so the small tf-idf values are never squeezed into a fixed int8 range.
    Columns are the word pieces seen in training; others are ignored, as TfidfVectorizer ignores unknown terms."""

    def __init__(self, vocab, cols, idf, heads):
        super().__init__()
        remap = np.full(vocab, len(cols), np.int64)  # unseen ids count into one extra column, dropped
        remap[cols] = np.arange(len(cols))
        self.register_buffer("remap", torch.from_numpy(remap))
        self.register_buffer("idf", torch.tensor(idf, dtype=torch.float32))
        self.names = list(heads)
        for n, (w, b) in heads.items():
            self.register_buffer(f"w_{n}", torch.tensor(w, dtype=torch.float32))  # [classes, columns]
            self.register_buffer(f"b_{n}", torch.tensor(b, dtype=torch.float32))

    def features(self, input_ids, attention_mask):
        cols = self.remap[input_ids]
        counts = torch.zeros(input_ids.shape[0], self.idf.shape[0] + 1, dtype=torch.float32)
        counts = counts.scatter_add(1, cols, attention_mask.to(torch.float32))[:, :-1]  # padding adds 0
        tf = torch.where(counts > 0, 1 + torch.log(counts.clamp(min=1.0)), torch.zeros_like(counts)) * self.idf
        return tf / tf.norm(dim=1, keepdim=True).clamp(min=1e-12)

    def forward(self, input_ids, attention_mask):
        x = self.features(input_ids, attention_mask)
        return {n: F.linear(x, getattr(self, f"w_{n}"), getattr(self, f"b_{n}")) for n in self.names}


def heads_to_fit(heads):
    """The single-label sequence heads, or exit: --lexical has nothing to add to."""
    fit_on = single_label(heads)
    if not fit_on:
        raise SystemExit("--lexical needs a single-label sequence head")
    return fit_on


def counts_matrix(ids, vocab):
    rows = np.repeat(np.arange(len(ids)), [len(x) for x in ids])
    return sparse.csr_matrix((np.ones(len(rows)), (rows, np.concatenate(ids))), shape=(len(ids), vocab))


def tfidf(counts, idf):
    x = counts.copy()
    x.data = 1 + np.log(x.data)
    x = x @ sparse.diags(idf)
    norm = np.sqrt(np.asarray(x.multiply(x).sum(1)).ravel())
    return sparse.diags(1 / np.maximum(norm, 1e-12)) @ x


def fit(a, heads, tok, train_rows, dev, window_logits, say, per_document=None):
    """The fitted Lexical module (weights already scaled by the dev-chosen factors; heads whose factor is 0 left
    out) and the manifest's record. `window_logits(enc)`: the trained encoder's logits per encoded sequence.
    `per_document(enc)`: the training encoding with each document as one sequence (document_head.py), where `dev`
    and `window_logits` are per document already."""
    from sklearn.linear_model import LogisticRegression

    fit_on = heads_to_fit(heads)
    long = {"stride": a.stride, "max_chunks": a.eval_max_chunks} if a.long == "chunks" else None
    enc = encode_rows(tok, train_rows, heads, a.max_length, "train.jsonl (lexical)", long)
    unit, c_reg = ("documents", C_DOCUMENT) if per_document else ("windows", C_REG)
    if per_document:
        enc = per_document(enc)
    vocab = len(tok)
    counts = counts_matrix(enc["ids"], vocab)
    df = np.asarray((counts > 0).sum(0)).ravel()
    cols = np.flatnonzero(df)
    idf = np.log((1 + counts.shape[0]) / (1 + df[cols])) + 1  # TfidfVectorizer's smooth idf
    x = tfidf(counts[:, cols], idf)
    fitted = {}
    for h in fit_on:
        y = np.asarray(enc["y"][h["name"]])
        lr = LogisticRegression(C=c_reg, max_iter=1000).fit(x, y)
        w, b = np.zeros((len(h["labels"]), len(cols))), np.zeros(len(h["labels"]))
        # Binary: sklearn keeps one row, the second class's margin, split evenly between the two logits.
        two = len(lr.classes_) == 2
        coef = np.stack([-lr.coef_[0], lr.coef_[0]]) / 2 if two else lr.coef_
        bias = np.array([-1.0, 1.0]) * lr.intercept_[0] / 2 if two else lr.intercept_
        w[lr.classes_], b[lr.classes_] = coef, bias  # a class absent from training keeps 0
        fitted[h["name"]] = (w, b)
    say(f"lexical: tf-idf logistic regression on {len(enc['ids'])} {unit} of {len(train_rows)} training texts, "
        f"{len(cols)} of {vocab} word pieces seen, heads {list(fitted)}")

    dev_rows, dev_enc = dev
    deep = window_logits(dev_enc)
    wide = lexical_window_logits(Lexical(vocab, cols, idf, fitted), dev_enc, tok.pad_token_id)
    chosen, table = {}, {}
    for k, h in enumerate(heads):
        if h["name"] not in fitted:
            continue
        name = h["name"]

        def score(encoder_weight, weight):
            """Dev (accuracy, mean log-likelihood) of the documents with this head's logits mixed so."""
            z = [[encoder_weight * d[j] + weight * wide[i][name] if j == k else d[j] for j in range(len(d))]
                 for i, d in enumerate(deep)]
            return document_fit(heads, k, dev_rows, dev_enc, z, a.aggregate)

        tried = {w: score(1.0, w) for w in WEIGHTS}
        best = max(WEIGHTS, key=tried.get)  # accuracy, then log-likelihood; the first (smallest) weight on a tie
        chosen[name] = best
        table[name] = {"encoder": round(tried[0.0][0], 4), "lexical_alone": round(score(0.0, 1.0)[0], 4),
                       "combined": round(tried[best][0], 4), "weight": best,
                       "tried": {str(w): round(acc, 4) for w, (acc, _) in tried.items()}}
        say(f"lexical {name}: dev accuracy encoder {table[name]['encoder']:.4f}, lexical alone "
            f"{table[name]['lexical_alone']:.4f}, combined {table[name]['combined']:.4f} at weight {best}")
    kept = {n: (w * chosen[n], b * chosen[n]) for n, (w, b) in fitted.items() if chosen[n] > 0}
    record = {"features": f"word-piece ids: (1 + log count) x idf, L2-normalised per {unit[:-1]} (TfidfVectorizer, "
                          "sublinear_tf, smooth idf)",
              "classifier": f"sklearn LogisticRegression(C={c_reg}), multinomial, lbfgs",
              "fitted_on": f"{len(enc['ids'])} {unit} of {len(train_rows)} training texts",
              "vocabulary": vocab, "columns": int(len(cols)), "weights_chosen_on": f"dev ({len(dev_rows)} texts): accuracy, then NLL",
              "heads": table}
    return (Lexical(vocab, cols, idf, kept) if kept else None), record


@torch.no_grad()
def lexical_window_logits(lex, enc, pad_id, bs=256):
    """Per encoded sequence, {head: the lexical logits}."""
    out = []
    for s in range(0, len(enc["ids"]), bs):
        x, m, _ = collate(enc["ids"], range(s, min(s + bs, len(enc["ids"]))), pad_id)
        z = {n: v.numpy() for n, v in lex(x, m).items()}
        out += [{n: v[i] for n, v in z.items()} for i in range(len(x))]
    return out
