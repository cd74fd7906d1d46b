// Inputs of target token lengths made of real English sentences (read at run time, never copied into the repo).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultDataRoot } from '../eval/data.js';
import type { TextTokenizer } from '../lib/tokenize.js';
import { seeded, shuffle } from './stats.js';

export interface Item {
  text: string;
  /** The model's token ids for `text`, special tokens included (what the engine and the C++ floor are fed). */
  ids: Int32Array;
}

/** The item whose length is nearest the items' mean: one row that stands for the workload in a batch of copies. */
export function typicalItem(items: Item[]): Item {
  const mean = items.reduce((sum, i) => sum + i.ids.length, 0) / items.length;
  return items.reduce((best, i) => (Math.abs(i.ids.length - mean) < Math.abs(best.ids.length - mean) ? i : best));
}

export interface Workload {
  name: 'short' | 'medium' | 'long' | 'mixed';
  /** Token counts the items were built to, special tokens included. */
  tokens: [number, number];
  items: Item[];
}

/** Token-length targets at batch 1, as the issue states them: short 8-16, medium ~32, long ~128. */
export const BUCKETS: Record<'short' | 'medium' | 'long', [number, number]> = {
  short: [8, 16],
  medium: [28, 36],
  long: [120, 136],
};

/** SST-2 dev in ../shared/data beside the repository root (BENCH_TEXTS or --texts override it). */
export const DEFAULT_TEXTS = path.join(defaultDataRoot(), 'sst2', 'dev.tsv');

export interface Sentences {
  sentences: string[];
  /** Where they came from: a file, or 'generated' when it is absent. */
  source: string;
}

/** Sentences from a TSV (first column, header skipped) or a text file (one a line); generated text when absent. */
export function loadSentences(file = process.env.BENCH_TEXTS ?? DEFAULT_TEXTS): Sentences {
  if (existsSync(file)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    const tsv = file.endsWith('.tsv');
    const sentences = lines
      .slice(tsv ? 1 : 0)
      .map((l) => (tsv ? l.split('\t')[0] : l).trim())
      .filter((s) => s.split(/\s+/).length >= 3);
    if (sentences.length >= 50) return { sentences, source: file };
  }
  return { sentences: generatedSentences(400), source: 'generated' };
}

/** short, medium and long buckets of `perBucket` items each, plus a mixed-length one for the bucketing test. */
export function buildWorkloads(tokenizer: TextTokenizer, sentences: string[], perBucket: number): Workload[] {
  const next = cycle(sentences, 7);
  const count = (text: string) => tokenizer.encode(text, true).ids.length;
  const buckets = (Object.keys(BUCKETS) as (keyof typeof BUCKETS)[]).map((name): Workload => {
    const hi = Math.min(BUCKETS[name][1], tokenizer.maxTokens);
    const lo = Math.min(BUCKETS[name][0], hi);
    const items: Item[] = [];
    for (let attempt = 0; items.length < perBucket && attempt < perBucket * 50; attempt++) {
      const text = textOfLength(next, count, lo, hi);
      if (text !== null) items.push({ text, ids: tokenizer.encode(text, true).ids });
    }
    if (items.length === 0) throw new Error(`could not build any ${name} input of ${lo}-${hi} tokens`);
    return { name, tokens: [lo, hi], items };
  });
  return [...buckets, mixed(buckets, perBucket * 2)];
}

/** Appends whole sentences until the text reaches `lo` tokens, then drops trailing words to fit under `hi`. */
function textOfLength(next: () => string, count: (t: string) => number, lo: number, hi: number): string | null {
  const words: string[] = [];
  while (count(words.join(' ')) < lo) words.push(...next().split(/\s+/));
  if (count(words.join(' ')) <= hi) return words.join(' ');
  let [ok, bad] = [0, words.length]; // largest prefix of words within `hi` tokens, by bisection
  while (bad - ok > 1) {
    const mid = (ok + bad) >> 1;
    if (count(words.slice(0, mid).join(' ')) <= hi) ok = mid;
    else bad = mid;
  }
  const text = words.slice(0, ok).join(' ');
  return count(text) >= lo ? text : null;
}

/** Half short, a third medium, the rest long, in a fixed shuffled order: a realistic spread of lengths. */
function mixed(buckets: Workload[], size: number): Workload {
  const [short, medium, long] = buckets;
  const random = seeded(11);
  const items: Item[] = [];
  for (let i = 0; i < size; i++) {
    const r = random();
    const from = r < 0.5 ? short : r < 0.83 ? medium : long;
    items.push(from.items[i % from.items.length]);
  }
  return { name: 'mixed', tokens: [short.tokens[0], long.tokens[1]], items };
}

function cycle(sentences: string[], seed: number): () => string {
  const random = seeded(seed);
  const order = shuffle(sentences.map((_, i) => i), random);
  let k = 0;
  return () => sentences[order[k++ % order.length]];
}

const WORDS = (
  'the a film story cast plays with quiet charm and a sharp script while its second half loses the thread of ' +
  'what made the opening so warm funny moving dull slow bright clever tired honest rare performance director ' +
  'scenes music ending audience years moment characters often never always still yet'
).split(' ');

function generatedSentences(n: number): string[] {
  const random = seeded(3);
  return Array.from({ length: n }, () => {
    const len = 5 + Math.floor(random() * 20);
    return Array.from({ length: len }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ') + ' .';
  });
}
