// Few-shot (b): the encoder fine-tuned SetFit-style on pairs built from the examples. Backpropagation through a
// transformer needs PyTorch, so this runs models/embed/setfit.py, which fine-tunes and exports an embedder folder;
// the head is then trained in Node like any other (trainFewShot).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadEmbedder, type Embedder } from '../../lib/index.js';
import { EvalError, repoRoot } from '../data.js';
import type { Labelled } from './few-shot-data.js';

/** --python, then $TEXTCLF_PYTHON, then the repo's .venv, then python3. */
export function findPython(flag?: string): string {
  const venv = path.join(repoRoot(), '.venv', 'bin', 'python');
  return flag ?? process.env.TEXTCLF_PYTHON ?? (existsSync(venv) ? venv : 'python3');
}

/** Fine-tunes (or reuses, when the same examples were trained before) and loads the exported encoder. */
export async function setFitEncoder(
  examples: Labelled[],
  setName: string,
  seed: number,
  ctx: { modelDir: string; python?: string; log: (line: string) => void },
): Promise<Embedder> {
  const manifest = JSON.parse(readFileSync(path.join(ctx.modelDir, 'manifest.json'), 'utf8')) as { base_model?: { source?: string } };
  const base = manifest.base_model?.source;
  if (!base) throw new EvalError(`${ctx.modelDir}/manifest.json names no base_model.source to fine-tune (made by models/embed/export.py?)`);
  const hash = createHash('sha256').update(JSON.stringify({ base, examples, seed })).digest('hex').slice(0, 12);
  const out = path.join(repoRoot(), 'models', '.work', 'setfit', `${setName}-${examples.length}-${seed}-${hash}`);
  if (!existsSync(path.join(out, 'manifest.json'))) {
    mkdirSync(out, { recursive: true });
    const file = path.join(out, 'examples.json');
    writeFileSync(file, JSON.stringify(examples));
    const python = findPython(ctx.python);
    const script = path.join(repoRoot(), 'models', 'embed', 'setfit.py');
    ctx.log(`setfit: ${python} ${path.relative(process.cwd(), script)} (${setName}, seed ${seed}, ${examples.length} examples)`);
    const run = spawnSync(python, [script, '--base', base, '--examples', file, '--seed', String(seed), '--out', out], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (run.error) throw new EvalError(`cannot run ${python}: ${run.error.message} (pass --python or set TEXTCLF_PYTHON)`);
    if (run.status !== 0) throw new EvalError(`models/embed/setfit.py failed (exit ${run.status}); see its output above`);
  }
  return loadEmbedder(out);
}
