// The eval CLI end to end on the tiny random fixture: a hand-made SST-2 folder, --json/--plot/--compare/--manifest,
// `table`, and the one-line errors. Accuracy is never asserted (random weights); structure and consistency are.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPythonPredictions } from '../eval/compare.js';
import { labelledTest } from '../eval/tasks/sst2.js';
import type { EvalResult } from '../eval/types.js';
import { loadClassifier } from '../lib/index.js';
import { fixture, runEval as run } from './helpers.js';

const sentences = [
  'a gorgeous , witty , seductive movie . ',
  'the acting is amateurish and the plot makes no sense . ',
  'it is a charming and often affecting journey . ',
  'unflinchingly bleak and desperate ',
  'one of the year \'s best films , with "quotes" left bare . ',
  'a dull , lifeless exercise . ',
  'the movie achieves great heights . ',
  'too long and too boring . ',
  'an utterly delightful surprise . ',
  'nothing works here . ',
];
const gold = [1, 0, 1, 0, 1, 0, 1, 0, 1, 0];

let tmp: string;
let dataDir: string;
let modelDir: string;


beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'eval-cli-'));
  dataDir = path.join(tmp, 'data');
  mkdirSync(path.join(dataDir, 'sst2'), { recursive: true });
  const tsv = ['sentence\tlabel', ...sentences.map((s, i) => `${s}\t${gold[i]}`)].join('\n') + '\n';
  writeFileSync(path.join(dataDir, 'sst2', 'dev.tsv'), tsv);
  modelDir = path.join(tmp, 'tiny-bert');
  cpSync(fixture('tiny-bert'), modelDir, { recursive: true });
  writeFileSync(path.join(modelDir, 'manifest.json'), JSON.stringify({ name: 'tiny', metrics: { runtime: 'python', fp32: { dev: { accuracy: 0.5 } } } }));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('eval sst2', () => {
  let result: EvalResult;
  let stdout: string;

  beforeAll(async () => {
    // Python-style predictions taken from the engine itself: logits = log-probabilities at temperature 1.
    const clf = await loadClassifier(modelDir);
    const probs = await clf.classify(sentences, { temperature: 1 });
    await clf.dispose();
    const preds = probs.map((p, index) => {
      const logits = clf.labels.map((l) => Math.log(p.scores.find((s) => s.label === l)!.score) + 3);
      return { index, label: gold[index], pred: logits[1] > logits[0] ? 1 : 0, logits };
    });
    writeFileSync(path.join(tmp, 'py_same.json'), JSON.stringify({ model: 'x.onnx', data: 'dev.tsv', preds }));
    const flipped = preds.map((p) => (p.index === 3 ? { ...p, pred: 1 - p.pred, logits: [...p.logits].reverse() } : p));
    writeFileSync(path.join(tmp, 'py_flipped.json'), JSON.stringify(flipped));

    const args = ['sst2', '--model', modelDir, '--data', dataDir, '--latency-texts', '4', '--compare', path.join(tmp, 'py_same.json')];
    const r = await run([...args, '--json', path.join(tmp, 'out.json'), '--plot', path.join(tmp, 'out.png'), '--manifest']);
    expect(r.err).not.toMatch(/eval:/);
    expect(r.code).toBe(0);
    stdout = r.out;
    result = JSON.parse(readFileSync(path.join(tmp, 'out.json'), 'utf8'));
  });

  it('evaluates every row through the engine and reports consistent metrics', () => {
    expect(result).toMatchObject({ task: 'sst2', split: 'validation', n: 10, provider: 'cpu' });
    const c = result.classification;
    expect(c.labels).toEqual(['negative', 'positive']);
    expect(c.confusion.flat().reduce((a, b) => a + b, 0)).toBe(10);
    expect(c.confusion.map((row) => row[0] + row[1])).toEqual([5, 5]);
    expect(c.accuracy).toBeCloseTo((c.confusion[0][0] + c.confusion[1][1]) / 10, 12);
    expect(c.perClass.map((s) => s.support)).toEqual([5, 5]);
    expect(c.ece.temperature).toBe(1); // the fixture has no fitted temperature: before == after
    expect(c.ece.after).toBeCloseTo(c.ece.before, 12);
    expect(c.coverage[0]).toMatchObject({ target: 1, kept: 10, coverage: 1 });
    expect(result.timing.latency.n).toBe(4);
    expect(result.timing.throughput.n).toBe(10);
    expect(result.model).toMatchObject({ name: 'tiny', bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(result.data.files[0].file).toBe(path.join(dataDir, 'sst2', 'dev.tsv'));
  });

  it('prints the markdown tables', () => {
    expect(stdout).toMatch(/^## sst2 \/ validation: tiny \(model\.onnx/);
    for (const heading of ['### Per class', '### Confusion matrix', '### Accuracy vs coverage', '### Engine vs Python ONNX Runtime']) {
      expect(stdout).toContain(heading);
    }
  });

  it('agrees with predictions that came from the engine, logits compared up to a constant', () => {
    expect(result.compare).toMatchObject({ n: 10, agree: 10, agreement: 1, goldMismatch: 0, disagreements: [] });
    expect(result.compare!.maxLogitDiff).toBeLessThan(1e-6);
    expect(result.compare!.maxProbDiff).toBeLessThan(1e-9);
  });

  it('finds a flipped prediction and a shifted row', async () => {
    const r = await run(['sst2', '--model', modelDir, '--data', dataDir, '--latency-texts', '1', '--compare', path.join(tmp, 'py_flipped.json'), '--json', path.join(tmp, 'flipped.json')]);
    expect(r.code).toBe(0);
    const cmp = JSON.parse(readFileSync(path.join(tmp, 'flipped.json'), 'utf8')).compare;
    expect(cmp).toMatchObject({ n: 10, agree: 9, goldMismatch: 0 });
    expect(cmp.disagreements.map((d: { index: number }) => d.index)).toEqual([3]);
    expect(cmp.maxLogitDiff).toBeGreaterThan(1e-6);
  });

  it('writes a PNG', () => {
    expect(readFileSync(path.join(tmp, 'out.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('merges the summary into manifest.json without touching other keys', () => {
    const manifest = JSON.parse(readFileSync(path.join(modelDir, 'manifest.json'), 'utf8'));
    expect(manifest.name).toBe('tiny');
    expect(manifest.metrics.runtime).toBe('python');
    expect(manifest.metrics.fp32).toEqual({ dev: { accuracy: 0.5 } });
    const entry = manifest.metrics.engine.validation['model.onnx'];
    expect(entry).toMatchObject({ n: 10, sha256: result.model.sha256, date: result.date, command: result.command });
    expect(entry.accuracy).toBeCloseTo(result.classification.accuracy, 4);
    expect(entry.command).toMatch(/^npm run eval -- sst2 --model /);
  });

  it('tables several results with the reference line', async () => {
    const r = await run(['table', path.join(tmp, 'out.json'), path.join(tmp, 'flipped.json')]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n').filter((l) => l.startsWith('|'));
    expect(lines).toHaveLength(2 + 2 + 1);
    expect(lines[2]).toMatch(/^\| tiny \| model\.onnx \| 0\.\d \| sst2\/validation \| 10 \|/);
    expect(lines[4]).toContain('91.3 %');
  });
});

describe('eval errors', () => {
  it.each([
    [['nope', '--model', 'x'], /unknown task 'nope' \(tasks: sst2/],
    [['sst2'], /--model <dir> is required/],
    [['sst2', '--model', 'x', '--limit', '0'], /--limit must be a positive integer/],
    [['table'], /give one or more result files/],
  ])('%j', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });

  it('says which labels do not map', async () => {
    const r = await run(['sst2', '--model', fixture('tiny-mpnet'), '--data', dataDir]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not in the task: neutral/);
  });

  it('says which split is missing', async () => {
    const r = await run(['sst2', '--model', modelDir, '--data', dataDir, '--split', 'train']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/missing data file .*train\.tsv/);
  });
});

describe('eval sst2 --split test (GLUE test sentences, labels from SST-5)', () => {
  beforeAll(() => {
    mkdirSync(path.join(dataDir, 'sst5'), { recursive: true });
    const glue = ['index\tsentence', '0\ta gorgeous -- and witty ( really ) film . ', '1\tnothing works here . ', '2\tit is what it is . ', '3\ta film about humor . ', '4\tthe fans/critics will be bored . '];
    writeFileSync(path.join(dataDir, 'sst2', 'test.tsv'), glue.join('\n') + '\n');
    const sst5 = ['label\tsentence', '4\tA gorgeous -- and witty -LRB- really -RRB- film .', '1\tNothing works here .', '2\tIt is what it is .', '3\tA film about humour .', '0\tThe fans\\/critics will be bored .'];
    writeFileSync(path.join(dataDir, 'sst5', 'test.tsv'), sst5.join('\n') + '\n');
  });

  it('joins the two files by sentence: neutral and differently spelled sentences left out, 0-1 / 3-4 mapped to 0 / 1', () => {
    const t = labelledTest(path.join(dataDir, 'sst2'));
    expect(t.texts).toEqual(['a gorgeous -- and witty ( really ) film .', 'nothing works here .', 'the fans/critics will be bored .']);
    expect(t.gold).toEqual([1, 0, 0]);
    expect(t.files).toEqual([path.join(dataDir, 'sst2', 'test.tsv'), path.join(dataDir, 'sst2', '..', 'sst5', 'test.tsv')]);
  });

  it('runs as a split of the task', async () => {
    const r = await run(['sst2', '--model', modelDir, '--data', dataDir, '--split', 'test', '--latency-texts', '1', '--json', path.join(tmp, 'test-split.json')]);
    expect(r.code).toBe(0);
    const result = JSON.parse(readFileSync(path.join(tmp, 'test-split.json'), 'utf8')) as EvalResult;
    expect(result).toMatchObject({ task: 'sst2', split: 'test', n: 3 });
  });
});

describe('--compare files of multi-head models', () => {
  const labels = ['AddToPlaylist', 'PlayMusic'];
  const write = (preds: unknown) => {
    const file = path.join(tmp, `heads-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ model: 'm.onnx', preds }));
    return file;
  };

  it('reads the intent head: prediction, gold label and logits', () => {
    const file = write([
      { index: 0, heads: { intent: { gold: 'PlayMusic', pred: 'AddToPlaylist', logits: [2, 1] }, slots: { gold: ['O'], pred: ['O'] } } },
      { index: 1, heads: { intent: { gold: 'PlayMusic', pred: 'PlayMusic', logits: [0, 3] } } },
    ]);
    const { model, preds } = readPythonPredictions(file, labels);
    expect(model).toBe('m.onnx');
    expect(preds).toEqual([
      { index: 0, pred: 0, gold: 1, logits: [2, 1] },
      { index: 1, pred: 1, gold: 1, logits: [0, 3] },
    ]);
  });

  it('names the entry that lacks the intent head', () => {
    const file = write([{ index: 0, heads: { slots: { gold: ['O'], pred: ['O'] } } }]);
    expect(() => readPythonPredictions(file, labels)).toThrow(/entry 0 has no 'intent' head/);
  });
});
