// A folder's document_head.json (npm run train -- --lexical tfidf-document): the tf-idf logistic regression over a
// text's tokens and the nested mix, by hand; the tokens a text's windows read, each once; and a classifier folder
// that carries one. The trainer's mirror is checked against the engine in train-long.test.ts.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadClassifier, ModelLoadError } from '../lib/index.js';
import { DocumentHead, documentTokens } from '../lib/postprocess/document-head.js';
import { fixture } from './helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'document-head-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A folder holding only document_head.json with `spec`. */
function headDir(spec: object): string {
  const dir = mkdtempSync(path.join(tmp, 'h-'));
  writeFileSync(path.join(dir, 'document_head.json'), JSON.stringify(spec));
  return dir;
}

const lexical = { columns: [5, 7], idf: [1, 2], heads: { a: { coef: [[1, 0], [0, 1]], bias: [0, 0.5] } } };
const HEADS = [{ name: 'a', classes: 2 }, { name: 'b', classes: 3 }, { name: 'c', classes: 2 }];

describe('DocumentHead', () => {
  it('adds the tf-idf logistic regression: (1 + ln count) x idf, L2-normalised over the document; unseen tokens ignored', () => {
    const head = new DocumentHead(headDir({ lexical, nested: [] }), 'document_head.json', HEADS);
    const logits = [Float64Array.of(0, 0), Float64Array.of(1, 2, 3), Float64Array.of(4, 5)];
    head.apply([5, 5, 7, 9], logits);
    const x = [1 + Math.log(2), 2];
    const norm = Math.hypot(...x);
    expect(logits[0][0]).toBeCloseTo(x[0] / norm, 12);
    expect(logits[0][1]).toBeCloseTo(x[1] / norm + 0.5, 12);
    expect([...logits[1], ...logits[2]]).toEqual([1, 2, 3, 4, 5]); // heads without lexical weights untouched
    const empty = [Float64Array.of(0, 0)];
    new DocumentHead(headDir({ lexical, nested: [] }), 'document_head.json', [{ classes: 2 }]).apply([9], empty);
    expect([...empty[0]]).toEqual([0, 0.5]); // nothing seen: the bias alone; a one-head folder's head is the file's
  });

  it('mixes a coarse head with its fine head\'s probabilities summed per coarse label, after the lexical head', () => {
    const nested = [{ fine: 'b', coarse: 'c', members: [0, 0, 1], mix: 0.25 }];
    const head = new DocumentHead(headDir({ lexical: null, nested }), 'document_head.json', HEADS);
    const logits = [Float64Array.of(0, 0), Float64Array.of(0, Math.log(2), Math.log(3)), Float64Array.of(1, 1)];
    head.apply([], logits);
    expect(logits[2][0]).toBeCloseTo(0.75 + 0.25 * Math.log(1 / 2), 10);
    expect(logits[2][1]).toBeCloseTo(0.75 + 0.25 * Math.log(1 / 2), 10);
  });

  it('the tokens a text\'s windows read, each once: per window, the ones it adds before its suffix', () => {
    const windows = [Int32Array.of(101, 1, 2, 3, 102), Int32Array.of(101, 2, 3, 4, 102)];
    expect([...documentTokens(windows, [3, 1], 1)]).toEqual([1, 2, 3, 4]);
  });

  it('a file that does not fit the model is a ModelLoadError naming what is wrong', () => {
    const load = (spec: object, file = 'document_head.json') => () => new DocumentHead(headDir(spec), file, HEADS);
    expect(load({ lexical, nested: [] }, '../x.json')).toThrow(/must name a file in the folder/);
    expect(load({ lexical, nested: [] }, 'missing.json')).toThrow(ModelLoadError);
    expect(load({ lexical: { ...lexical, idf: [1] }, nested: [] })).toThrow(/lexical.idf must be 2 finite numbers/);
    expect(load({ lexical: { ...lexical, heads: { z: lexical.heads.a } }, nested: [] })).toThrow(/head "z" is not a sequence head/);
    expect(load({ lexical: { ...lexical, heads: { b: lexical.heads.a } }, nested: [] })).toThrow(/coef must have 3 rows/);
    expect(load({ lexical: null, nested: [{ fine: 'b', coarse: 'c', members: [0, 2, 1], mix: 0.5 }] })).toThrow(/nested\[0\].members/);
    expect(load({ lexical: null, nested: [{ fine: 'b', coarse: 'c', members: [0, 0, 1], mix: 2 }] })).toThrow(/mix must be in \[0, 1\]/);
  });
});

describe('a classifier folder with a document head', () => {
  const dir = path.join(tmp, 'classifier');
  cpSync(fixture('tiny-bert'), dir, { recursive: true });
  const configFile = path.join(dir, 'config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8'));

  it('classify adds it to the combined windows: a word it weighs decides the label, whatever the window it is in', async () => {
    const probe = await loadClassifier(fixture('tiny-bert'));
    const word = probe.tokenizer.encodeIds('zebra', false).ids[1];
    const labels = probe.labels.length;
    await probe.dispose();
    const coef = Array.from({ length: labels }, (_, c) => [c === labels - 1 ? 1e3 : 0]);
    writeFileSync(path.join(dir, 'document_head.json'), JSON.stringify({ lexical: { columns: [word], idf: [1], heads: { label: { coef, bias: new Array(labels).fill(0) } } }, nested: [] }));
    writeFileSync(configFile, JSON.stringify({ ...config, document_head: 'document_head.json' }));
    const clf = await loadClassifier(dir);
    try {
      const long = `${'a plain sentence about nothing much. '.repeat(40)}zebra`;
      const [withWord, without] = await clf.classify([long, long.replace('zebra', 'horse')], { long: 'chunks' });
      expect(withWord.chunks).toBeGreaterThan(1);
      expect(withWord.label).toBe(clf.labels[labels - 1]);
      expect(withWord.score).toBeGreaterThan(0.99);
      expect(without.score).toBeLessThan(0.99);
      // Raw scores (serve's TEI raw_scores) are the same logits, the document head included.
      const raw = await clf.logits(long, { long: 'chunks' });
      expect(raw.chunks).toBe(withWord.chunks);
      expect(raw.logits.indexOf(Math.max(...raw.logits))).toBe(labels - 1);
    } finally {
      await clf.dispose();
    }
  });

  it('a bad document_head rejects the load with ModelLoadError', async () => {
    writeFileSync(configFile, JSON.stringify({ ...config, document_head: 'nowhere.json' }));
    await expect(loadClassifier(dir)).rejects.toThrow(ModelLoadError);
  });
});
