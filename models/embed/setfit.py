"""SetFit-style contrastive fine-tune of a sentence encoder on pairs built from a few labelled examples, then the
same export as the pretrained encoders (models/embed/export.py), so the engine loads the result like any embedder
folder and trains the head in Node (trainFewShot).

  python models/embed/setfit.py --base minilm --examples examples.json --out models/.work/setfit/<name>

examples.json: [{"text": ..., "label": ...}, ...]. Pairs as SetFit builds them: each iteration gives every example one
partner of its own label (target cosine 1) and one of another label (target 0); CosineSimilarityLoss (MSE on the
cosine), AdamW, one epoch, linear warm-up and decay. Why Python: backpropagation through the encoder needs PyTorch;
ONNX Runtime in Node only runs inference.
"""
import argparse
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import export  # noqa: E402
from prep import log  # noqa: E402  (export.py put train/python on the path)


def pairs(examples, iterations, rng):
    by_label = {}
    for e in examples:
        by_label.setdefault(e["label"], []).append(e["text"])
    out = []
    for _ in range(iterations):
        for e in examples:
            same = [t for t in by_label[e["label"]] if t != e["text"]] or by_label[e["label"]]
            other = rng.choice([l for l in by_label if l != e["label"]])
            out.append((e["text"], rng.choice(same), 1.0))
            out.append((e["text"], rng.choice(by_label[other]), 0.0))
    rng.shuffle(out)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="minilm, mpnet, or a sentence-transformers folder")
    p.add_argument("--examples", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--iterations", type=int, default=20, help="pairs per example per kind (SetFit's num_iterations)")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-5)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch = export.require("torch", "torch==2.13.0")
    st_pkg = export.require("sentence_transformers", "sentence-transformers")
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)

    examples = json.loads(args.examples.read_text())
    st = st_pkg.SentenceTransformer(str(export.base_dir(args.base)), device="cpu")
    st.max_seq_length = args.max_length
    data = pairs(examples, args.iterations, rng)
    steps = (len(data) + args.batch_size - 1) // args.batch_size
    opt = torch.optim.AdamW(st.parameters(), lr=args.lr)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    st.train()
    log(f"setfit: {len(examples)} examples -> {len(data)} pairs, {steps} steps")
    for step in range(steps):
        batch = data[step * args.batch_size:(step + 1) * args.batch_size]
        embed = lambda texts: st(st.tokenize(list(texts)))["sentence_embedding"]
        a, b = embed(x[0] for x in batch), embed(x[1] for x in batch)
        target = torch.tensor([x[2] for x in batch])
        loss = torch.nn.functional.mse_loss(torch.cosine_similarity(a, b), target)
        loss.backward()
        opt.step()
        sched.step()
        opt.zero_grad()
        if step % 50 == 0 or step == steps - 1:
            log(f"step {step + 1}/{steps} loss {loss.item():.4f}")
    st.eval()
    st_dir = args.out / "sentence-transformers"
    st.save(str(st_dir))
    # fp32: these encoders stay local (models/.work), and quantising each would double the time per draw.
    export.main(["--base", str(st_dir), "--out", str(args.out), "--n-texts", "64", "--threads", str(args.threads),
                 "--reference", str(args.out / "reference.json"), "--no-int8"])


if __name__ == "__main__":
    main()
