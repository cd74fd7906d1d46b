import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidLabelsError,
  loadEmbedder,
  loadFewShot,
  ModelLoadError,
  TooFewExamplesError,
  trainFewShot,
  UnknownLabelError,
  ZeroShotClassifier,
  type Embedder,
} from '../lib/index.js';
import { fitLogistic, logits } from '../lib/logistic.js';
import { fixture } from './helpers.js';

let embedder: Embedder;
beforeAll(async () => {
  embedder = await loadEmbedder(fixture('tiny-embed'));
});
afterAll(() => embedder.dispose());

describe('zero-shot', () => {
  it('scores each label by cosine to its prompt: a text equal to a prompt gets that label', async () => {
    const zs = new ZeroShotClassifier(embedder);
    const labels = { sport: 'football match tonight', cooking: 'a recipe for bread', weather: 'rain tomorrow' };
    for (const [label, description] of Object.entries(labels)) {
      const r = await zs.classify(description, { labels });
      expect(r.label).toBe(label);
      expect(r.scores.map((s) => s.label).sort()).toEqual(Object.keys(labels).sort());
      expect(r.scores.reduce((a, s) => a + s.score, 0)).toBeCloseTo(1, 6);
      expect(r.tokens).toBeGreaterThan(2);
      expect(r.timing.batchSize).toBeGreaterThanOrEqual(1);
    }
  });

  it('the score is softmax(scale * cosine); a label described several ways uses the mean of its prompts', async () => {
    const zs = new ZeroShotClassifier(embedder);
    const [a, b, c, text] = await embedder.embed(['good film', 'great movie', 'awful film', 'I liked it'], { normalize: true });
    const proto = a.map((x, i) => x + b[i]);
    const norm = Math.hypot(...proto);
    const cosPos = proto.reduce((s, x, i) => s + (x / norm) * text[i], 0);
    const cosNeg = c.reduce((s, x, i) => s + x * text[i], 0);
    const r = await zs.classify('I liked it', { labels: { positive: ['good film', 'great movie'], negative: 'awful film' }, scale: 10 });
    const expected = 1 / (1 + Math.exp(-10 * (cosPos - cosNeg)));
    expect(r.scores.find((s) => s.label === 'positive')!.score).toBeCloseTo(expected, 5);
  });

  it('embeds each prompt once and caches it across calls', async () => {
    const e = await loadEmbedder(fixture('tiny-embed'));
    try {
      const zs = new ZeroShotClassifier(e);
      const options = { labels: ['alpha', 'beta', 'gamma'], template: 'about {}' };
      await zs.classify(['one', 'two'], options);
      const after = e.engine.stats().requests;
      await zs.classify(['three', 'four'], options);
      expect(e.engine.stats().requests - after).toBe(2); // the two texts, no prompt again
    } finally {
      await e.dispose();
    }
  });

  it('abstains below the threshold; multiLabel gives independent sigmoids', async () => {
    const zs = new ZeroShotClassifier(embedder);
    const labels = ['alpha', 'beta', 'gamma'];
    const abstain = await zs.classify('hello', { labels, threshold: 0.999 });
    expect(abstain.label).toBeNull();
    expect(abstain.scores).toHaveLength(3);
    const ml = await zs.classify('alpha', { labels, multiLabel: true, threshold: 0.5 });
    expect(ml.scores.reduce((a, s) => a + s.score, 0)).not.toBeCloseTo(1, 3);
    expect(ml.labels).toContain('alpha');
  });

  it('rejects empty and duplicate label lists and bad options with typed errors', async () => {
    const zs = new ZeroShotClassifier(embedder);
    await expect(zs.classify('x', { labels: [] })).rejects.toBeInstanceOf(InvalidLabelsError);
    await expect(zs.classify('x', { labels: {} })).rejects.toMatchObject({ code: 'ERR_INVALID_LABELS' });
    await expect(zs.classify('x', { labels: ['a', 'b', 'a'] })).rejects.toThrow(/"a" is given twice/);
    await expect(zs.classify('x', { labels: { a: [] } })).rejects.toBeInstanceOf(InvalidLabelsError);
    await expect(zs.classify('x', { labels: ['a', 'b'], template: 'no slot' })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(zs.classify('x', { labels: ['a', 'b'], scale: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(zs.classify(['x', 3 as never], { labels: ['a', 'b'] })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
  });
});

describe('logistic head', () => {
  it('reaches the regularised optimum: the gradient vanishes', () => {
    const x = [
      [1, 0.2, -0.3],
      [0.9, 0.1, 0],
      [-0.2, 1, 0.4],
      [0, 0.8, 0.5],
      [0.1, -0.5, 1],
      [-0.3, 0, 0.9],
    ];
    const y = [0, 0, 1, 1, 2, 2];
    const head = fitLogistic(x, y, 3, { l2: 0.5, tolerance: 1e-7, maxIterations: 20000 });
    const grad = head.weights.map((w) => w.map((v) => 0.5 * v));
    const gradBias = [0, 0, 0];
    x.forEach((row, n) => {
      const z = logits(head, row);
      const max = Math.max(...z);
      const e = z.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, b) => a + b, 0);
      e.forEach((p, c) => {
        const g = p / sum - (c === y[n] ? 1 : 0);
        row.forEach((v, d) => (grad[c][d] += g * v));
        gradBias[c] += g;
      });
    });
    for (const g of [...grad.flat(), ...gradBias]) expect(Math.abs(g)).toBeLessThan(1e-5);
    x.forEach((row, n) => expect(logits(head, row).indexOf(Math.max(...logits(head, row)))).toBe(y[n]));
  });
});

const EXAMPLES = [
  { text: 'the team won the football match', label: 'sport' },
  { text: 'a great goal in the second half', label: 'sport' },
  { text: 'the players trained before the game', label: 'sport' },
  { text: 'bake the bread for forty minutes', label: 'cooking' },
  { text: 'add salt and pepper to the soup', label: 'cooking' },
  { text: 'mix the flour with two eggs', label: 'cooking' },
  { text: 'heavy rain is expected tomorrow', label: 'weather' },
  { text: 'sunny and warm all week', label: 'weather' },
  { text: 'a cold wind from the north tonight', label: 'weather' },
];

describe('few-shot (logistic head on frozen embeddings)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'few-shot-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fits its examples and answers in the classify result shape', async () => {
    const clf = await trainFewShot(embedder, EXAMPLES, { l2: 1e-3 });
    expect(clf.labels).toEqual(['sport', 'cooking', 'weather']);
    const results = await clf.classify(EXAMPLES.map((e) => e.text));
    results.forEach((r, i) => {
      expect(r.label).toBe(EXAMPLES[i].label);
      expect(r.scores.reduce((a, s) => a + s.score, 0)).toBeCloseTo(1, 6);
      expect(r.tokens).toBeGreaterThan(2);
    });
    const abstain = await clf.classify('something else', { threshold: 0.9999999 });
    expect(abstain.label).toBeNull();
  });

  it('saves head.json beside a relative encoder path and loads to the same scores', async () => {
    const clf = await trainFewShot(embedder, EXAMPLES, { labels: ['weather', 'sport', 'cooking'] });
    const saved = path.join(dir, 'head');
    await clf.save(saved);
    const file = JSON.parse(readFileSync(path.join(saved, 'head.json'), 'utf8'));
    expect(path.isAbsolute(file.encoder)).toBe(false);
    const loaded = await loadFewShot(saved);
    try {
      const texts = ['rain and wind', 'a match tonight', 'soup recipe'];
      const [a, b] = [await clf.classify(texts), await loaded.classify(texts)];
      expect(b.map((r) => r.scores)).toEqual(a.map((r) => r.scores));
      expect(loaded.labels).toEqual(['weather', 'sport', 'cooking']);
    } finally {
      await loaded.dispose();
    }
  });

  it('refuses a head file that does not fit', async () => {
    const bad = path.join(dir, 'bad');
    await trainFewShot(embedder, EXAMPLES).then((c) => c.save(bad));
    const file = JSON.parse(readFileSync(path.join(bad, 'head.json'), 'utf8'));
    writeFileSync(path.join(bad, 'head.json'), JSON.stringify({ ...file, labels: ['only-one'] }));
    await expect(loadFewShot(bad)).rejects.toBeInstanceOf(ModelLoadError);
    await expect(loadFewShot(path.join(dir, 'missing'))).rejects.toBeInstanceOf(ModelLoadError);
  });

  it('rejects bad training input with typed errors', async () => {
    await expect(trainFewShot(embedder, EXAMPLES, { labels: [] })).rejects.toBeInstanceOf(InvalidLabelsError);
    await expect(trainFewShot(embedder, [])).rejects.toBeInstanceOf(InvalidLabelsError);
    await expect(trainFewShot(embedder, EXAMPLES, { labels: ['sport', 'cooking', 'weather', 'sport'] })).rejects.toThrow(/"sport" is given twice/);
    await expect(trainFewShot(embedder, [...EXAMPLES, { text: 'elections today', label: 'politics' }])).rejects.toBeInstanceOf(TooFewExamplesError);
    await expect(trainFewShot(embedder, EXAMPLES, { labels: ['sport', 'cooking'] })).rejects.toBeInstanceOf(UnknownLabelError);
    await expect(trainFewShot(embedder, EXAMPLES, { labels: ['sport', 'cooking', 'weather', 'news'] })).rejects.toThrow(/"news" has 0 examples/);
    await expect(trainFewShot(embedder, [{ text: 3, label: 'a' } as never])).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    await expect(trainFewShot(embedder, EXAMPLES, { l2: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});
