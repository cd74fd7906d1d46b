// models/scripts/make_gpu_models.py (the real-size GPU bench models of scripts/gpu-check.sh) on its tiny shape: the
// same export, fp16 conversion and checks in seconds. Its folders load in the engine, the fp16 twin answers within
// fp16 tolerance of the fp32 one, the bench's --gpu-models finds both, and a rerun reuses them.
// Needs Python with torch (npm run setup-python): skipped only outside CI when it is absent.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gpuModels } from '../bench/models.js';
import { loadClassifier } from '../lib/index.js';
import { findPython } from '../train/python-env.js';
import { maxAbsDiff, root, sampleTexts } from './helpers.js';

const script = path.join(root, 'models/scripts/make_gpu_models.py');
const { python } = findPython(root);
const make = (args: string[], py = python) => spawnSync(py, [script, ...args], { cwd: root, encoding: 'utf8' });
const env = make(['--check-env']);
const skip = env.status !== 0 && !process.env.CI;
const reason = skip ? ` (SKIPPED: CI is unset and ${python} cannot run it: ${(env.stderr || String(env.error)).trim()})` : '';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'gpu-models-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Made {
  recipe: { shapes: Record<string, unknown> };
  complete: boolean;
  models: { name: string; precision: string; folder: string; bytes: number; checks: Record<string, number> }[];
}

describe.skipIf(skip)(`make_gpu_models.py --shapes tiny${reason}`, { timeout: 180_000 }, () => {
  it('writes engine-loadable fp32 and fp16 folders, listed in models.json and found by the bench; a rerun reuses them', async () => {
    const out = path.join(tmp, 'made');
    const first = make(['--shapes', 'tiny', '--out', out]);
    expect(first.status, first.stderr).toBe(0);
    const made = JSON.parse(readFileSync(path.join(out, 'models.json'), 'utf8')) as Made;
    expect(Object.keys(made.recipe.shapes)).toEqual(['tiny']);
    expect(made.complete).toBe(true);
    expect(made.models.map((m) => `${m.name} | ${m.precision} | ${m.folder}`)).toEqual(['tiny shape fp32 | fp32 | tiny-shape-fp32', 'tiny shape fp16 | fp16 | tiny-shape-fp16']);
    const [fp32Dir, fp16Dir] = made.models.map((m) => path.join(out, m.folder));
    expect(made.models[1].checks.fp16_vs_fp32).toBeLessThanOrEqual(made.models[1].checks.bound);

    const fp32 = await loadClassifier(fp32Dir);
    const fp16 = await loadClassifier(fp16Dir);
    try {
      expect(fp16.engine.outputs[0].type).toBe('float32'); // keep_io_types: the fp16 graph still returns float32 logits
      expect(fp32.labels).toEqual(['NEGATIVE', 'POSITIVE']);
      const [full, half] = await Promise.all([fp32.classify(sampleTexts), fp16.classify(sampleTexts)]);
      for (let i = 0; i < sampleTexts.length; i++) expect(maxAbsDiff(half[i].scores.map((s) => s.score), full[i].scores.map((s) => s.score))).toBeLessThan(1e-2);
    } finally {
      await Promise.all([fp32.dispose(), fp16.dispose()]);
    }

    const choice = gpuModels(root, { modelsDir: out, only: ['tiny shape'] });
    expect(choice.targets.map((t) => `${t.name} ${t.precision} ${t.modelFile}`)).toEqual([
      `tiny shape fp32 fp32 ${path.join(fp32Dir, 'model.onnx')}`, `tiny shape fp16 fp16 ${path.join(fp16Dir, 'model.onnx')}`]);

    const written = statSync(path.join(fp32Dir, 'model.onnx')).mtimeMs;
    const again = make(['--shapes', 'tiny', '--out', out]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already holds tiny shape fp32, tiny shape fp16/);
    expect(statSync(path.join(fp32Dir, 'model.onnx')).mtimeMs).toBe(written);
  });

  it('names the missing package and the pip line (exit 3) when the Python lacks one', () => {
    expect(env.stdout).toMatch(/has every package/);
    const bare = spawnSync(python, ['-S', script, '--check-env'], { cwd: root, encoding: 'utf8' }); // -S: no site-packages
    expect(bare.status).toBe(3);
    expect(bare.stderr).toMatch(/lacks the Python package '\w+': pip install -r models\/requirements\.txt \(or: npm run setup-python\)/);
  });
});
