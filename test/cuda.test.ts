// The engine on CUDA: CPU parity, a 5,000-call burst, inline runs, dispose with calls in flight. Skipped (with the reason in the
// suite name) where the CUDA provider does not load; scripts/gpu-check.sh runs it on a GPU machine and counts skips
// as a failure there. TEXTCLF_REQUIRE_CUDA=1 turns the skip into a failing test.
import { describe, expect, it } from 'vitest';
import { loadSentences } from '../bench/workloads.js';
import { probeProvider } from '../bench/providers.js';
import { DisposedError, loadClassifier, type Classification } from '../lib/index.js';
import { fixture } from './helpers.js';

// The provider library loads and a session opens on device 0; otherwise the loader's complaint.
const why = await probeProvider('cuda', fixture('tiny-bert/model.onnx'));
const texts = loadSentences().sentences.slice(0, 256);
// fp16 keeps ~3 significant digits; fp32 on the GPU differs from the CPU only in summation order.
const MODELS = [{ name: 'tiny-bert', tolerance: 1e-3 }, { name: 'tiny-bert-fp16', tolerance: 1e-2 }];

const scores = (r: Classification) => r.scores.map((s) => s.score);
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

if (why && process.env.TEXTCLF_REQUIRE_CUDA === '1') {
  it('the CUDA provider loads', () => expect.fail(`CUDA unavailable: ${why}`));
}

describe.skipIf(why !== null)(`CUDA${why ? ` (skipped: ${why})` : ''}`, () => {
  for (const { name, tolerance } of MODELS) {
    it(`${name}: CUDA answers equal the CPU's (256 texts, batched)`, async () => {
      const gpu = await loadClassifier(fixture(name), { executionProvider: 'cuda' });
      const cpu = await loadClassifier(fixture(name), { executionProvider: 'cpu' });
      try {
        expect(gpu.engine.provider).toBe('cuda');
        const [g, c] = await Promise.all([gpu.classify(texts), cpu.classify(texts)]);
        let worst = 0;
        for (let i = 0; i < texts.length; i++) {
          worst = Math.max(worst, maxDiff(scores(g[i]), scores(c[i])));
          const margin = Math.abs(c[i].scores[0].score - c[i].scores[1].score);
          if (margin > 2 * tolerance) expect(g[i].label).toBe(c[i].label);
        }
        expect(worst).toBeLessThan(tolerance);
      } finally {
        await Promise.all([gpu.dispose(), cpu.dispose()]);
      }
    });
  }

  it('5,000 concurrent calls settle with the answers of one-by-one calls', async () => {
    const clf = await loadClassifier(fixture('tiny-bert'), { executionProvider: 'cuda', maxQueue: 8192 });
    try {
      const alone = new Map<string, number[]>();
      for (const t of texts) alone.set(t, scores(await clf.classify(t)));
      const burst = await Promise.all(Array.from({ length: 5000 }, (_, i) => clf.classify(texts[i % texts.length])));
      let worst = 0;
      burst.forEach((r, i) => (worst = Math.max(worst, maxDiff(scores(r), alone.get(texts[i % texts.length])!))));
      expect(worst).toBeLessThan(1e-3);
      expect(Math.max(...burst.map((r) => r.timing.batchSize))).toBeGreaterThan(1);
    } finally {
      await clf.dispose();
    }
  });

  it('inlineWhenIdle on CUDA: a lone call runs on the JS thread with the batched answer', async () => {
    const inline = await loadClassifier(fixture('tiny-bert'), { executionProvider: 'cuda', inlineWhenIdle: true });
    const queued = await loadClassifier(fixture('tiny-bert'), { executionProvider: 'cuda' });
    try {
      for (const t of texts.slice(0, 32)) {
        const [a, b] = [await inline.classify(t), await queued.classify(t)];
        expect(maxDiff(scores(a), scores(b))).toBeLessThan(1e-5);
      }
      expect(inline.engine.stats().requests).toBe(0); // every one ran inline, none through the batcher
    } finally {
      await Promise.all([inline.dispose(), queued.dispose()]);
    }
  });

  it('dispose() with 500 calls in flight settles every one of them', async () => {
    const clf = await loadClassifier(fixture('tiny-bert'), { executionProvider: 'cuda' });
    const calls = Array.from({ length: 500 }, (_, i) => clf.classify(texts[i % texts.length]));
    await clf.dispose();
    const settled = await Promise.allSettled(calls);
    expect(settled).toHaveLength(500);
    for (const s of settled) if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(DisposedError);
  });
});
