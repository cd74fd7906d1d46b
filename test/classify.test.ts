import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClassifier, type Classifier } from '../lib/index.js';
import { classifierFixtures, fixture, sampleTexts } from './helpers.js';

describe.each(classifierFixtures)('loadClassifier(%s)', (name) => {
  let clf: Classifier;
  beforeAll(async () => {
    clf = await loadClassifier(fixture(name));
  });
  afterAll(() => clf.dispose());

  it('labels every text from id2label with probabilities that fit the problem type', async () => {
    const config = JSON.parse(readFileSync(path.join(fixture(name), 'config.json'), 'utf8'));
    const results = await clf.classify(sampleTexts);
    expect(results).toHaveLength(sampleTexts.length);
    for (const r of results) {
      expect(r.scores.map((s) => s.label).sort()).toEqual(Object.values(config.id2label).sort());
      const sum = r.scores.reduce((a, s) => a + s.score, 0);
      if (config.problem_type === 'multi_label_classification') {
        for (const s of r.scores) expect(s.score).toBeGreaterThanOrEqual(0);
      } else {
        expect(sum).toBeCloseTo(1, 5);
        expect(r.label).toBe(r.scores[0].label);
      }
      expect(r.timing.batchSize).toBeGreaterThanOrEqual(1);
    }
  });

  it('returns one result for a string and an array for an array', async () => {
    const one = await clf.classify('hello there');
    const many = await clf.classify(['hello there']);
    expect(Array.isArray(one)).toBe(false);
    expect(many[0].scores).toEqual(one.scores);
  });
});

describe('classify options and inputs', () => {
  let clf: Classifier;
  beforeAll(async () => {
    clf = await loadClassifier(fixture('tiny-bert'), { maxQueue: 256 });
  });
  afterAll(() => clf.dispose());

  it('topK and threshold (abstain)', async () => {
    const r = await clf.classify('fine', { topK: 1, threshold: 0.9999 });
    expect(r.scores).toHaveLength(1);
    expect(r.label).toBeNull();
    expect(r.labels).toEqual([]);
  });

  it('temperature flattens the distribution; multiLabel switches to sigmoid', async () => {
    const plain = await clf.classify('fine', { temperature: 1 });
    const hot = await clf.classify('fine', { temperature: 10 });
    expect(hot.score).toBeLessThan(plain.score);
    const ml = await clf.classify('fine', { multiLabel: true });
    expect(ml.scores.reduce((a, s) => a + s.score, 0)).not.toBeCloseTo(1, 3);
  });

  it.each([
    [null, 'ERR_INVALID_INPUT'],
    [42, 'ERR_INVALID_INPUT'],
    [{ text: 'x' }, 'ERR_INVALID_INPUT'],
    [['ok', null], 'ERR_INVALID_INPUT'],
  ])('rejects %j with a typed error', async (input, code) => {
    await expect(clf.classify(input as never)).rejects.toMatchObject({ code });
  });

  it.each([
    [{ topK: 0 }, 'options.topK'],
    [{ threshold: 2 }, 'options.threshold'],
    [{ temperature: -1 }, 'options.temperature'],
    [{ timeoutMs: -5 }, 'options.timeoutMs'],
  ])('rejects bad option %j naming its path', async (options, pathName) => {
    const err = await clf.classify('x', options as never).catch((e) => e);
    expect(err.code).toBe('ERR_INVALID_OPTION');
    expect(err.message).toContain(pathName);
  });

  it('has defined answers for empty text, lone surrogates and a 1 MB string', async () => {
    const empty = await clf.classify('');
    expect(empty.tokens).toBe(2);
    const surrogate = await clf.classify('bad \ud800 half');
    expect(surrogate.scores).toHaveLength(2);
    const huge = 'word '.repeat(200_000);
    const started = performance.now();
    const big = await clf.classify(huge);
    expect(big.truncated).toBe(true);
    expect(big.tokens).toBe(clf.tokenizer.maxTokens);
    expect(performance.now() - started).toBeLessThan(5_000);
    await expect(clf.classify(huge, { truncate: false })).rejects.toMatchObject({ code: 'ERR_INPUT_TOO_LONG', maxTokens: 128 });
  });

  it('classifies an array of 100k texts without overflowing its queue, and keeps serving', async () => {
    const texts = Array.from({ length: 100_000 }, (_, i) => `short text number ${i % 97}`);
    const results = await clf.classify(texts);
    expect(results).toHaveLength(100_000);
    expect(results[96].scores).toEqual(results[96 + 97].scores.map((s) => ({ ...s, score: expect.closeTo(s.score, 5) })));
    expect((await clf.classify('still alive')).scores).toHaveLength(2);
  });
});

describe('model folder errors', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'textclf-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const copy = (name: string) => {
    const dir = path.join(tmp, name);
    cpSync(fixture('tiny-bert'), dir, { recursive: true });
    return dir;
  };

  it('missing folder, missing model, corrupt config, corrupt model', async () => {
    await expect(loadClassifier(path.join(tmp, 'nope'))).rejects.toMatchObject({ code: 'ERR_MODEL_LOAD' });
    const noModel = copy('no-model');
    rmSync(path.join(noModel, 'model.onnx'));
    await expect(loadClassifier(noModel)).rejects.toThrow(/no model.onnx or onnx\/model.onnx/);
    const badConfig = copy('bad-config');
    writeFileSync(path.join(badConfig, 'config.json'), '{ not json');
    await expect(loadClassifier(badConfig)).rejects.toThrow(/config.json is not valid JSON/);
    const badModel = copy('bad-model');
    writeFileSync(path.join(badModel, 'model.onnx'), 'garbage');
    await expect(loadClassifier(badModel)).rejects.toMatchObject({ code: 'ERR_MODEL_LOAD' });
  });

  it('a label map that does not match the logits width', async () => {
    const dir = copy('three-labels');
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    config.id2label = { 0: 'a', 1: 'b', 2: 'c' };
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    await expect(loadClassifier(dir)).rejects.toThrow(/config.json has 3 labels but output 'logits' has 2 classes/);
  });

  it('a model whose outputs do not fit a classifier (token logits only)', async () => {
    await expect(loadClassifier(fixture('tiny-bert-tagger'))).rejects.toThrow(/no \[batch, classes\] output 'logits' among logits\[-1,-1,7\]/);
  });
});
