// Long texts through the engine: a chunked answer equals the aggregation of its chunks classified one by one, and
// token heads keep their character offsets across chunk borders.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClassifier, loadParser, softmax, type Classifier, type Parser, type SlotSpan } from '../lib/index.js';
import { longPlan } from '../lib/postprocess/chunks.js';
import { fixture } from './helpers.js';

// Words the fixtures' BERT vocabulary holds whole, so token chunks are word chunks and their text is known.
const VOCAB = ['the', 'movie', 'was', 'good', 'and', 'play', 'music', 'by', 'love', 'song', 'on', 'radio', 'it', 'book', 'today', 'very', 'bad'];
const words = Array.from({ length: 47 }, (_, i) => VOCAB[(i * 7 + (i >> 2)) % VOCAB.length]);
const text = words.join(' ');
const WINDOW = 12; // [CLS] + 10 words + [SEP]
const STRIDE = 7;

/** Word ranges of the chunks by the documented rule: every STRIDE words, the last aligned to the end. */
function chunkTexts(): { start: number; added: number; text: string }[] {
  const budget = WINDOW - 2;
  const starts = [];
  for (let s = 0; s < words.length - budget; s += STRIDE) starts.push(s);
  starts.push(words.length - budget);
  // `added`: the words a chunk adds to the previous one, the 'weighted' aggregation's weight.
  return starts.map((s, k) => ({ start: s, added: s + budget - (k > 0 ? Math.max(s, starts[k - 1] + budget) : s), text: words.slice(s, s + budget).join(' ') }));
}

const logProbs = (scores: readonly { label: string; score: number }[], labels: readonly string[]) =>
  labels.map((l) => Math.log(scores.find((s) => s.label === l)!.score));

function expectProbs(got: readonly { label: string; score: number }[], want: ArrayLike<number>, labels: readonly string[]) {
  labels.forEach((l, c) => expect(got.find((s) => s.label === l)!.score).toBeCloseTo(want[c], 5));
}

