"""One model for every task: an AutoModel encoder + one linear head per schema head, and the loss (hard labels,
plus optional distillation from stored teacher logits)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from transformers import AutoModel

from data import is_multi, is_token


class MultiHead(nn.Module):
    """Sequence heads read the pooled first token (the tanh pooler where the encoder has one, as
    BertForSequenceClassification) or, with config.textclf_pooling "mean", the mean of the real tokens' states (how
    the sentence-transformers bases were trained: their first token and pooler were never tuned to stand for the
    text); token heads read every position (as BertForTokenClassification)."""

    def __init__(self, config, heads, pretrained=None):
        super().__init__()
        self.encoder = AutoModel.from_pretrained(pretrained, config=config) if pretrained else AutoModel.from_config(config)
        self.drop = nn.Dropout(getattr(config, "hidden_dropout_prob", 0.1))
        self.head_specs = list(heads)
        self.heads = nn.ModuleDict({h["name"]: nn.Linear(config.hidden_size, len(h["labels"])) for h in heads})
        self.mean_pooling = getattr(config, "textclf_pooling", "cls") == "mean"
        self.lexical = None  # --lexical: a lexical.Lexical attached after training, its logits added to its heads'
        self.nested = None  # --nested-heads: a nested.Nested attached after training, mixing coarse heads with fine ones

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        o = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **extra)
        if self.mean_pooling:  # padding masked out, so a text pools the same alone or in a padded batch
            m = attention_mask.unsqueeze(-1).to(o.last_hidden_state.dtype)
            pooled = (o.last_hidden_state * m).sum(1) / m.sum(1).clamp(min=1.0)
        else:
            pooled = getattr(o, "pooler_output", None)
            if pooled is None:
                pooled = o.last_hidden_state[:, 0]
        out = {h["name"]: self.heads[h["name"]](self.drop(o.last_hidden_state if is_token(h) else pooled))
               for h in self.head_specs}
        if self.lexical is not None:
            for name, z in self.lexical(input_ids, attention_mask).items():
                out[name] = out[name] + z
        return out if self.nested is None else self.nested(out)


class Graph(nn.Module):
    """What is exported: positional inputs -> a tuple of head logits in schema order (the ONNX outputs)."""

    def __init__(self, model: MultiHead, input_names):
        super().__init__()
        self.model, self.input_names = model, list(input_names)

    def forward(self, *inputs):
        kw = dict(zip(self.input_names, inputs))
        out = self.model(kw["input_ids"], kw["attention_mask"], kw.get("token_type_ids"))
        return tuple(out[h["name"]] for h in self.model.head_specs)


def hard_loss(head, z, y):
    """Rows (or words) without a label (augmented texts: -100, or NaN for multi-label) are left out; 0 when none has one."""
    if is_token(head):
        z, y = z.flatten(0, -2), y.flatten()
    known = ~torch.isnan(y[:, 0]) if is_multi(head) else y != -100
    if not known.any():
        return z.sum() * 0
    if is_multi(head):
        return F.binary_cross_entropy_with_logits(z[known], y[known])
    return F.cross_entropy(z, y, ignore_index=-100)


def kd_loss(head, z, t, mask, temp):
    """Soft-label loss against teacher logits `t` where `mask` is set (rows, or word positions for token heads):
    KL(softmax(t/T) || softmax(z/T)) for softmax heads, BCE against sigmoid(t/T) for multi-label ones; x T^2 keeps the
    gradient scale of the hard loss (Hinton et al.)."""
    if not mask.any():
        return z.sum() * 0
    z, t = z[mask] / temp, t[mask] / temp
    if is_multi(head):
        return F.binary_cross_entropy_with_logits(z, torch.sigmoid(t)) * temp * temp
    return F.kl_div(F.log_softmax(z, -1), F.log_softmax(t, -1), log_target=True, reduction="batchmean") * temp * temp


def loss_fn(heads, out, y, teacher=None, alpha=0.0, temp=1.0):
    """Sum over heads of (1 - alpha) * hard + alpha * KD; without teacher targets, the plain sum of hard losses."""
    total = 0
    for h in heads:
        hard = hard_loss(h, out[h["name"]], y[h["name"]])
        if teacher is None or h["name"] not in teacher:
            total = total + hard
        else:
            t, mask = teacher[h["name"]]
            total = total + (1 - alpha) * hard + alpha * kd_loss(h, out[h["name"]], t, mask, temp)
    return total
