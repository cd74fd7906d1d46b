// Long texts: where the model windows go over a text's tokens or words, which window answers for each word, and
// how the windows' sequence logits combine into one answer. Pure; the pipelines feed it token counts and logits.
import { invalidOption } from '../errors.js';

/** How a text longer than the model's window is read. */
export type LongMode = 'truncate' | 'head-tail' | 'chunks';
/** How chunk logits combine: mean of logits, per-class max, or mean weighted by the tokens each chunk adds. */
export type Aggregation = 'mean' | 'max' | 'weighted';

export interface LongOptions {
  /** 'truncate' (default): keep the head. 'head-tail': the first quarter and the last three quarters of the
   * window. 'chunks': overlapping windows over the whole text, combined by `aggregate`. */
  long?: LongMode;
  /** Tokens per window, special tokens included (default and maximum: the model's window). */
  window?: number;
  /** Tokens between the starts of two windows (default: three quarters of the window's text tokens). */
  stride?: number;
  /** How chunk answers combine: 'mean' of logits, per-class 'max', or 'weighted' by the tokens each window adds
   * to the previous one (default 'weighted', the best measured: docs/long-documents.md). */
  aggregate?: Aggregation;
  /** Most windows per text; tokens past the last are dropped and the result says `truncated` (default 64). */
  maxChunks?: number;
}

// Measured on 20 Newsgroups (docs/long-documents.md): weighted edged out mean, max lost clearly.
export const DEFAULT_AGGREGATION: Aggregation = 'weighted';
export const DEFAULT_MAX_CHUNKS = 64;
// Sun et al. 2019 ("How to fine-tune BERT for text classification") found head 128 + tail 382 of 510 best.
const HEAD_SHARE = 0.25;

const LONG_KEYS = ['long', 'window', 'stride', 'aggregate', 'maxChunks'] as const;

/**
 * A model folder's default long-text options (config.json `long_options`, written by `npm run train -- --long
 * chunks`): checked once at load against the model's window, so a bad folder fails there, not on every call.
 * Throws InvalidOptionError naming `where` (the loader reports it as ModelLoadError).
 */
export function folderLongOptions(value: unknown, modelWindow: number, specials: number, where: string): LongOptions {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidOption(where, `an object of ${LONG_KEYS.join(', ')}`, value);
  const unknown = Object.keys(value).filter((k) => !(LONG_KEYS as readonly string[]).includes(k));
  if (unknown.length) throw invalidOption(`${where}.${unknown[0]}`, `one of ${LONG_KEYS.join(', ')}`, unknown[0]);
  longPlan(value as LongOptions, modelWindow, specials);
  return value as LongOptions;
}

/** A call's long-text options over the folder's defaults: each option the call sets wins. */
export function withLongDefaults<T extends LongOptions>(defaults: LongOptions, options: T): T {
  if (Object.keys(defaults).length === 0 || typeof options !== 'object' || options === null) return options;
  const set = Object.fromEntries(LONG_KEYS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]));
  return { ...options, ...defaults, ...set };
}

/** Resolved long-text settings; `budget` counts text tokens only (the window minus the special tokens). */
export interface LongPlan {
  mode: LongMode;
  budget: number;
  stride: number;
  aggregate: Aggregation;
  maxChunks: number;
}

/** Checks the options against the model's window and the special tokens each window carries. Throws InvalidOptionError. */
export function longPlan(o: LongOptions, modelWindow: number, specials: number): LongPlan {
  const mode = o.long ?? 'truncate';
  if (!['truncate', 'head-tail', 'chunks'].includes(mode)) throw invalidOption('options.long', "'truncate', 'head-tail' or 'chunks'", o.long);
  const window = o.window ?? modelWindow;
  if (!(Number.isInteger(window) && window > specials && window <= modelWindow)) {
    throw invalidOption('options.window', `an integer in [${specials + 1}, ${modelWindow}] (the model's window)`, o.window);
  }
  const budget = window - specials;
  const stride = o.stride ?? Math.max(1, Math.floor((budget * 3) / 4));
  if (!(Number.isInteger(stride) && stride >= 1 && stride <= budget)) {
    throw invalidOption('options.stride', `an integer in [1, ${budget}] (the window's text tokens)`, o.stride);
  }
  const aggregate = o.aggregate ?? DEFAULT_AGGREGATION;
  if (!['mean', 'max', 'weighted'].includes(aggregate)) throw invalidOption('options.aggregate', "'mean', 'max' or 'weighted'", o.aggregate);
  const maxChunks = o.maxChunks ?? DEFAULT_MAX_CHUNKS;
  if (!(Number.isInteger(maxChunks) && maxChunks >= 1)) throw invalidOption('options.maxChunks', 'a positive integer', o.maxChunks);
  return { mode, budget, stride, aggregate, maxChunks };
}

/** A window over a text's tokens (or words): [start, end). */
export interface Range {
  start: number;
  end: number;
}

/**
 * Windows over `n` tokens: one every `stride`, the last aligned to the end so it is full (a 5-token tail window
 * would answer from almost nothing). At most `maxChunks`; `truncated` when tokens past them are dropped.
 */