describe('classify: long texts', () => {
  let clf: Classifier;
  beforeAll(async () => {
    // A short wait lets the batcher see every chunk of a text, which are queued in the same tick.
    clf = await loadClassifier(fixture('tiny-bert'), { maxWaitMs: 5 });
  });
  afterAll(() => clf.dispose());

  it('the fixture text is one token per word', () => {
    expect(clf.tokenizer.encode(text).ids.length).toBe(words.length + 2);
  });

  it.each(['mean', 'max', 'weighted'] as const)("'chunks' with %s equals the aggregation of its chunks classified one by one", async (aggregate) => {
    const chunks = chunkTexts();
    const alone = [];
    for (const c of chunks) alone.push(logProbs((await clf.classify(c.text, { temperature: 1 })).scores, clf.labels));
    const classes = clf.labels.map((_, c) => alone.map((z) => z[c]));
    const total = chunks.reduce((n, c) => n + c.added, 0);
    expect(total).toBe(words.length);
    const combined = {
      mean: classes.map((v) => v.reduce((a, b) => a + b) / v.length),
      weighted: classes.map((v) => v.reduce((a, b, k) => a + (b * chunks[k].added) / total, 0)),
      max: classes.map((v) => Math.max(...v)),
    }[aggregate];
    const before = clf.engine.stats().batches;
    const r = await clf.classify(text, { long: 'chunks', window: WINDOW, stride: STRIDE, aggregate, temperature: 1 });
    expect(clf.engine.stats().batches - before).toBeLessThanOrEqual(2); // queued together, batched together
    expect(r).toMatchObject({ chunks: chunks.length, tokens: words.length + 2, truncated: false });
    expectProbs(r.scores, softmax(combined), clf.labels);
  });

  it("'head-tail' classifies the first quarter and the last three quarters of the window", async () => {
    const r = await clf.classify(text, { long: 'head-tail', window: 22 });
    const kept = [...words.slice(0, 5), ...words.slice(-15)].join(' ');
    expect(r).toMatchObject({ chunks: 1, truncated: true });
    expectProbs(r.scores, (await clf.classify(kept)).scores.map((s) => s.score), (await clf.classify(kept)).scores.map((s) => s.label));
  });

  it('short texts score as before, whatever the mode', async () => {
    const plain = await clf.classify('the movie was good');
    for (const long of ['chunks', 'head-tail'] as const) {
      const r = await clf.classify('the movie was good', { long, aggregate: 'max' });
      expect(r.scores).toEqual(plain.scores);
      expect(r.chunks).toBe(1);
    }
  });

  it('maxChunks bounds the work and reports truncation; bad options reject with a typed error', async () => {
    const r = await clf.classify(text, { long: 'chunks', window: WINDOW, stride: STRIDE, maxChunks: 2 });
    expect(r).toMatchObject({ chunks: 2, truncated: true });
    await expect(clf.classify(text, { long: 'chunks', window: 1000 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(clf.classify([text], { long: 'pages' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});

describe('parse: long texts', () => {
  let joint: Parser<{ intent: 'sequence'; slots: 'token' }>;
  beforeAll(async () => {
    joint = await loadParser(fixture('tiny-joint'));
  });
  afterAll(() => joint.dispose());

  it('token heads keep character offsets across chunk borders; each word takes the window that owns it', async () => {
    const long = `${text}, with  extra   spaces and punctuation!`;
    const opts = { long: 'chunks', window: WINDOW, stride: STRIDE } as const;
    const r = await joint.parse(long, opts);
    const { windows, words: spans, owners } = joint.tokenizer.encodeWordChunks(long, longPlan(opts, joint.tokenizer.maxTokens, 2));
    expect(r.meta.chunks).toBe(windows.length);
    expect(windows.length).toBeGreaterThan(3);
    for (const s of r.slots) expect(long.slice(s.start, s.end)).toBe(s.value);

    // Each window parsed alone, its spans moved to the long text's offsets: inside the words a window owns (away
    // from its edges, where a span may continue into the next window), the long parse must say the same.
    const wordOf = (char: number) => spans.findIndex((w) => w.start <= char && char < w.end);
    let compared = 0;
    for (let k = 0; k < windows.length; k++) {
      const owned = owners!.flatMap((o, w) => (o === k ? [w] : []));
      const [first, last] = [owned[0] + 1, owned.at(-1)! - 1];
      const inside = (s: SlotSpan) => wordOf(s.start) >= first && wordOf(s.end - 1) <= last;
      const start = spans[windows[k].firstWord].start;
      const end = spans[windows[k].firstWord + windows[k].firstTokens.length - 1].end;
      const alone = (await joint.parse(long.slice(start, end))).slots.map((s) => ({ ...s, start: s.start + start, end: s.end + start }));
      const fromLong = r.slots.filter(inside);
      expect(fromLong.map(({ score, ...s }) => ({ ...s, score: expect.closeTo(score, 5) }))).toEqual(alone.filter(inside));
      compared += fromLong.length;
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('sequence heads combine the windows: mean of the windows parsed one by one', async () => {
    const r = await joint.parse(text, { long: 'chunks', window: WINDOW, stride: STRIDE, aggregate: 'mean' });
    const labels = joint.heads[0].labels;
    const alone = [];
    for (const c of chunkTexts()) alone.push(logProbs((await joint.parse(c.text)).intent.scores, labels));
    const mean = labels.map((_, c) => alone.reduce((a, z) => a + z[c], 0) / alone.length);
    expectProbs(r.intent.scores, softmax(mean), labels);
  });

  it('head-tail is refused for token heads', async () => {
    await expect(joint.parse(text, { long: 'head-tail' })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});

describe("a folder's default long-text options (config.json long_options)", () => {
  let dir: string;
  /** A copy of tiny-bert whose config.json carries `long_options`. */
  const withLongOptions = (name: string, longOptions: unknown) => {
    const to = path.join(dir, name);
    mkdirSync(to);
    for (const f of readdirSync(fixture('tiny-bert'))) copyFileSync(path.join(fixture('tiny-bert'), f), path.join(to, f));
    const config = JSON.parse(readFileSync(path.join(to, 'config.json'), 'utf8'));
    writeFileSync(path.join(to, 'config.json'), JSON.stringify({ ...config, long_options: longOptions }));
    return to;
  };
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'long-options-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('classify chunks by default as the folder says; each option a call sets wins', async () => {
    const clf = await loadClassifier(withLongOptions('chunked', { long: 'chunks', window: WINDOW, stride: STRIDE, aggregate: 'mean' }), { maxWaitMs: 5 });
    const plain = await loadClassifier(fixture('tiny-bert'));
    try {
      const byDefault = await clf.classify(text);
      expect(byDefault.chunks).toBe(chunkTexts().length);
      expect(byDefault.scores).toEqual((await plain.classify(text, { long: 'chunks', window: WINDOW, stride: STRIDE, aggregate: 'mean' })).scores);
      expect((await clf.classify(text, { aggregate: 'max' })).scores).toEqual((await plain.classify(text, { long: 'chunks', window: WINDOW, stride: STRIDE, aggregate: 'max' })).scores);
      expect(await clf.classify(text, { long: 'truncate' })).toMatchObject({ chunks: 1, truncated: true });
      const [one] = await clf.classify([text]);
      expect(one.chunks).toBe(byDefault.chunks);
    } finally {
      await Promise.all([clf.dispose(), plain.dispose()]);
    }
  });

  it('a bad long_options fails at load with ModelLoadError naming the key', async () => {
    await expect(loadClassifier(withLongOptions('bad-stride', { long: 'chunks', stride: 9999 }))).rejects.toMatchObject({ code: 'ERR_MODEL_LOAD', message: /long_options.*stride/ });
    await expect(loadClassifier(withLongOptions('bad-key', { long: 'chunks', windows: 3 }))).rejects.toMatchObject({ code: 'ERR_MODEL_LOAD', message: /long_options\.windows/ });
  });
});
