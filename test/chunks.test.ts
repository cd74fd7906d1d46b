import { describe, expect, it } from 'vitest';
import { softmax } from '../lib/index.js';
import { aggregateLogits, headTail, longPlan, newPerWindow, ownedWordAnswers, tokenChunks, wordChunks, wordOwners } from '../lib/postprocess/chunks.js';

const plan = (budget: number, stride: number, maxChunks = 64) => ({ budget, stride, maxChunks });

describe('longPlan', () => {
  it('defaults to truncate, the model window, a 3/4 stride and weighted', () => {
    expect(longPlan({}, 128, 2)).toEqual({ mode: 'truncate', budget: 126, stride: 94, aggregate: 'weighted', maxChunks: 64 });
    expect(longPlan({ long: 'chunks', window: 64, stride: 10, aggregate: 'max' }, 128, 2)).toMatchObject({ budget: 62, stride: 10, aggregate: 'max' });
  });

  it.each([
    [{ long: 'split' }, 'options.long'],
    [{ window: 129 }, 'options.window'],
    [{ window: 2 }, 'options.window'],
    [{ stride: 0 }, 'options.stride'],
    [{ window: 10, stride: 9 }, 'options.stride'],
    [{ aggregate: 'sum' }, 'options.aggregate'],
    [{ maxChunks: 0 }, 'options.maxChunks'],
  ])('rejects %j naming %s', (o, path) => {
    expect(() => longPlan(o as never, 128, 2)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining(path) }));
  });
});

describe('tokenChunks / headTail', () => {
  it('keeps a short text whole', () => {
    expect(tokenChunks(10, plan(10, 5))).toEqual({ ranges: [{ start: 0, end: 10 }], truncated: false });
    expect(headTail(10, 10)).toEqual([{ start: 0, end: 10 }]);
  });

  it('steps by the stride, aligns the last window to the end and covers every token', () => {
    const { ranges, truncated } = tokenChunks(25, plan(10, 7));
    expect(ranges).toEqual([{ start: 0, end: 10 }, { start: 7, end: 17 }, { start: 14, end: 24 }, { start: 15, end: 25 }]);
    expect(truncated).toBe(false);
    for (let n = 11; n < 60; n++) {
      const r = tokenChunks(n, plan(10, 4)).ranges;
      expect(r.every((x) => x.end - x.start === 10)).toBe(true);
      for (let t = 0; t < n; t++) expect(r.some((x) => x.start <= t && t < x.end)).toBe(true);
    }
  });

  it('stops at maxChunks and says so', () => {
    const { ranges, truncated } = tokenChunks(1000, plan(10, 10, 3));
    expect(ranges).toEqual([{ start: 0, end: 10 }, { start: 10, end: 20 }, { start: 20, end: 30 }]);
    expect(truncated).toBe(true);
  });

  it('newPerWindow: what each window adds to the previous one, every token once', () => {
    const { ranges } = tokenChunks(25, plan(10, 7));
    expect(newPerWindow(ranges)).toEqual([{ start: 0, end: 10 }, { start: 10, end: 17 }, { start: 17, end: 24 }, { start: 24, end: 25 }]);
  });

  it('head-tail keeps the first quarter and the last three quarters', () => {
    expect(headTail(100, 20)).toEqual([{ start: 0, end: 5 }, { start: 85, end: 100 }]);
  });
});

describe('wordChunks / wordOwners', () => {
  const counts = [1, 3, 2, 1, 1, 4, 2, 2, 1, 3, 1, 1, 2];
  const offsets = counts.reduce((o, c) => [...o, o.at(-1)! + c], [0]);

  it('fills each window with whole words, advances by at least the stride (the last: aligned to the end), covers every word', () => {
    const { ranges, truncated } = wordChunks(counts, plan(8, 5));
    expect(truncated).toBe(false);
    expect(ranges[0].start).toBe(0);
    expect(ranges.at(-1)!.end).toBe(counts.length);
    ranges.forEach((r, k) => {
      expect(offsets[r.end] - offsets[r.start]).toBeLessThanOrEqual(8);
      if (r.end < counts.length) expect(offsets[r.end + 1] - offsets[r.start]).toBeGreaterThan(8);
      const next = ranges[k + 1];
      if (next) {
        expect(next.start).toBeGreaterThan(r.start);
        expect(next.start).toBeLessThanOrEqual(r.end);
        const last = k + 1 === ranges.length - 1;
        if (!last && next.start < r.end) expect(offsets[next.start] - offsets[r.start]).toBeGreaterThanOrEqual(5);
        // The last window ends at the end and is as full as whole words allow.
        if (last && next.start > r.start + 1) expect(offsets[counts.length] - offsets[next.start - 1]).toBeGreaterThan(8);
      }
    });
  });

  it('a word longer than the window gets a window of its own', () => {
    expect(wordChunks([2, 50, 2], plan(8, 4)).ranges).toEqual([{ start: 0, end: 1 }, { start: 1, end: 2 }, { start: 2, end: 3 }]);
  });

  it('splits an overlap at its middle: the earlier window keeps the first half', () => {
    const ranges = [{ start: 0, end: 6 }, { start: 2, end: 9 }, { start: 8, end: 10 }];
    expect(wordOwners(ranges, 10)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 2]);
    expect(wordOwners([{ start: 0, end: 3 }], 5)).toEqual([0, 0, 0, -1, -1]);
  });

  it('every word is owned by a window that holds it', () => {
    const { ranges } = wordChunks(counts, plan(6, 2));
    const owners = wordOwners(ranges, counts.length);
    owners.forEach((k, w) => expect(ranges[k].start <= w && w < ranges[k].end).toBe(true));
    expect([...owners].sort((a, b) => a - b)).toEqual(owners);
    const perWindow = ranges.map((r, k) => Array.from({ length: r.end - r.start }, (_, i) => `${k}:${r.start + i}`));
    expect(ownedWordAnswers(perWindow, ranges.map((r) => r.start), owners)).toEqual(owners.map((k, w) => `${k}:${w}`));
  });
});

describe('aggregateLogits', () => {
  const chunks = [
    [2, 0, -1],
    [0, 5, 1],
    [1, 1, 4],
  ];
  const close = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).forEach((x, i) => expect(x).toBeCloseTo(b[i], 12));

  it('returns one chunk unchanged', () => {
    expect(Array.from(aggregateLogits([[3, 1]], [9], 'max', false))).toEqual([3, 1]);
  });

  it("'mean' gives the softmax of the mean logits", () => {
    close(softmax(aggregateLogits(chunks, [1, 1, 1], 'mean', false)), softmax([1, 2, 4 / 3]));
  });

  it("'weighted' weighs each chunk by its tokens", () => {
    close(softmax(aggregateLogits(chunks, [3, 1, 0], 'weighted', false)), softmax([1.5, 1.25, -0.5]));
  });

  it("'max' takes each class's best chunk probability", () => {
    const best = [0, 1, 2].map((c) => Math.max(...chunks.map((z) => softmax(z)[c])));
    close(softmax(aggregateLogits(chunks, [1, 1, 1], 'max', false)), best.map((p) => p / best.reduce((a, b) => a + b)));
  });

  it('multi-label heads combine raw logits', () => {
    close(aggregateLogits(chunks, [1, 1, 1], 'max', true), [2, 5, 4]);
    close(aggregateLogits(chunks, [1, 1, 1], 'mean', true), [1, 2, 4 / 3]);
  });
});
