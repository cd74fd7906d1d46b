import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bioRules, bioRulesOf, decodeSpans, wordTags, type WordTag } from '../lib/postprocess/spans.js';
import { ModelLoadError } from '../lib/errors.js';
import type { Word } from '../lib/tokenize.js';
import { seeded } from '../bench/stats.js';
import { root } from './helpers.js';
import { python, reason, skip } from './trainer-python.js';

const wordsOf = (text: string): Word[] => [...text.matchAll(/\S+/g)].map((m) => ({ start: m.index!, end: m.index! + m[0].length }));
const tagged = (...tags: string[]): WordTag[] => tags.map((tag, i) => ({ tag, score: 0.5 + i / 100 }));
const decode = (text: string, ...tags: string[]) => decodeSpans(text, wordsOf(text), tagged(...tags));

describe('decodeSpans', () => {
  it('merges B-/I- words into spans with offsets into the original text', () => {
    const text = 'play the new album by daft punk on spotify';
    const spans = decode(text, 'O', 'O', 'B-sort', 'B-music_item', 'O', 'B-artist', 'I-artist', 'O', 'B-service');
    expect(spans.map((s) => [s.slot, s.value])).toEqual([
      ['sort', 'new'],
      ['music_item', 'album'],
      ['artist', 'daft punk'],
      ['service', 'spotify'],
    ]);
    for (const s of spans) expect(text.slice(s.start, s.end)).toBe(s.value);
    expect(spans[2].score).toBeCloseTo((0.55 + 0.56) / 2, 10);
  });

  it('keeps the original spacing and case inside a span', () => {
    const text = '  Play   Daft   Punk  ';
    const [span] = decode(text, 'O', 'B-artist', 'I-artist');
    expect(span).toMatchObject({ value: 'Daft   Punk', start: 9, end: 20 });
  });

  it('tolerates I- without B-, and splits on a type change', () => {
    expect(decode('a b c d', 'I-x', 'I-x', 'O', 'I-y').map((s) => [s.slot, s.value])).toEqual([
      ['x', 'a b'],
      ['y', 'd'],
    ]);
    expect(decode('a b', 'B-x', 'I-y').map((s) => s.slot)).toEqual(['x', 'y']);
    expect(decode('a b', 'B-x', 'B-x')).toHaveLength(2);
  });

  it('trims punctuation attached to the edge words, but keeps abbreviations', () => {
    const text = 'wake me at 7 a.m. with "(daft punk)", on spotify.';
    const spans = decode(text, 'O', 'O', 'O', 'B-time', 'I-time', 'O', 'B-artist', 'I-artist', 'O', 'B-service');
    expect(spans.map((s) => s.value)).toEqual(['7 a.m.', 'daft punk', 'spotify']);
    for (const s of spans) expect(text.slice(s.start, s.end)).toBe(s.value);
  });

  it('repeated words get their own offsets', () => {
    const text = 'punk rock and punk';
    const spans = decode(text, 'B-genre', 'O', 'O', 'B-genre');
    expect(spans.map((s) => s.start)).toEqual([0, 14]);
  });

  it('offsets count UTF-16 units through accents, CJK and emoji', () => {
    const text = 'réserve 🍕 à Zürich 東京 tonight';
    const spans = decode(text, 'O', 'O', 'O', 'B-city', 'I-city', 'B-time');
    expect(spans.map((s) => s.value)).toEqual(['Zürich 東京', 'tonight']);
    for (const s of spans) expect(text.slice(s.start, s.end)).toBe(s.value);
  });

  it('no words, no spans', () => {
    expect(decodeSpans('', [], [])).toEqual([]);
  });
});

