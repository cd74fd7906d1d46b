// npm run doctor on this machine: CPU always runs; a GPU provider either runs or says what stopped it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose, render } from '../scripts/doctor.js';
import { fixture } from './helpers.js';

describe('doctor', () => {
  it('reports the ONNX Runtime version, each provider, and the fix for what is missing', async () => {
    const report = await diagnose(path.resolve(fixture('tiny-bert'), '../../..'));
    expect(report.ortVersion).toBe(report.onnxruntimeNode);
    expect(report.providers.map((p) => p.provider)).toEqual(['cpu', 'cuda', 'tensorrt']);
    expect(report.providers[0]).toEqual({ provider: 'cpu', loads: true, runs: true });
    for (const p of report.providers.slice(1)) {
      if (!p.runs) expect(p.error).toMatch(/\S/);
      if (!p.loads) expect(p.error).not.toMatch(/npm run doctor/); // the loader's complaint, not the advice
    }
    const text = render(report);
    expect(text).toMatch(/^ONNX Runtime \d+\.\d+\.\d+ \(onnxruntime-node/);
    expect(text).toMatch(/ {2}cpu {7}OK \(loads and runs\)/);
    if (!report.setup) expect(text).toMatch(/npm run setup-gpu/);
    for (const m of report.missing) expect(text).toContain(m.soname);
  });
});
