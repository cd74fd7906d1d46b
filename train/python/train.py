"""The trainer behind `npm run train`: any number of sequence heads (softmax or sigmoid) and at most one token head
(BIO over whitespace words) on one encoder, from the canonical data train/cli.ts writes into --work.

  python train/python/train.py --work W --out STAGING --base minilm [--epochs 3 --lr 5e-5 ...]

Phases: train (resumable: W/run/ckpt/state.pt; best dev checkpoint in W/run/best/; rerun the same command to resume),
then export (train/python/export.py) into STAGING, then optionally --write-targets. Exit code 75 = interrupted with a
checkpoint saved (rerun to resume). The CLI validates the data, assembles the folder and checks batch independence.
"""
import argparse
import hashlib
import json
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from transformers import AutoConfig, AutoTokenizer, get_linear_schedule_with_warmup

import bases
from chunks import default_stride
from data import collate, documents, encode_rows, is_token, load_rows, load_schema, special_affixes
from export import Runner, export, output_names
from metrics import evaluate, predict_rows
from model import MultiHead, loss_fn
from prep import (FLAGS_ADDED_SINCE, WeightAverage, adamw, add_training_args, interrupt_flag, length_grouped_batches,
                  load_checkpoint, log, optimizer_step, progress_line, save_checkpoint)
from targets import Targets, write_targets

INTERRUPTED = 75  # EX_TEMPFAIL: a checkpoint is saved, the same command resumes
FIXED = ("base", "epochs", "lr", "batch_size", "max_length", "warmup", "weight_decay", "seed", "max_steps",
         "train_subset", "evals_per_epoch", "eval_every", "data_sha256", "teacher_targets", "kd_alpha", "kd_temp",
         "augmented_sha256", "long", "stride", "max_chunks", "pooling", "ema")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", required=True, help="folder with schema.json and train/dev[/test].jsonl; run state goes in run/")
    p.add_argument("--out", required=True, help="staging folder to write the model files into")
    p.add_argument("--base", default="minilm", help="minilm | mpnet | a local Hugging Face folder")
    p.add_argument("--name", help="model name for config.json (default: the --out folder's name)")
    add_training_args(p, epochs=0.0, lr=5e-5, ckpt_minutes=5.0)  # epochs 0: auto (epochs_for)
    # One torch thread: on a shared machine two threads lost 4-5x to oversubscription (measured 2026-11-23 with
    # the SNIPS/MASSIVE runs), and on 2 idle cores they gain far less than that.
    p.set_defaults(threads=1)
    p.add_argument("--patience", type=int, default=3,
                   help="stop after N evaluations without a better dev score, not before a third of the steps (0 = off)")
    p.add_argument("--evals-per-epoch", type=int, default=2)
    p.add_argument("--eval-every", type=int, default=0, help="steps between dev evaluations (overrides --evals-per-epoch)")
    p.add_argument("--max-minutes", type=float, default=0, help="training budget in wall minutes over all resumes (0 = none)")
    p.add_argument("--teacher-targets", help="teacher logits (.npz from --write-targets) to distil from")
    p.add_argument("--kd-alpha", type=float, default=0.5, help="weight of the distillation term")
    p.add_argument("--kd-temp", type=float, default=2.0)
    p.add_argument("--ema", type=float, default=0.0,
                   help="evaluate and keep an exponential moving average of the weights with this decay (0 = off)")
    p.add_argument("--write-targets", help="after export, write this model's logits on the training texts (.npz)")
    p.add_argument("--targets-texts", help="canonical rows of extra texts (no labels) to write targets for too")
    p.add_argument("--augmented", help="canonical rows of extra texts (no labels) to train on with the KD term only")
    p.add_argument("--calib-size", type=int, default=512, help="training texts to calibrate static int8 on")
    p.add_argument("--latency-n", type=int, default=100, help="texts timed at batch 1 per model file")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--int8", choices=("auto", "static", "dynamic"), default="auto",
                   help="model.onnx: static int8 unless it loses more than 0.3 points to fp32 (auto), or as named")
    p.add_argument("--pooling", choices=("cls", "mean"), default="cls",
                   help="what sequence heads read: the first token through the pooler (cls) or the masked mean of the tokens")
    p.add_argument("--long", choices=("truncate", "chunks"), default="truncate",
                   help="chunks: train on windows of --max-length tokens, score documents by combining them")
    p.add_argument("--stride", type=int, default=0, help="tokens between window starts (0: 3/4 of the window's text tokens)")
    p.add_argument("--max-chunks", type=int, default=64, help="most windows per training document, from its start")
    p.add_argument("--eval-max-chunks", type=int, default=64, help="most windows per dev/test document (the engine's maxChunks)")
    p.add_argument("--aggregate", choices=("weighted", "mean", "max"), default="weighted", help="how a document's windows combine")
    p.add_argument("--lexical", choices=("none", "tfidf", "tfidf-document"), default="none",
                   help="tfidf: add a tf-idf logistic regression over each window's word pieces to the single-label "
                        "sequence heads, weighted on dev (train/python/lexical.py); fitted after training. "
                        "tfidf-document (--long chunks): over each whole document, after its windows are combined "
                        "(train/python/document_head.py)")
    p.add_argument("--nested-heads", choices=("none", "marginal"), default="none",
                   help="marginal: a head whose labels group another head's mixes in that head's summed probabilities, "
                        "the share chosen on dev (train/python/nested.py); fitted after training, after --lexical")
    return p.parse_args(argv)


