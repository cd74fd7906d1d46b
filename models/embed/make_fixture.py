"""The tiny embedder fixture test/fixtures/tiny-embed: a random-weight BERT (hidden 32, 2 layers, the reduced MiniLM
vocabulary of make_fixtures.py) saved as a sentence-transformers folder (mean pooling + Normalize), then put through
the same export.py as the real encoders, so the tests check the engine against sentence-transformers itself.

  python models/embed/make_fixture.py

Writes model.onnx (fp32), model_int8.onnx (static int8, MatMul + Gather), the folder description, manifest.json and
reference.json (the texts, sentence-transformers' embeddings, and each pooling mode's unnormalised vectors).
"""
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "scripts"))
import export  # noqa: E402
from make_fixtures import (SEED, TokenizerFiles, bert_config, load_minilm_tokenizer, reduce_tokenizer,  # noqa: E402
                           tokenizer_config)

REPO = HERE.parents[1]
OUT = REPO / "test" / "fixtures" / "tiny-embed"
ST_DIR = REPO / "models" / ".work" / "tiny-embed-st"  # git-ignored: the PyTorch side of the fixture

TEXTS = [
    "Hello world, this is a test!",
    "Café naïve — 東京",
    "a",
    "",
    "The quick brown fox jumps over the lazy dog.",
    "Play the new album by the artist on my favourite music service, and tell me the weather for tomorrow "
    "morning in a much longer sentence than the others.",
    "great movie",
    "what a terrible, boring film",
]
CALIBRATION = [
    "set an alarm for seven in the morning", "how is the weather in paris", "a gorgeous, witty, seductive movie",
    "the stock market fell sharply today", "turn the lights off in the kitchen", "play some jazz music",
    "who won the game last night", "remind me to call mom", "it is a dull and lifeless story",
    "new phone released with a better camera", "order a pizza for delivery", "what time is it in tokyo",
] * 2


def main():
    import torch
    from transformers import BertModel
    tok = TokenizerFiles(reduce_tokenizer(load_minilm_tokenizer()[0]), tokenizer_config(load_minilm_tokenizer()[1]))
    config = bert_config(tok)
    config.architectures = ["BertModel"]
    torch.manual_seed(SEED)
    model = BertModel(config, add_pooling_layer=False).eval()
    shutil.rmtree(ST_DIR, ignore_errors=True)
    (ST_DIR / "1_Pooling").mkdir(parents=True)
    model.save_pretrained(ST_DIR)
    tok.write(ST_DIR)
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
               {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
    (ST_DIR / "modules.json").write_text(json.dumps(modules, indent=2) + "\n")
    (ST_DIR / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": config.hidden_size, "pooling_mode_mean_tokens": True}, indent=2) + "\n")
    (ST_DIR / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 64, "do_lower_case": False}) + "\n")

    shutil.rmtree(OUT, ignore_errors=True)
    scratch = REPO / "models" / ".work" / "tiny-embed-texts"
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "texts.json").write_text(json.dumps(TEXTS))
    (scratch / "calibration.json").write_text(json.dumps(CALIBRATION))
    export.main(["--base", str(ST_DIR.relative_to(REPO)), "--out", str(OUT.relative_to(REPO)),
                 "--texts", str((scratch / "texts.json").relative_to(REPO)),
                 "--calibration", str((scratch / "calibration.json").relative_to(REPO)),
                 "--reference", str((OUT / "reference.json").relative_to(REPO)), "--reference-modes",
                 "--fp32-name", "model.onnx", "--int8-name", "model_int8.onnx", "--threads", "1"])
    size = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    assert size < 1_500_000, f"tiny-embed is {size} bytes"
    print(f"tiny-embed: {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
