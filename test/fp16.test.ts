// A plain fp16 export (float16 weights and logits, made by models/fp16.py) loads; the engine widens its outputs to
// float32 and they match the fp32 twin within fp16 tolerance, alone and batched.
import { describe, expect, it } from 'vitest';
import { loadClassifier } from '../lib/index.js';
import { fixture, maxAbsDiff, sampleTexts } from './helpers.js';

const TOLERANCE = 1e-2; // fp16 keeps ~3 significant digits; probabilities are in [0, 1]

describe('fp16 outputs', () => {
  it('loads a float16-output model and matches its fp32 twin', async () => {
    const fp16 = await loadClassifier(fixture('tiny-bert-fp16'), { maxBatchSize: 8 });
    const fp32 = await loadClassifier(fixture('tiny-bert'), { maxBatchSize: 8 });
    try {
      expect(fp16.engine.outputs).toEqual([expect.objectContaining({ name: 'logits', type: 'float16' })]);
      expect(fp32.engine.outputs[0].type).toBe('float32');
      const [half, full] = await Promise.all([fp16.classify(sampleTexts), fp32.classify(sampleTexts)]);
      for (let i = 0; i < sampleTexts.length; i++) {
        expect(half[i].scores).toHaveLength(2);
        expect(maxAbsDiff(half[i].scores.map((s) => s.score), full[i].scores.map((s) => s.score))).toBeLessThan(TOLERANCE);
        const margin = Math.abs(full[i].scores[0].score - full[i].scores[1].score);
        if (margin > 2 * TOLERANCE) expect(half[i].label).toBe(full[i].label);
      }
      // One at a time gives the same float16 answers as the batch above.
      for (let i = 0; i < sampleTexts.length; i++) {
        const alone = await fp16.classify(sampleTexts[i]);
        expect(maxAbsDiff(alone.scores.map((s) => s.score), half[i].scores.map((s) => s.score))).toBeLessThan(2e-3);
      }
    } finally {
      await Promise.all([fp16.dispose(), fp32.dispose()]);
    }
  });
});
