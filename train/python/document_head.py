"""--lexical tfidf-document: the --lexical head over a whole document instead of each window, applied after the engine
combines a document's windows; with --nested-heads the marginal mix moves there too (it must follow the lexical
head). It cannot live in the per-window ONNX graph, which never sees the whole document, so the folder carries it as
document_head.json and lib/postprocess/document-head.ts applies it; `DocumentHead` below is its mirror, built from
that same file, so the trainer's metrics are the engine's.

Why: on 20 Newsgroups the whole-post bag of words beats the per-window one (dev 1,000 posts, 2026-12-06: lexical
alone 92.3 / 94.0 % against 90.7 / 92.9 %; with the encoder 93.8-94.1 / 96.0-96.4 % against 93.2 / 95.8 %): a
window's 126 tokens see a header or a signature, the document sees both and everything between.

A document's tokens are those its windows cover (each window's text tokens past the previous window's end), so a
text cut at max_chunks counts what the engine read, and the same bytes give the same answer alone or batched.
"""
import json

import numpy as np
import torch

import lexical
import nested
from data import documents, special_affixes

FILE = "document_head.json"
DIGITS = 7  # significant digits of each written weight: float32's, so the file is the fitted model


def document_tokens(enc, tok):
    """Per document of a --long chunks encoding, its text tokens (no special tokens), each once."""
    prefix, suffix = (len(x) for x in special_affixes(tok))
    out = []
    for s, e in enc["docs"]:
        ids = []
        for i in range(s, e):
            text = enc["ids"][i][prefix:len(enc["ids"][i]) - suffix]
            ids += text[len(text) - enc["weights"][i]:]
        out.append(ids)
    return out


def as_documents(enc, tok, heads):
    """A --long chunks encoding with each document as one sequence (its tokens) and one window of weight 1, so the
    window-level fitting code (lexical.fit, nested.fit) weighs documents."""
    first = [s for s, _ in enc["docs"]]
    return {"ids": document_tokens(enc, tok), "first": [[] for _ in first], "docs": [(i, i + 1) for i in range(len(first))],
            "weights": [1] * len(first), "y": {h["name"]: [enc["y"][h["name"]][s] for s in first] for h in heads}}


def fit(a, heads, tok, train_rows, dev, window_logits, say):
    """(DocumentHead or None, manifest records, the JSON written beside the model). `window_logits(enc)`: the
    trained encoder's logits per window. --long chunks is checked before training (train.py check_add_ons)."""
    dev_rows, dev_enc = dev
    dev_docs = as_documents(dev_enc, tok, heads)
    encoder = documents(heads, dev_enc, window_logits(dev_enc), a.aggregate)[0]
    records = {}
    lex, records["lexical"] = lexical.fit(a, heads, tok, train_rows, (dev_rows, dev_docs), lambda _: encoder, say,
                                          per_document=lambda enc: as_documents(enc, tok, heads))
    spec = {"lexical": lexical_spec(lex) if lex else None, "nested": []}
    if a.nested_heads != "none":
        with_lexical = DocumentHead(spec, heads).apply_all(dev_docs["ids"], encoder)
        mixer, records["nested_heads"] = nested.fit(a, heads, train_rows, (dev_rows, dev_docs), lambda _: with_lexical, say,
                                                    "per document, after its windows are combined and the lexical head added")
        spec["nested"] = [nested_spec(mixer, fine, coarse, mix) for fine, coarse, mix in (mixer.pairs if mixer else [])]
    records["lexical"]["level"] = "document: the tokens its windows cover, added after the windows are combined"
    if not spec["lexical"] and not spec["nested"]:
        return None, records, None
    spec = json.loads(json.dumps(spec))  # the file's numbers, exactly
    return DocumentHead(spec, heads), records, spec


def rounded(v):
    return [float(f"{x:.{DIGITS}g}") for x in np.asarray(v, np.float64).ravel()]


def lexical_spec(lex):
    remap, idf = lex.remap.numpy(), lex.idf.numpy()
    cols = np.flatnonzero(remap < len(idf))  # sorted ids, and remap[cols] = 0..n-1: the columns in order
    return {"features": "word-piece ids: (1 + ln count) x idf, L2-normalised over the document",
            "columns": cols.tolist(), "idf": rounded(idf),
            "heads": {n: {"coef": [rounded(row) for row in getattr(lex, f"w_{n}").numpy()],
                          "bias": rounded(getattr(lex, f"b_{n}").numpy())} for n in lex.names}}


def members(coarse_of, coarse_labels):
    """nested.Nested's [coarse, fine] 0/1 matrix from each fine label's coarse label."""
    return (np.asarray(coarse_of)[None, :] == np.arange(coarse_labels)[:, None]).astype(np.float64)


def nested_spec(mixer, fine, coarse, mix):
    """`members[f]`: the coarse label index of fine label f (the one row of the mask where it is not masked out)."""
    inside = getattr(mixer, f"mask_{fine}_{coarse}").numpy() == 0  # [coarse, fine]
    return {"fine": fine, "coarse": coarse, "members": inside.argmax(0).tolist(), "mix": mix}


class DocumentHead:
    """document_head.json applied to one document: lexical logits added, then each nested mix; lib's mirror, computed
    with the window-level head's own pieces (lexical.tfidf, nested.Nested) on the file's numbers."""

    def __init__(self, spec, heads):
        self.names = [h["name"] for h in heads]
        lex = spec["lexical"]
        self.column = {}
        if lex:
            self.column = {t: j for j, t in enumerate(lex["columns"])}
            self.idf = np.array(lex["idf"], np.float64)
            self.lex = {n: (np.array(v["coef"]), np.array(v["bias"])) for n, v in lex["heads"].items()}
        sizes = {h["name"]: len(h["labels"]) for h in heads if "labels" in h}
        self.nested = nested.Nested([(p["fine"], p["coarse"], members(p["members"], sizes[p["coarse"]]), p["mix"])
                                     for p in spec["nested"]]) if spec["nested"] else None

    def apply(self, ids, logits):
        out = [np.array(z, np.float64) for z in logits]
        if self.column:
            seen = np.array([self.column[t] for t in ids if t in self.column], np.int64)  # int even when empty
            x = lexical.tfidf(lexical.counts_matrix([seen], len(self.idf)), self.idf)
            for n, (w, b) in self.lex.items():
                out[self.names.index(n)] += np.asarray(x @ w.T).ravel() + b
        if self.nested:
            mixed = self.nested({n: torch.tensor(z)[None] for n, z in zip(self.names, out)})
            out = [mixed[n][0].numpy() for n in self.names]
        return out

    def apply_all(self, docs, logits):
        return [self.apply(ids, z) for ids, z in zip(docs, logits)]

