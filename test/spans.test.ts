import { describe, expect, it } from 'vitest';
import { decodeSpans, type WordTag } from '../lib/postprocess/spans.js';
import type { Word } from '../lib/tokenize.js';

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
