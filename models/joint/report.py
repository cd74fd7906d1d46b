"""Results tables (markdown) for the six models from their manifests and Python predictions, incl. the dual
(two single-task models) vs joint/consolidated comparison.

  python models/joint/report.py
"""
import json

import numpy as np

from common import WORK, model_name, out_dir

SPLITS, PRECISIONS = ("dev", "test"), ("fp32", "int8")
# The first multi-head runs (3 epochs, as much as each single-task model), kept in .work/ by hand for comparison:
# cp -r models/<name> models/.work/joint/<name>-3ep/folder before retraining. Shown only where present.
THREE_EPOCH = {t: WORK / f"{n}-3ep" / "folder" for t, n in (("snips", "snips-joint-minilm"),
                                                            ("massive", "massive-consolidated-minilm"))}


def preds(task, heads, split, k):
    p = json.load(open(WORK / model_name(task, heads) / f"py_preds_{split}_{k}.json"))["preds"]
    return [{h: v["pred"] == v["gold"] for h, v in r["heads"].items()} for r in p]


def pct(x):
    return f"{100 * x:.2f}"


def table(task, multis, singles, cols):
    """multis: [(row label, folder)]; cols: [(title, head, metric key)]; head 'both' = every head right
    (the multi-head model's sentence accuracy; for the dual pair: both single-task models right)."""
    lines = ["| model | " + " | ".join(f"{s} {t}" for s in SPLITS for t, _, _ in cols) + " |",
             "|" + "---|" * (1 + len(SPLITS) * len(cols))]
    for k in PRECISIONS:
        dual = []
        for s in SPLITS:
            ok = {h: preds(task, [h], s, k) for h in singles}
            for _, h, key in cols:
                if h == "both":
                    dual.append(float(np.mean([all(ok[x][i][x] for x in singles) for i in range(len(ok[singles[0]]))])))
                else:
                    dual.append(json.load(open(out_dir(task, [h]) / "manifest.json"))["metrics"][k][s][key])
        lines.append(f"| dual ({' + '.join(model_name(task, [h]) for h in singles)}) {k} | "
                     + " | ".join(pct(v) for v in dual) + " |")
        for label, folder in [m for m in multis if (m[1] / "manifest.json").exists()]:  # 3-ep rows: where kept
            m = json.load(open(folder / "manifest.json"))["metrics"][k]
            v = [m[s][key] for s in SPLITS for _, _, key in cols]
            lines.append(f"| {label} {k} | " + " | ".join(pct(x) for x in v) + " |")
            lines.append("| &nbsp;&nbsp;minus dual (points) | " + " | ".join(f"{100 * (a - b):+.2f}" for a, b in zip(v, dual)) + " |")
    return "\n".join(lines)


def sizes():
    lines = ["| model | model.onnx (int8) | fp32 optimised | T | best step / steps | train min |", "|---|---|---|---|---|---|"]
    folders = [out_dir(t, h) for t, h in (("snips", ["intent", "slots"]), ("massive", ["intent", "scenario"]),
                                          ("snips", ["intent"]), ("snips", ["slots"]), ("massive", ["intent"]),
                                          ("massive", ["scenario"]))]
    for folder in folders + [f for f in map(THREE_EPOCH.get, ("snips", "massive")) if f.exists()]:
        m = json.load(open(folder / "manifest.json"))
        t = m["training"]
        T = ", ".join(f"{h} {v:.3f}" for h, v in m["calibration"]["temperature"].items()) or "-"
        name = m["name"] + (" (3 ep)" if "3ep" in str(folder) else "")
        lines.append(f"| {name} | {m['files_bytes']['model.onnx'] / 1e6:.1f} MB | "
                     f"{m['export']['fp32_optimised_model']['bytes'] / 1e6:.1f} MB | {T} | {t['best_step']} / {t['steps']} | "
                     f"{(t['train_seconds'] or 0) / 60:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print("SNIPS (intent accuracy, slot micro-F1, sentence accuracy = intent and all word tags right), %\n")
    multis = [("snips-joint-minilm (6 ep)", out_dir("snips", ["intent", "slots"])),
              ("joint, 3 ep (not committed)", THREE_EPOCH["snips"])]
    print(table("snips", multis, ["intent", "slots"],
                [("intent", "intent", "intent_accuracy"), ("slot F1", "slots", "slots_f1"),
                 ("sentence", "both", "sentence_accuracy")]))
    print("\nMASSIVE en-US (intent / scenario accuracy; both = both right), %\n")
    multis = [("massive-consolidated-minilm (6 ep)", out_dir("massive", ["intent", "scenario"])),
              ("consolidated, 3 ep (not committed)", THREE_EPOCH["massive"])]
    print(table("massive", multis, ["intent", "scenario"],
                [("intent", "intent", "intent_accuracy"), ("scenario", "scenario", "scenario_accuracy"),
                 ("both", "both", "sentence_accuracy")]))
    print("\nFiles, temperature, training\n")
    print(sizes())