export function tokenChunks(n: number, plan: Pick<LongPlan, 'budget' | 'stride' | 'maxChunks'>): { ranges: Range[]; truncated: boolean } {
  const { budget, stride, maxChunks } = plan;
  if (n <= budget) return { ranges: [{ start: 0, end: n }], truncated: false };
  const ranges: Range[] = [];
  for (let start = 0; start < n - budget; start += stride) ranges.push({ start, end: start + budget });
  ranges.push({ start: n - budget, end: n });
  if (ranges.length <= maxChunks) return { ranges, truncated: false };
  return { ranges: ranges.slice(0, maxChunks), truncated: true };
}

/**
 * The part of each window the previous one did not cover. With the last window aligned to the end, every window of
 * a long text is full, so weighting by window length would just be the mean; weighting by these counts each token
 * once, so the last window, mostly overlap, counts for the little it adds.
 */
export function newPerWindow(ranges: readonly Range[]): Range[] {
  return ranges.map((r, k) => ({ start: Math.min(r.end, Math.max(r.start, k > 0 ? ranges[k - 1].end : 0)), end: r.end }));
}

/** 'head-tail': the token positions kept from `n` (the head's, then the tail's). */
export function headTail(n: number, budget: number): Range[] {
  if (n <= budget) return [{ start: 0, end: n }];
  const head = Math.round(budget * HEAD_SHARE);
  return [{ start: 0, end: head }, { start: n - (budget - head), end: n }];
}

/**
 * Windows over whole words for token heads (a word is never split between windows). `wordTokens[w]` is word w's
 * token count (words longer than the budget count as `budget`: the tokenizer keeps only that many). Each window
 * takes as many words as fit; the next starts at the first word at least `stride` tokens after this one's start
 * (and always at least one word later, so it progresses); the last one is aligned to the end as in
 * `tokenChunks`. Returns word ranges.
 */
export function wordChunks(wordTokens: readonly number[], plan: Pick<LongPlan, 'budget' | 'stride' | 'maxChunks'>): { ranges: Range[]; truncated: boolean } {
  const { budget, stride, maxChunks } = plan;
  const n = wordTokens.length;
  const offset = [0];
  for (const t of wordTokens) offset.push(offset.at(-1)! + Math.min(t, budget));
  const ranges: Range[] = [];
  let start = 0;
  while (true) {
    let end = start;
    while (end < n && offset[end + 1] - offset[start] <= budget) end++;
    end = Math.max(end, start + 1);
    ranges.push({ start, end: Math.min(end, n) });
    if (end >= n) return { ranges, truncated: false };
    if (ranges.length === maxChunks) return { ranges, truncated: true };
    let next = start + 1;
    while (next < end && offset[next] - offset[start] < stride) next++;
    // As with tokens, the last window ends at the text's end and starts as early as that allows.
    if (offset[n] - offset[next] <= budget) {
      while (next > start + 1 && offset[n] - offset[next - 1] <= budget) next--;
      ranges.push({ start: next, end: n });
      return { ranges, truncated: false };
    }
    start = next;
  }
}

/**
 * Which window answers for each word. Where two windows overlap, the overlap is split at its middle: the first
 * half stays with the earlier window, the second goes to the later one, so every word is tagged by the window in
 * which it has the most context on both sides (as BERT's SQuAD code picks the "max context" span).
 */
export function wordOwners(ranges: readonly Range[], words: number): number[] {
  const owner = new Array<number>(words).fill(-1);
  let from = 0;
  ranges.forEach((r, k) => {
    const next = ranges[k + 1];
    const until = next ? Math.max(next.start, next.start + Math.ceil((r.end - next.start) / 2)) : r.end;
    for (let w = Math.max(from, r.start); w < until; w++) owner[w] = k;
    from = until;
  });
  return owner;
}

/**
 * One sequence head's logits from its chunks'. Softmax heads combine log-probabilities (each chunk's logits
 * minus their log-sum-exp), which leaves 'mean' equal to the mean of the logits and makes 'max' compare chunks
 * on one scale; multi-label (sigmoid) heads combine the raw logits. `weights` are the tokens each chunk adds.
 * A single chunk's logits come back unchanged.
 */
export function aggregateLogits(chunks: readonly ArrayLike<number>[], weights: readonly number[], how: Aggregation, multiLabel: boolean): Float64Array {
  // One window: its logits as they are, so a short text scores exactly as without this step.
  if (chunks.length === 1) return Float64Array.from(chunks[0]);
  const classes = chunks[0].length;
  const rows = chunks.map((z) => (multiLabel ? Float64Array.from(z) : logSoftmax(z)));
  const out = new Float64Array(classes).fill(how === 'max' ? -Infinity : 0);
  const total = how === 'weighted' ? weights.reduce((a, b) => a + b, 0) : rows.length;
  rows.forEach((row, k) => {
    const w = how === 'weighted' ? weights[k] : 1;
    for (let c = 0; c < classes; c++) {
      if (how === 'max') out[c] = Math.max(out[c], row[c]);
      else out[c] += (w * row[c]) / total;
    }
  });
  return out;
}

export function logSoftmax(z: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) max = Math.max(max, z[i]);
  let sum = 0;
  for (let i = 0; i < z.length; i++) sum += Math.exp(z[i] - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(z, (v) => v - lse);
}

/** Each word's answer from the window that owns it (`wordOwners`); words no window owns (dropped) end the list. */
export function ownedWordAnswers<T>(perWindow: readonly (readonly T[])[], firstWords: readonly number[], owners: readonly number[]): T[] {
  const out: T[] = [];
  for (let w = 0; w < owners.length && owners[w] >= 0; w++) out.push(perWindow[owners[w]][w - firstWords[owners[w]]]);
  return out;
}