describe('wordTags (BIO-constrained Viterbi)', () => {
  const labels = ['O', 'B-a', 'I-a', 'B-b', 'I-b'];
  /** Logits whose softmax is the given rows (log of probabilities), one token per word. */
  const logitsOf = (...rows: number[][]) => Float32Array.from(rows.flatMap((r) => r.map(Math.log)));
  const tagsOf = (logits: Float32Array, first: number[]) => wordTags(logits, labels.length, first, labels).map((t) => t.tag);

  it('keeps a well-formed argmax sequence, with each tag\'s own probability as its score', () => {
    const z = logitsOf([0.1, 0.6, 0.1, 0.1, 0.1], [0.1, 0.1, 0.7, 0.05, 0.05], [0.8, 0.05, 0.05, 0.05, 0.05]);
    const tags = wordTags(z, labels.length, [0, 1, 2], labels);
    expect(tags.map((t) => t.tag)).toEqual(['B-a', 'I-a', 'O']);
    expect(tags[1].score).toBeCloseTo(0.7, 5);
  });

  it('never starts a span with I-, nor switches type inside one', () => {
    // argmax alone: I-a at the start, then I-b after I-a.
    expect(tagsOf(logitsOf([0.1, 0.35, 0.4, 0.1, 0.05], [0.05, 0.05, 0.3, 0.05, 0.55]), [0, 1])).toEqual(['B-a', 'I-a']);
    // After a word without tokens (tagged O), an I- cannot continue what came before it.
    expect(tagsOf(logitsOf([0.1, 0.7, 0.1, 0.05, 0.05], [0.1, 0.35, 0.5, 0.025, 0.025]), [0, -1, 1])).toEqual(['B-a', 'O', 'B-a']);
  });

  it('with adjacent_spans, starts a span of X right after one of X only for the types listed', () => {
    // argmax: B-a B-a I-a B-b B-b. Unlisted, the second B-a joins the span; with ['b'] listed, b's spans stay two.
    const z = logitsOf([0.1, 0.8, 0.05, 0.025, 0.025], [0.1, 0.5, 0.3, 0.05, 0.05], [0.1, 0.1, 0.7, 0.05, 0.05], [0.1, 0.05, 0.05, 0.75, 0.05], [0.1, 0.05, 0.05, 0.5, 0.3]);
    const first = [0, 1, 2, 3, 4];
    expect(wordTags(z, labels.length, first, labels).map((t) => t.tag)).toEqual(['B-a', 'B-a', 'I-a', 'B-b', 'B-b']);
    expect(wordTags(z, labels.length, first, labels, bioRules(labels, ['b'])).map((t) => t.tag)).toEqual(['B-a', 'I-a', 'I-a', 'B-b', 'B-b']);
    expect(wordTags(z, labels.length, first, labels, bioRules(labels, [])).map((t) => t.tag)).toEqual(['B-a', 'I-a', 'I-a', 'B-b', 'I-b']);
    // A span of X may still follow one of Y, and O; and a B- may open the text.
    expect(wordTags(logitsOf([0.1, 0.8, 0.05, 0.025, 0.025], [0.1, 0.05, 0.05, 0.75, 0.05]), labels.length, [0, 1], labels, bioRules(labels, [])).map((t) => t.tag)).toEqual(['B-a', 'B-b']);
  });

  it('leaves out the tags not permitted, O always there', () => {
    const z = logitsOf([0.1, 0.8, 0.05, 0.025, 0.025], [0.1, 0.1, 0.7, 0.05, 0.05], [0.2, 0.05, 0.05, 0.4, 0.3]);
    const permitted = [true, false, false, true, true];
    const tags = wordTags(z, labels.length, [0, 1, 2], labels, bioRules(labels), permitted);
    expect(tags.map((t) => t.tag)).toEqual(['O', 'O', 'B-b']);
    expect(tags[2].score).toBeCloseTo(0.4, 5); // the model's own probability, not renormalised
  });

  it('reads adjacent_spans from config.json, refusing what does not fit the labels', () => {
    expect(bioRulesOf(undefined, labels, 'c').follows).toEqual(bioRules(labels).follows);
    expect(bioRulesOf(['a'], labels, 'c').follows[3]).toEqual([0, 1, 2]);
    expect(() => bioRulesOf('a', labels, 'config.json heads[1]')).toThrow(/config.json heads\[1\].adjacent_spans must list slot types/);
    expect(() => bioRulesOf(['c'], labels, 'c')).toThrow(ModelLoadError);
  });

  it('agrees with the trainer\'s Python decoding on random logits, with and without adjacent_spans and left-out tags' + reason, { skip }, () => {
    const random = seeded(7);
    const cases = Array.from({ length: 60 }, (_, k) => {
      const n = 1 + Math.floor(random() * 8);
      const first = Array.from({ length: n }, (_, w) => (random() < 0.15 ? -1 : w));
      const logits = Array.from({ length: n * labels.length }, () => (random() - 0.5) * 6);
      const adjacent = [undefined, [], ['b']][k % 3];
      const permitted = k % 2 ? labels.map((l) => l === 'O' || random() < 0.6) : undefined;
      const tags = wordTags(Float32Array.from(logits), labels.length, first, labels, bioRules(labels, adjacent), permitted).map((t) => t.tag);
      return { first, logits, adjacent: adjacent ?? null, permitted: permitted ?? null, tags };
    });
    const r = spawnSync(python, ['-c', `
import json, sys, numpy as np
sys.path.insert(0, "train/python")
from metrics import word_tags
labels = ${JSON.stringify(labels)}
for c in json.loads(sys.stdin.read()):
    z = np.array(c["logits"], dtype=np.float32).reshape(-1, len(labels))
    got = word_tags(z, c["first"], labels, c["adjacent"], None if c["permitted"] is None else np.array(c["permitted"]))
    assert got == c["tags"], (c, got)
`], { cwd: root, encoding: 'utf8', input: JSON.stringify(cases) });
    expect(r.status, r.stderr).toBe(0);
  });
});
