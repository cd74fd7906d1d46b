"""Long documents as the engine reads them with `long: 'chunks'`, mirrored line for line from lib/postprocess/chunks.ts
(tokenChunks, newPerWindow, aggregateLogits) and lib/tokenize.ts (encodeLong): the text tokenised once without
special tokens, a window of `budget` text tokens every `stride` tokens, the last one aligned to the end, at most
`max_chunks` windows; a document's answer combines its windows' logits. Training rows are those windows, each
carrying its document's labels; dev/test documents are scored by combining their windows, so the trainer's metrics
are the engine's.
"""
import numpy as np

CHARS_PER_TOKEN_GUESS = 8  # lib/tokenize.ts: a huge text is cut before tokenising (tokens past the windows are dropped)


def default_stride(budget: int) -> int:
    """The engine's default (longPlan): three quarters of the window's text tokens."""
    return max(1, budget * 3 // 4)


def token_chunks(n, budget, stride, max_chunks):
    """[(start, end)] windows over n tokens, and whether tokens past the last kept window were dropped."""
    if n <= budget:
        return [(0, n)], False
    ranges = [(s, s + budget) for s in range(0, n - budget, stride)] + [(n - budget, n)]
    return (ranges, False) if len(ranges) <= max_chunks else (ranges[:max_chunks], True)


def new_per_window(ranges):
    """Per window, the tokens the previous one did not cover: the 'weighted' aggregation's weights."""
    return [r[1] - min(r[1], max(r[0], ranges[k - 1][1] if k else 0)) for k, r in enumerate(ranges)]


def cut_at_space(text, at):
    """lib/tokenize.ts cutAtSpace: cut at the first whitespace within 64 characters after `at` (else at `at`)."""
    if at >= len(text):
        return text
    tail = text[at:at + 64]
    space = next((i for i, c in enumerate(tail) if c.isspace()), -1)
    return text[:at if space < 0 else at + space]


def encode_long(tok, text, prefix, suffix, budget, stride, max_chunks):
    """(window id lists with the model's special tokens, their weights) for one text."""
    needed = (max_chunks * stride + budget) * CHARS_PER_TOKEN_GUESS
    kept = cut_at_space(text, needed) if len(text) > needed else text
    ids = tok(kept, add_special_tokens=False, verbose=False)["input_ids"]
    ranges, _ = token_chunks(len(ids), budget, stride, max_chunks)
    return [prefix + ids[s:e] + suffix for s, e in ranges], new_per_window(ranges)


def log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def aggregate(windows, weights, how, multi_label):
    """One head's document logits from its windows' ([windows, classes]); lib aggregateLogits. Softmax heads
    combine log-probabilities, multi-label heads raw logits; one window comes back unchanged."""
    z = np.asarray(windows, np.float64)
    if len(z) == 1:
        return z[0]
    rows = z if multi_label else log_softmax(z)
    if how == "max":
        return rows.max(0)
    w = np.asarray(weights, np.float64) if how == "weighted" else np.ones(len(rows))
    return (w[:, None] * rows).sum(0) / w.sum()
