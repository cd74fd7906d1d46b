"""The few-shot anchor recomputed on the engine's own draws: scikit-learn's LogisticRegression (default C = 1) on
sentence-transformers fp32 embeddings of the same examples, scored on the same test rows, so the Node head can be
compared with Python example for example rather than only with the issue's anchors (other draws).

  npm run eval -- fewshot --model models/embed-minilm-l6 --dump draws.json
  python models/embed/fewshot_reference.py draws.json [--base minilm]
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import export  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("draws", type=Path)
    p.add_argument("--base", default="minilm")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch = export.require("torch", "torch==2.13.0")
    st_pkg = export.require("sentence_transformers", "sentence-transformers")
    lm = export.require("sklearn.linear_model", "scikit-learn")
    metrics = export.require("sklearn.metrics", "scikit-learn")
    torch.set_num_threads(args.threads)
    st = st_pkg.SentenceTransformer(str(export.base_dir(args.base)), device="cpu")
    for name, d in json.loads(args.draws.read_text()).items():
        test = st.encode([r["text"] for r in d["test"]], batch_size=64)
        gold = [r["label"] for r in d["test"]]
        accs, f1s = [], []
        for examples in d["examples"]:
            x = st.encode([e["text"] for e in examples], batch_size=64)
            clf = lm.LogisticRegression(max_iter=5000).fit(x, [e["label"] for e in examples])
            pred = clf.predict(test)
            accs.append(metrics.accuracy_score(gold, pred))
            f1s.append(metrics.f1_score(gold, pred, average="macro"))
        print(f"{name}: accuracy {100 * np.mean(accs):.2f} % (seeds {', '.join(f'{100 * a:.2f}' for a in accs)}), "
              f"macro-F1 {np.mean(f1s):.3f}, {len(d['examples'][0])} examples per draw", flush=True)


if __name__ == "__main__":
    main()
