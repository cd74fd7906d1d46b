"""A tiny random-weight BERT base (2 layers x 32, the fixtures' shape) with MiniLM's real tokenizer, for tests:
`--base <this folder>` trains in seconds through exactly the code path of a real base.

  python train/python/tiny_base.py --out /tmp/tiny-base
"""
import argparse
import shutil
from pathlib import Path

import torch
from transformers import AutoTokenizer, BertConfig, BertModel

from prep import minilm_dir


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    a = p.parse_args()
    out = Path(a.out)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tok = AutoTokenizer.from_pretrained(minilm_dir())
    torch.manual_seed(1234)
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=128, pad_token_id=tok.pad_token_id)
    BertModel(cfg).save_pretrained(tmp)
    tok.save_pretrained(tmp)
    tmp.rename(out)  # whole folder or nothing: tests cache it by existence
    print(out)


if __name__ == "__main__":
    main()
