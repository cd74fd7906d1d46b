"""Fine-tune an SST-2 sentiment classifier on CPU, resumably.

  python models/sst2/train.py --base minilm --run minilm --epochs 2

Everything goes to models/.work/<run>/: ckpt/state.pt (latest, for resume), best/ (best held-out
checkpoint, save_pretrained format, what export.py reads), train.log, summary.json.
Re-running the same command resumes from ckpt/ if it exists.
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

from common import BASES, DATA, ID2LABEL, LABEL2ID, WORK, base_dir, log, read_tsv, split_train
from prep import (adamw, add_training_args, interrupt_flag, length_grouped_batches, load_checkpoint, optimizer_step,
                  progress_line, save_checkpoint)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--base", choices=sorted(BASES), required=True)
    p.add_argument("--run", help="run name (dir under models/.work); default = base")
    add_training_args(p, epochs=2.0, lr=5e-5, ckpt_minutes=8.0)
    p.add_argument("--holdout", type=int, default=2000)
    p.add_argument("--split-seed", type=int, default=13)
    p.add_argument("--eval-every", type=int, default=300, help="steps between held-out evaluations")
    p.add_argument("--patience", type=int, default=0, help="stop after N evals without improvement (0 = off)")
    p.add_argument("--distill-from", help="teacher logits .npy [n_train_rows, 2], row-aligned with train.tsv")
    p.add_argument("--distill-alpha", type=float, default=0.5, help="weight of the KD term")
    p.add_argument("--distill-temp", type=float, default=2.0)
    return p.parse_args()


def collate(ids, rows, pad_id):
    """Dynamic padding to the longest sequence in the batch."""
    seqs = [ids[r] for r in rows]
    L = max(len(s) for s in seqs)
    input_ids = torch.full((len(seqs), L), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), L), dtype=torch.long)
    for i, s in enumerate(seqs):
        input_ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    return input_ids, mask


@torch.no_grad()
def evaluate(model, ids, labels, rows, pad_id, bs=128):
    model.eval()
    order = sorted(rows, key=lambda r: len(ids[r]))  # sort by length: minimal padding
    logits = []
    for i in range(0, len(order), bs):
        x, m = collate(ids, order[i:i + bs], pad_id)
        logits.append(model(input_ids=x, attention_mask=m).logits.float())
    logits = torch.cat(logits)
    y = torch.tensor(labels[order])
    model.train()
    return {"acc": (logits.argmax(-1) == y).float().mean().item(), "nll": F.cross_entropy(logits, y).item()}


def main():
    a = parse_args()
    run = a.run or a.base
    out = WORK / run
    (out / "ckpt").mkdir(parents=True, exist_ok=True)
    logf = open(out / "train.log", "a")
    say = lambda m: log(m, logf)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    bdir = base_dir(a.base)
    tok = AutoTokenizer.from_pretrained(bdir)
    sents, labels = read_tsv(DATA / "train.tsv")
    train_rows, held_rows = split_train(len(sents), a.holdout, a.split_seed)
    if a.train_subset:
        train_rows = np.sort(np.random.default_rng(a.seed).permutation(train_rows)[:a.train_subset])
    # Tokenise once up front (fast tokenizer, ~seconds); no padding here, collate pads per batch.
    ids = tok(sents, truncation=True, max_length=a.max_length)["input_ids"]
    lengths = np.array([len(x) for x in ids])
    teacher = None
    if a.distill_from:
        teacher = torch.from_numpy(np.load(a.distill_from)).float()
        assert teacher.shape == (len(sents), 2), teacher.shape

    steps_per_epoch = math.ceil(len(train_rows) / a.batch_size)
    total = math.ceil(steps_per_epoch * a.epochs)
    if a.max_steps:
        total = min(total, a.max_steps)

    model = AutoModelForSequenceClassification.from_pretrained(
        bdir, num_labels=2, id2label=ID2LABEL, label2id=LABEL2ID, problem_type="single_label_classification")
    opt = adamw(model, a.lr, a.weight_decay)
    sched = get_linear_schedule_with_warmup(opt, int(a.warmup * total), total)

    ck = out / "ckpt" / "state.pt"
    fixed = ("base", "epochs", "lr", "batch_size", "max_length", "max_steps", "train_subset", "holdout",
             "split_seed", "seed", "warmup", "distill_from")
    state = load_checkpoint(ck, vars(a), fixed, model, opt, sched, "a new --run")
    if state is not None:
        say(f"resumed from {ck} at step {state['step']}/{total}")
        # best/ may be newer than the last resume checkpoint (killed in between): never let it be overwritten by worse.
        bs = out / "best" / "train_state.json"
        if bs.exists():
            b = json.load(open(bs))
            if state["best"] is None or (b["acc"], -b["nll"]) > (state["best"]["acc"], -state["best"]["nll"]):
                state["best"] = {k: b[k] for k in ("acc", "nll", "step")}
    else:
        state = {"step": 0, "best": None, "evals_since_best": 0, "train_seconds": 0.0, "history": []}
        say(f"new run {run}: base={a.base} ({bdir}) args={vars(a)}")
    say(f"train rows {len(train_rows)}, held-out {len(held_rows)}, steps/epoch {steps_per_epoch}, total steps {total}")

    def do_eval():
        m = evaluate(model, ids, labels, held_rows, tok.pad_token_id)
        m["step"] = state["step"]
        state["history"].append(m)
        best = state["best"]
        if best is None or (m["acc"], -m["nll"]) > (best["acc"], -best["nll"]):
            state["best"], state["evals_since_best"] = m, 0
            model.save_pretrained(out / "best")
            tok.save_pretrained(out / "best")
            json.dump({**m, "args": vars(a)}, open(out / "best" / "train_state.json", "w"), indent=1)
            tag = " (new best, saved)"
        else:
            state["evals_since_best"] += 1
            tag = ""
        say(f"eval step {state['step']}: held-out acc {m['acc']:.4f} nll {m['nll']:.4f}{tag}")

    interrupted = interrupt_flag()

    model.train()
    t_last_ckpt = time.time()
    t0, s0 = time.time(), state["step"]
    stop = False
    while state["step"] < total and not stop:
        epoch, in_epoch = divmod(state["step"], steps_per_epoch)
        # Batch order is a pure function of (seed, epoch): after a resume we skip the batches already done.
        batches = length_grouped_batches(lengths[train_rows], a.batch_size, np.random.default_rng(a.seed + epoch))
        for b in batches[in_epoch:]:
            rows = train_rows[b]
            t_step = time.time()
            x, m = collate(ids, rows, tok.pad_token_id)
            y = torch.from_numpy(labels[rows])
            logits = model(input_ids=x, attention_mask=m).logits
            loss = F.cross_entropy(logits, y)
            if teacher is not None:
                # KD: match temperature-softened teacher probabilities; T^2 keeps gradient scale comparable.
                T = a.distill_temp
                kd = F.kl_div(F.log_softmax(logits / T, -1), F.softmax(teacher[rows] / T, -1), reduction="batchmean")
                loss = (1 - a.distill_alpha) * loss + a.distill_alpha * T * T * kd
            loss.backward()
            optimizer_step(model, opt, sched)
            state["step"] += 1
            state["train_seconds"] += time.time() - t_step
            step = state["step"]
            if step % 50 == 0 or step == total:
                sps = (step - s0) / (time.time() - t0)
                say(progress_line(step, total, steps_per_epoch, loss.item(), sched.get_last_lr()[0], sps))
            if step % a.eval_every == 0 or step == total or step % steps_per_epoch == 0:
                do_eval()
                if a.patience and state["evals_since_best"] >= a.patience:
                    say(f"early stop: {a.patience} evals without improvement")
                    stop = True
            if time.time() - t_last_ckpt > a.ckpt_minutes * 60 or step == total or stop or interrupted:
                save_checkpoint(ck, vars(a), model, opt, sched, state)
                t_last_ckpt = time.time()
            if interrupted:
                say(f"interrupted at step {step}: checkpoint saved, rerun the same command to resume")
                return
            if step >= total or stop:
                break

    summary = {"run": run, "base": a.base, "args": vars(a), "steps": state["step"], "total_steps": total,
               "train_examples": int(len(train_rows)), "examples_seen": int(state["step"] * a.batch_size),
               "heldout_examples": int(len(held_rows)), "train_seconds": round(state["train_seconds"], 1),
               "best": state["best"], "history": state["history"], "done": True}
    json.dump(summary, open(out / "summary.json", "w"), indent=1)
    say(f"done: best held-out {state['best']}; train time {state['train_seconds'] / 60:.1f} min")


if __name__ == "__main__":
    main()
