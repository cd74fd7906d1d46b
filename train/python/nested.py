"""--nested-heads marginal: where one single-label head's labels group another's (every training row's fine label
names one coarse label: 20 Newsgroups' category is the root of its group, MASSIVE's scenario the prefix of its
intent), the coarse head's logits become (1 - a) * its own + a * log sum over its members of the fine head's
probabilities, with `a` chosen on dev. Inside the one ONNX graph (LogSoftmax, an additive mask, ReduceLogSumExp),
per window, before the engine aggregates a document's windows, so nothing new is needed to run it.

Why: a fine head sees more distinctions, and its errors mostly stay inside one coarse class (comp.sys.mac vs
comp.sys.ibm), so summing its probabilities answers the coarse question better than a head trained on the coarse
labels alone: a 20-class model's marginal beat the 7-class head of the same 20NG model (first 1,000 test posts,
2026-12-06: 94.3 vs 91.8 %). Mixing with weight `a`, not replacing, leaves dev free to say where it does not pay.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from data import single_label
from metrics import document_fit, gold_of

MIXES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # the marginal's share tried on dev, per coarse head
OUTSIDE = -1e4  # log-mask of a fine label outside the coarse class: exp() underflows to 0, with no inf in the graph


class Nested(nn.Module):
    """{head: logits} -> the same, each coarse head mixed with its fine head's marginal. `pairs`: (fine, coarse,
    member [coarse labels, fine labels] 0/1, mix)."""

    def __init__(self, pairs):
        super().__init__()
        self.pairs = [(fine, coarse, mix) for fine, coarse, _, mix in pairs]
        for fine, coarse, member, _ in pairs:
            self.register_buffer(f"mask_{fine}_{coarse}", torch.tensor(np.where(member > 0, 0.0, OUTSIDE), dtype=torch.float32))

    def forward(self, out):
        out = dict(out)
        for fine, coarse, mix in self.pairs:
            marginal = torch.logsumexp(F.log_softmax(out[fine], -1).unsqueeze(1) + getattr(self, f"mask_{fine}_{coarse}"), -1)
            out[coarse] = (1 - mix) * out[coarse] + mix * marginal
        return out


def nested_pairs(heads, rows):
    """(fine, coarse, member matrix) for every pair of single-label sequence heads where the training rows map each
    fine label to exactly one coarse label, every fine label is seen, and the coarse head has fewer labels."""
    single = single_label(heads)
    found = []
    for fine in single:
        for coarse in single:
            if fine is coarse or len(coarse["labels"]) >= len(fine["labels"]):
                continue
            seen = {}
            for f, c in zip(gold_of(fine, rows), gold_of(coarse, rows)):
                if f is not None and c is not None:
                    seen.setdefault(f, set()).add(c)
            if len(seen) == len(fine["labels"]) and all(len(cs) == 1 for cs in seen.values()):
                member = np.zeros((len(coarse["labels"]), len(fine["labels"])))
                for f, (c,) in seen.items():
                    member[coarse["labels"].index(c), fine["labels"].index(f)] = 1
                found.append((fine, coarse, member))
    return found


def pairs_or_exit(heads, rows):
    pairs = nested_pairs(heads, rows)
    if not pairs:
        raise SystemExit("--nested-heads needs two single-label sequence heads, one grouping the other's labels "
                         "(every training row's fine label naming one coarse label)")
    return pairs


def fit(a, heads, train_rows, dev, window_logits, say, where="per window"):
    """The Nested module (pairs whose dev-chosen mix is 0 left out; None when none is left) and the manifest's
    record. `window_logits(enc)`: the trained model's logits per encoded sequence (lexical head included)."""
    pairs = pairs_or_exit(heads, train_rows)
    dev_rows, dev_enc = dev
    windows = window_logits(dev_enc)
    names = [h["name"] for h in heads]
    kept, record = [], {}
    for fine, coarse, member in pairs:
        k = names.index(coarse["name"])

        def score(mix):
            """Dev (accuracy, mean log-likelihood) of the coarse head with the marginal mixed in at `mix`."""
            z = Nested([(fine["name"], coarse["name"], member, mix)])
            mixed = [[v.numpy()[0] for v in z({n: torch.tensor(w[j])[None] for j, n in enumerate(names)}).values()]
                     for w in windows]
            return document_fit(heads, k, dev_rows, dev_enc, mixed, a.aggregate)

        tried = {m: score(m) for m in MIXES}
        best = max(MIXES, key=tried.get)  # accuracy, then log-likelihood; the first (smallest) mix on a tie
        record[coarse["name"]] = {"fine": fine["name"], "mix": best, "head_alone": round(tried[0.0][0], 4),
                                  "marginal_alone": round(tried[1.0][0], 4), "chosen": round(tried[best][0], 4),
                                  "tried": {str(m): round(acc, 4) for m, (acc, _) in tried.items()}}
        say(f"nested {coarse['name']} <- {fine['name']}: dev accuracy head {tried[0.0][0]:.4f}, marginal "
            f"{tried[1.0][0]:.4f}, chosen {tried[best][0]:.4f} at mix {best}")
        if best > 0:
            kept.append((fine["name"], coarse["name"], member, best))
    return (Nested(kept) if kept else None), {"rule": "coarse logits = (1 - mix) * head + mix * log sum of the fine "
                                                      "head's probabilities over the coarse label's members, " + where,
                                              "mix_chosen_on": f"dev ({len(dev_rows)} texts): accuracy, then NLL",
                                              "heads": record}
