import { describe, expect, it } from 'vitest';
import { sigmoid, softmax } from '../lib/postprocess/activations.js';
import { decodeSequence } from '../lib/postprocess/sequence.js';

const labels = ['neg', 'neu', 'pos'];

describe('activations', () => {
  it('softmax sums to one, is stable for large logits and flattens with temperature', () => {
    const p = softmax([1000, 1001, 999]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[1]).toBeGreaterThan(p[0]);
    const hot = softmax([2, 0, 0], 4);
    expect(hot[0]).toBeLessThan(softmax([2, 0, 0])[0]);
    expect(hot[0]).toBeCloseTo(Math.exp(0.5) / (Math.exp(0.5) + 2), 12);
  });

  it('sigmoid is independent per label', () => {
    expect(Array.from(sigmoid([0, 100, -100]))).toEqual([0.5, 1, expect.closeTo(0, 12)]);
  });
});

describe('decodeSequence', () => {
  it('ranks labels and applies top-k', () => {
    const r = decodeSequence([0.1, 0.2, 3], { labels, multiLabel: false, temperature: 1, topK: 2 });
    expect(r.label).toBe('pos');
    expect(r.labels).toEqual(['pos']);
    expect(r.scores.map((s) => s.label)).toEqual(['pos', 'neu']);
    expect(r.score).toBeCloseTo(r.scores[0].score, 12);
  });

  it('abstains with label null below the threshold, keeping the scores', () => {
    const r = decodeSequence([0, 0.1, 0.2], { labels, multiLabel: false, temperature: 1, threshold: 0.9 });
    expect(r.label).toBeNull();
    expect(r.labels).toEqual([]);
    expect(r.scores).toHaveLength(3);
  });

  it('multi-label keeps every label at or above the threshold (default 0.5)', () => {
    const r = decodeSequence([2, -2, 0.5], { labels, multiLabel: true, temperature: 1 });
    expect(r.labels).toEqual(['neg', 'pos']);
    expect(r.label).toBe('neg');
    const none = decodeSequence([-2, -2, -3], { labels, multiLabel: true, temperature: 1 });
    expect(none.label).toBeNull();
    expect(none.labels).toEqual([]);
  });
});