def file_hash(*paths):
    h = hashlib.sha256()
    for path in paths:
        h.update(Path(path).read_bytes())
    return h.hexdigest()


@torch.no_grad()
def torch_logits(model, heads, enc, pad_id, bs=128):
    """Per row, the logits of every head (token heads cut to the row's length), in row order; and the mean loss."""
    model.eval()
    order = sorted(range(len(enc["ids"])), key=lambda i: len(enc["ids"][i]))
    out, loss = [None] * len(order), 0.0
    for s in range(0, len(order), bs):
        b = order[s:s + bs]
        x, m, y = collate(enc["ids"], b, pad_id, heads, enc["y"])
        z = model(x, m)
        loss += loss_fn(heads, z, y).item() * len(b)
        z = [v.float().numpy() for v in z.values()]
        for j, i in enumerate(b):
            out[i] = [v[j][:len(enc["ids"][i])] if v.ndim == 3 else v[j] for v in z]
    model.train()
    return out, loss / max(len(order), 1)


def dev_eval(model, heads, rows, enc, pad_id, how):
    logits, loss = torch_logits(model, heads, enc, pad_id)
    logits, first = documents(heads, enc, logits, how)
    return evaluate(heads, rows, predict_rows(heads, logits, first)) | {"loss": round(loss, 4)}


def better(m, best):
    """Dev score first; the dev loss breaks ties (small dev sets saturate their accuracy early)."""
    return best is None or (m["score"], -m["loss"]) > (best["score"], -best.get("loss", float("inf")))


MIN_DEV_FOR_SELECTION = 50  # below this, dev scores are noise: train to the end, keep the last checkpoint


