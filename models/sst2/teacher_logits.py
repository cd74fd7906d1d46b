"""Write a teacher's logits for every train.tsv row, for `train.py --distill-from`.

  python models/sst2/teacher_logits.py --run mpnet   # -> models/.work/mpnet/train_logits.npy

Uses the exported fp32 ONNX of the run (ORT is ~2x faster than torch on CPU). Rows are aligned with
train.tsv, held-out rows included (train.py never trains on them, so no leak into model selection).
"""
import argparse

import numpy as np
from transformers import AutoTokenizer

from common import DATA, WORK, log, read_tsv
from export import Runner


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--run", required=True)
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    rdir = WORK / a.run
    tok = AutoTokenizer.from_pretrained(rdir / "best")
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if "token_type_ids" in tok.model_input_names else [])
    sents, labels = read_tsv(DATA / "train.tsv")
    runner = Runner(rdir / "model_fp32.onnx", tok, a.max_length, names, a.threads)
    logits = np.concatenate([runner.logits(sents[i:i + 4096]) for i in range(0, len(sents), 4096)])
    np.save(rdir / "train_logits.npy", logits)
    log(f"wrote {rdir / 'train_logits.npy'} {logits.shape}; teacher train acc {(logits.argmax(-1) == labels).mean():.4f}")


if __name__ == "__main__":
    main()