def train(a, heads, tok, bdir, rows, enc, dev_rows, dev_enc, run):
    """The training loop; returns the summary (also written to run/summary.json)."""
    (run / "ckpt").mkdir(parents=True, exist_ok=True)
    rows, enc, n_augmented = with_augmented(a, tok, heads, rows, enc)
    logf = open(run / "train.log", "a")
    say = lambda msg: log(msg, logf)
    torch.manual_seed(a.seed)
    train_rows = np.arange(len(enc["ids"]))  # encoded sequences: the rows, or with --long chunks their windows
    if a.train_subset:
        train_rows = np.sort(np.random.default_rng(a.seed).permutation(len(train_rows))[:a.train_subset])
    lengths = np.array([len(x) for x in enc["ids"]])
    steps_per_epoch = math.ceil(len(train_rows) / a.batch_size)
    total = math.ceil(steps_per_epoch * epochs_for(a, steps_per_epoch))
    if a.max_steps:
        total = min(total, a.max_steps)
    eval_every = a.eval_every or max(1, steps_per_epoch // a.evals_per_epoch, total // 40)
    teacher = Targets(a.teacher_targets, heads, rows, enc) if a.teacher_targets else None
    if teacher:
        say(f"teacher targets {a.teacher_targets}: heads {[h['name'] for h in teacher.heads]}, "
            f"{teacher.coverage:.1%} of training rows covered")
        require_targets(a, teacher, rows, len(rows) - n_augmented)

    config = AutoConfig.from_pretrained(bdir)
    config.textclf_pooling = a.pooling  # saved with every checkpoint's config, so the export builds the same graph
    model = MultiHead(config, heads, pretrained=bdir)
    opt = adamw(model, a.lr, a.weight_decay, fused=True)  # fused: the step is 7x faster on CPU than foreach
    sched = get_linear_schedule_with_warmup(opt, int(a.warmup * total), total)
    average = WeightAverage(model, a.ema) if a.ema else None
    ck = run / "ckpt" / "state.pt"
    state = load_checkpoint(ck, vars(a), FIXED, model, opt, sched, "delete the work folder (or pass another --work)",
                            average)
    if state is not None:
        say(f"resumed from {ck} at step {state['step']}/{total}")
    else:
        state = {"step": 0, "best": None, "evals_since_best": 0, "train_seconds": 0.0, "history": []}
        say(f"new run: base {bdir} args {vars(a)}")
    say(f"train rows {len(train_rows)}{f' (windows of {len(rows)} documents)' if 'docs' in enc else ''}, dev {len(dev_rows)}, steps/epoch {steps_per_epoch}, total {total}, "
        f"labels {({h['name']: len(h['labels']) for h in heads})}")

    select = len(dev_rows) >= MIN_DEV_FOR_SELECTION
    if not select:
        say(f"dev has {len(dev_rows)} rows (< {MIN_DEV_FOR_SELECTION}): no early stopping, the last checkpoint is kept")

    def do_eval():
        if average:
            average.swap(model)  # the averaged weights are scored and, when best, saved
        m = dev_eval(model, heads, dev_rows, dev_enc, tok.pad_token_id, a.aggregate) | {"step": state["step"]}
        state["history"].append(m)
        best = state["best"]
        if better(m, best) or not select:
            state["best"], state["evals_since_best"] = m, 0
            b = run / "best"
            b.mkdir(exist_ok=True)
            torch.save(model.state_dict(), b / "model.pt")
            config.save_pretrained(b)
            tok.save_pretrained(b)
            json.dump({"heads": heads, "args": vars(a), "dev": m}, open(b / "meta.json", "w"), indent=1)
            tag = " (new best, saved)"
        else:
            state["evals_since_best"] += 1
            tag = ""
        if average:
            average.swap(model)
        say(f"eval step {state['step']}: dev {json.dumps({k: v for k, v in m.items() if k not in ('n', 'step')})}{tag}")

    interrupted = interrupt_flag()
    budget = a.max_minutes * 60
    model.train()
    t_ckpt, t0, s0 = time.time(), time.time(), state["step"]
    stop = None
    while state["step"] < total and not stop:
        epoch, in_epoch = divmod(state["step"], steps_per_epoch)
        # Batch order is a pure function of (seed, epoch): after a resume, skip the batches already done.
        batches = length_grouped_batches(lengths[train_rows], a.batch_size, np.random.default_rng(a.seed + epoch))
        for b in batches[in_epoch:]:
            t_step = time.time()
            rows_b = train_rows[b]
            x, m, y = collate(enc["ids"], rows_b, tok.pad_token_id, heads, enc["y"])
            t = teacher.batch(rows_b, x.shape[1]) if teacher else None
            loss = loss_fn(heads, model(x, m), y, t, a.kd_alpha, a.kd_temp)
            loss.backward()
            optimizer_step(model, opt, sched)
            if average:
                average.update(model)
            state["step"] += 1
            state["train_seconds"] += time.time() - t_step
            step = state["step"]
            if step % 50 == 0 or step == total or step == s0 + 1:
                sps = (step - s0) / (time.time() - t0)
                say(progress_line(step, total, steps_per_epoch, loss.item(), sched.get_last_lr()[0], sps))
            if step % eval_every == 0 or step == total:
                do_eval()
                # Not in the first third: on small dev sets the early evaluations are mostly noise.
                if select and a.patience and state["evals_since_best"] >= a.patience and step >= total / 3:
                    stop = f"early stop: {a.patience} evaluations without a better dev score"
            if budget and state["train_seconds"] >= budget and not stop and step < total:
                if state["history"][-1:] and state["history"][-1]["step"] != step:
                    do_eval()
                stop = f"--max-minutes {a.max_minutes} reached"
            if time.time() - t_ckpt > a.ckpt_minutes * 60 or step == total or stop or interrupted:
                save_checkpoint(ck, vars(a), model, opt, sched, state, average)
                t_ckpt = time.time()
            if interrupted:
                say(f"interrupted at step {step}: checkpoint saved, rerun the same command to resume")
                sys.exit(INTERRUPTED)
            if step >= total or stop:
                break
    if state["best"] is None:  # e.g. a budget smaller than one evaluation period
        do_eval()
    if stop:
        say(stop)
    summary = {"steps": state["step"], "total_steps": total, "steps_per_epoch": steps_per_epoch,
               "train_examples": int(len(train_rows)), "train_documents": len(rows), "dev_examples": len(dev_rows),
               "train_seconds": round(state["train_seconds"], 1), "stopped": stop, "budget_minutes": a.max_minutes,
               "kept_checkpoint": "best dev score" if select else f"last checkpoint (dev < {MIN_DEV_FOR_SELECTION} rows)",
               "best": state["best"], "history": state["history"], "teacher_coverage": teacher.coverage if teacher else None,
               "augmented_examples": n_augmented}
    json.dump(summary, open(run / "summary.json", "w"), indent=1)
    say(f"training done: best dev {state['best']}; {state['train_seconds'] / 60:.1f} min")
    return summary


def with_augmented(a, tok, heads, rows, enc):
    """Training rows + the --augmented ones (appended; unknown labels), their encoding, and how many were added."""
    if not a.augmented:
        return rows, enc, 0
    if not a.teacher_targets:
        raise SystemExit("--augmented needs --teacher-targets: augmented texts train on the teacher's targets only")
    aug = load_rows(a.augmented)
    x = encode_rows(tok, aug, heads, a.max_length, "augmented texts")
    return rows + aug, {"ids": enc["ids"] + x["ids"], "first": enc["first"] + x["first"],
                        "y": {k: v + x["y"][k] for k, v in enc["y"].items()}}, len(aug)


def require_targets(a, teacher, rows, first_augmented):
    """Augmented rows have no label: without a teacher target they would train on nothing, so none may lack one."""
    missing = [rows[i]["text"] for i in range(first_augmented, len(rows)) if teacher.row[i] < 0]
    if missing:
        raise SystemExit(f"{len(missing)} of {len(rows) - first_augmented} augmented texts have no teacher target in "
                         f"{a.teacher_targets} (e.g. {missing[0]!r}): rerun the teacher's command with --write-targets "
                         f"{a.teacher_targets} --targets-texts <the augmented file> (it is not retrained)")


def epochs_for(a, steps_per_epoch) -> float:
    """--epochs, or (0 = auto) enough epochs for about 200 optimizer steps: 3 on large data, up to 100 on a few
    dozen examples, which would otherwise get a handful of steps."""
    return a.epochs or max(3, min(100, math.ceil(200 / steps_per_epoch)))


def trained(run, a):
    """The finished summary, or None when training must (still) run: no summary, or one stopped by a smaller budget."""
    f = run / "summary.json"
    if not f.exists():
        return None
    s = json.load(open(f))
    more_time = (s["stopped"] or "").startswith("--max-minutes") and (not a.max_minutes or a.max_minutes > s["budget_minutes"])
    return None if more_time else s


def quiet():
    """The exporter's tracer notes and the quantizer's pre-processing advice are expected: keep the log readable."""
    import logging
    import warnings
    logging.getLogger().setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    warnings.filterwarnings("ignore", message=".*aten::index.*")


def main():
    a = parse_args()
    quiet()
    work, staging = Path(a.work).resolve(), Path(a.out).resolve()
    torch.set_num_threads(a.threads)
    schema = load_schema(work)
    heads = schema["heads"]
    a.data_sha256 = file_hash(work / "schema.json", work / "train.jsonl")
    bdir, base_info = bases.resolve(a.base)
    tok = AutoTokenizer.from_pretrained(bdir)
    split_names = ["dev"] + (["test"] if (work / "test.jsonl").exists() else [])
    long_train, long_eval = long_plans(a, tok, heads)
    rows = load_rows(work / "train.jsonl")
    check_add_ons(a, heads, rows)
    enc = encode_rows(tok, rows, heads, a.max_length, "train.jsonl", long_train)
    splits = {s: (r := load_rows(work / f"{s}.jsonl"), encode_rows(tok, r, heads, a.max_length, f"{s}.jsonl", long_eval))
              for s in split_names}
    run = work / "run"
    t0 = time.time()
    a.augmented_sha256 = file_hash(a.augmented) if a.augmented else None
    summary = trained(run, a) or train(a, heads, tok, bdir, rows, enc, *splits["dev"], run)
    best = run / "best"
    staging.mkdir(parents=True, exist_ok=True)
    add_ons, records, document = fit_add_ons(a, heads, tok, best, rows, splits["dev"])
    part = export(a, best, heads, tok, splits, rows, enc, work, staging, add_ons, document)
    meta = json.load(open(best / "meta.json"))
    targs = meta["args"]
    manifest = {
        "heads": [{"name": h["name"], "kind": h["kind"], "output": o, "classes": len(h["labels"]),
                   **({"problem_type": h.get("problem_type", "single_label_classification")} if h["kind"] == "sequence" else {})}
                  for h, o in zip(heads, part["export"]["outputs"])],
        "base_model": base_info | {"model_type": AutoConfig.from_pretrained(bdir).model_type},
        "encoding": ("whitespace words, each tokenised alone, concatenated inside the model's special tokens; a word's "
                     "tag is on its first sub-token" if any(is_token(h) for h in heads) else "the whole text, tokenised once")
                    + f"; max_length {targs['max_length']}",
        **({"long": long_section(a, long_train, long_eval, enc, splits)} if long_train else {}),
        **records,
        "training": {"hyperparameters": {k: targs.get(k, FLAGS_ADDED_SINCE.get(k)) for k in FIXED if not k.endswith("_sha256")} | {"patience": targs["patience"]},
                     "loss": "sum over heads of cross-entropy (softmax heads; token heads over first sub-tokens) or "
                             "binary cross-entropy (multi-label heads); with --teacher-targets (1-alpha)*hard + "
                             "alpha*T^2*KD per head; --augmented rows have no label: alpha*T^2*KD only",
                     "optimizer": "AdamW (fused, no decay on biases/LayerNorm) + linear warmup/decay, grad clip 1.0",
                     "selection": "best dev score = mean of head metrics (accuracy / micro-F1 / span F1) + sentence "
                                  "accuracy when there are several heads",
                     "best_step": meta["dev"]["step"], "best_dev_torch": meta["dev"],
                     **{k: summary.get(k) for k in ("steps", "total_steps", "train_examples", "train_documents", "train_seconds",
                                                    "stopped", "kept_checkpoint", "teacher_coverage", "augmented_examples")},
                     "torch_threads": targs["threads"], "torch": torch.__version__, "python": platform.python_version()},
        **part,
    }
    if a.write_targets:
        texts = [r["text"] for r in rows]
        logits = word_logits(heads, enc, fp32_logits(work, heads, tok, enc, a))
        extra = []
        if a.targets_texts:  # e.g. augmented texts: the same fp32 ONNX, the same encoding as the training rows
            seen = set(texts)
            extra = [r for r in load_rows(a.targets_texts) if r["text"] not in seen]
            xenc = encode_rows(tok, extra, heads, a.max_length, "targets texts")
            more = word_logits(heads, xenc, fp32_logits(work, heads, tok, xenc, a)) if extra else {}
            texts += [r["text"] for r in extra]
            logits = {k: v + more.get(k, []) for k, v in logits.items()}
        write_targets(a.write_targets, texts, heads, logits)
        manifest["targets_written"] = {"path": a.write_targets, "rows": len(texts), "training_rows": len(rows),
                                       "extra_texts": len(extra)}
        log(f"teacher targets: {a.write_targets} ({Path(a.write_targets).stat().st_size / 1e6:.1f} MB, {len(texts)} texts)")
    json.dump(manifest, open(staging / "manifest.json", "w"), indent=2)
    log(f"python side done in {(time.time() - t0) / 60:.1f} min")


def check_add_ons(a, heads, rows):
    """Before training: --lexical / --nested-heads that the data cannot take stop here, not after the run."""
    import lexical
    import nested
    if a.lexical != "none":
        lexical.heads_to_fit(heads)
    if a.lexical == "tfidf-document" and a.long != "chunks":
        raise SystemExit("--lexical tfidf-document needs --long chunks (a one-window text has no document beyond its "
                         "window: --lexical tfidf is that head, inside the graph)")
    if a.nested_heads != "none":
        nested.pairs_or_exit(heads, rows)


def fit_add_ons(a, heads, tok, best, rows, dev):
    """--lexical, then --nested-heads (it mixes the logits the lexical head has changed): fitted after training (a
    finished run only re-exports) against the best checkpoint's dev logits. Returns ({model attribute: module},
    {manifest section: record}, (document head, its JSON) or None); modules whose dev-chosen weights are all 0 are left out,
    records kept. With --lexical tfidf-document both live in the document head, after the windows are combined."""
    import document_head
    import lexical
    import nested
    if a.lexical == "none" and a.nested_heads == "none":
        return {}, {}, None
    model = MultiHead(AutoConfig.from_pretrained(best), heads)
    model.load_state_dict(torch.load(best / "model.pt"))
    window_logits = lambda enc: torch_logits(model, heads, enc, tok.pad_token_id)[0]
    if a.lexical == "tfidf-document":
        head, records, spec = document_head.fit(a, heads, tok, rows, dev, window_logits, log)
        return {}, records, head and (head, spec)
    records = {}
    if a.lexical != "none":
        model.lexical, records["lexical"] = lexical.fit(a, heads, tok, rows, dev, window_logits, log)
    if a.nested_heads != "none":
        model.nested, records["nested_heads"] = nested.fit(a, heads, rows, dev, window_logits, log)
    return {k: getattr(model, k) for k in ("lexical", "nested") if getattr(model, k) is not None}, records, None


def long_plans(a, tok, heads):
    """(training, dev/test) window plans of --long chunks, or (None, None); the window is --max-length."""
    if a.long != "chunks":
        return None, None
    if any(is_token(h) for h in heads):
        raise SystemExit("--long chunks trains sequence heads only")
    prefix, suffix = special_affixes(tok)
    budget = a.max_length - len(prefix) - len(suffix)
    a.stride = a.stride or default_stride(budget)
    if not 1 <= a.stride <= budget:
        raise SystemExit(f"--stride must be in [1, {budget}] (the window's text tokens), got {a.stride}")
    return {"stride": a.stride, "max_chunks": a.max_chunks}, {"stride": a.stride, "max_chunks": a.eval_max_chunks}


def long_section(a, long_train, long_eval, enc, splits):
    """The manifest's record of the window plan and what it made of the data."""
    per_doc = lambda e: round(len(e["ids"]) / max(len(e["docs"]), 1), 3)
    return {"mode": "chunks", "window": a.max_length, "stride": a.stride, "aggregate": a.aggregate,
            "train_max_chunks": long_train["max_chunks"], "eval_max_chunks": long_eval["max_chunks"],
            "windows": "lib/postprocess/chunks.ts tokenChunks, mirrored in train/python/chunks.py: a window every stride "
                       "tokens, the last aligned to the end; training windows are the first train_max_chunks of each "
                       "document, each with the document's labels; dev/test documents combine all their windows "
                       "(up to eval_max_chunks) as classify/parse do",
            "train_documents": len(enc["docs"]), "train_windows": len(enc["ids"]), "windows_per_document":
                {"train": per_doc(enc)} | {s: per_doc(e) for s, (_, e) in splits.items()}}


def fp32_logits(work, heads, tok, enc, a):
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in tok.model_input_names]
    return Runner(work / "model_fp32.onnx", output_names(heads), names, a.threads).run(enc["ids"], tok.pad_token_id)


def word_logits(heads, enc, rows):
    """Per head, per row: sequence logits, or the logits at each word's first sub-token (NaN for words without one)."""
    out = {}
    for k, h in enumerate(heads):
        if is_token(h):
            nan = np.full(len(h["labels"]), np.nan, np.float32)
            out[h["name"]] = [np.stack([z[k][p] if p >= 0 else nan for p in first]) if first else
                              np.zeros((0, len(h["labels"])), np.float32) for z, first in zip(rows, enc["first"])]
        else:
            out[h["name"]] = [z[k] for z in rows]
    return out


if __name__ == "__main__":
    main()
