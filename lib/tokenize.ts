// Text -> token ids for the engine, with truncation to the model's window (the JS tokenizer has none).
import { Tokenizer } from '@huggingface/tokenizers';
import { InputTooLongError, ModelLoadError } from './errors.js';
import type { ModelDir } from './model-dir.js';
import { splitWords, type Word } from './words.js';

export type { Word } from './words.js';
import { headTail, newPerWindow, tokenChunks, wordChunks, wordOwners, type LongPlan } from './postprocess/chunks.js';

/** A text's ids for one window, without token strings (what the engine needs). */
export interface EncodedIds {
  ids: Int32Array;
  truncated: boolean;
}

/** A faster tokenizer (lib/wordpiece.ts): the reference's ids exactly, or null to let it answer. */
export interface IdsEncoder {
  encode(text: string, limit: number, truncate: boolean): EncodedIds | null;
  /** Each word's ids without special tokens, at most `budget`. */
  encodeWords?(text: string, words: readonly Word[], budget: number): number[][] | null;
}

export interface Encoded {
  ids: Int32Array;
  tokens: string[];
  /** True when tokens past the model's window were dropped. */
  truncated: boolean;
}

/** One model window over consecutive words, for token-level heads. */
export interface WordWindow {
  ids: Int32Array;
  /** Index in `words` of this window's first word. */
  firstWord: number;
  /** For each word of the window, the token position of its first sub-token (-1: the word has no tokens). */
  firstTokens: number[];
}

export interface WordEncoding {
  words: Word[];
  windows: WordWindow[];
  /** True when words past the first window were dropped (`windows: 'first'`, or past `maxChunks`). */
  truncated: boolean;
  /** The tokens of the words read, plus one set of special tokens. */
  tokens: number;
  /** Per window, the tokens it adds to the previous one: the 'weighted' aggregation's weights. */
  weights?: number[];
  /** For overlapping windows (`encodeWordChunks`): the window whose tags each word takes (-1: dropped). */
  owners?: number[];
}

/** A text as the model runs it: one sequence, or several (head-tail is one sequence; chunks are several). */
export interface LongEncoding {
  sequences: Int32Array[];
  /** Per sequence, the text tokens it adds to the previous one (each token counted once): 'weighted' uses them. */
  weights: number[];
  /** The text's tokens plus one set of special tokens. */
  tokens: number;
  truncated: boolean;
}

// Models with learned absolute positions offset by the padding index (RoBERTa, MPNet) lose two positions.
const POSITION_OFFSET: Record<string, number> = { mpnet: 2, roberta: 2, xlm_roberta: 2, camembert: 2 };
// Before tokenizing a huge text we cut it to a prefix that still yields more tokens than the window.
const CHARS_PER_TOKEN_GUESS = 8;
// Pieces of one text when nothing bounds them (the native tokenizer takes limits up to 1e9).
const MAX_PIECES = 1e8;
// Words tokenized per native call: one call per text's worth of words, without reading far past a window in 'first'.
const WORD_BLOCK = 256;

export class TextTokenizer {
  readonly maxTokens: number;
  readonly padId: number;
  private readonly tokenizer: Tokenizer;
  private readonly specialIds: Set<number>;
  /** The special tokens the post-processor puts before and after a single text ([CLS] … [SEP]). */
  readonly prefix: number[];
  readonly suffix: number[];
  private readonly native: IdsEncoder | undefined;

  /** `native` builds a faster tokenizer for `encodeIds` where it can (lib/wordpiece.ts's nativeWordPiece). */
  constructor(model: ModelDir, maxTokens?: number, native?: (model: ModelDir, tokenizer: TextTokenizer) => IdsEncoder | undefined) {
    try {
      this.tokenizer = new Tokenizer(model.tokenizerJson, model.tokenizerConfig);
    } catch (err) {
      throw new ModelLoadError(`cannot build the tokenizer of ${model.dir}: ${(err as Error).message}`, { cause: err });
    }
    this.specialIds = new Set([...this.tokenizer.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id));
    this.maxTokens = Math.min(maxTokens ?? Infinity, modelWindow(model));
    const padToken = model.tokenizerConfig.pad_token;
    const padFromTokenizer = typeof padToken === 'string' ? this.tokenizer.token_to_id(padToken) : undefined;
    this.padId = model.config.pad_token_id ?? padFromTokenizer ?? 0;
    const bare: number[] = this.tokenizer.encode('a', { add_special_tokens: false }).ids;
    const full: number[] = this.tokenizer.encode('a').ids;
    const at = full.findIndex((_, i) => bare.every((id, j) => full[i + j] === id));
    this.prefix = full.slice(0, at);
    this.suffix = full.slice(at + bare.length);
    this.native = native?.(model, this);
  }

  /** The text as the tokenizer's normalizer leaves it (normalized added tokens are matched in this form). */
  normalize(text: string): string {
    return this.tokenizer.normalizer?.normalize(text) ?? text;
  }

  /** Whether `encodeIds` has a native tokenizer (it still hands the texts it cannot match to the JS one). */
  get hasNative(): boolean {
    return this.native !== undefined;
  }

  /** Special tokens around each window ([CLS] and [SEP] for BERT). */
  get specialTokens(): number {
    return this.prefix.length + this.suffix.length;
  }

  /**
   * Encodes word by word so every token knows the word (and so the character span) it came from — the JS
   * tokenizer returns no offsets. Splitting on whitespace first gives the same pieces as encoding the whole text,
   * since WordPiece pre-tokenizers split on whitespace too. Words past the window go to further windows
   * (`'all'`) or are dropped (`'first'`).
   */
  encodeWords(text: string, windows: 'all' | 'first', budget = this.maxTokens - this.specialTokens): WordEncoding {
    const words = splitWords(text);
    const result: WordEncoding = { words, windows: [], truncated: false, tokens: this.specialTokens };
    let pieces: number[] = [];
    let window: WordWindow = { ids: new Int32Array(0), firstWord: 0, firstTokens: [] };
    const close = () => {
      window.ids = this.wrap(pieces);
      result.windows.push(window);
    };
    const idsOf = this.wordPieces(text, words, budget);
    for (let w = 0; w < words.length; w++) {
      const ids = idsOf(w);
      if (pieces.length + ids.length > budget) {
        if (windows === 'first') {
          result.truncated = true;
          break;
        }
        close();
        pieces = [];
        window = { ids: new Int32Array(0), firstWord: w, firstTokens: [] };
      }
      window.firstTokens.push(ids.length > 0 ? this.prefix.length + pieces.length : -1);
      pieces.push(...ids);
      result.tokens += ids.length;
    }
    close();
    return result;
  }

  /**
   * Overlapping windows of whole words for token heads ('chunks'): each word's tokens once, windows planned by
   * `wordChunks`, and for every word the window that answers for it (`wordOwners`: overlaps split at the middle).
   */
  encodeWordChunks(text: string, plan: LongPlan): WordEncoding {
    const words = splitWords(text);
    const idsOf = this.wordPieces(text, words, plan.budget);
    const ids = words.map((_, w) => idsOf(w));
    const { ranges, truncated } = wordChunks(ids.map((x) => x.length), plan);
    const windows = ranges.map(({ start, end }) => {
      const firstTokens: number[] = [];
      const pieces: number[] = [];
      for (let w = start; w < end; w++) {
        firstTokens.push(ids[w].length > 0 ? this.prefix.length + pieces.length : -1);
        pieces.push(...ids[w]);
      }
      return { ids: this.wrap(pieces), firstWord: start, firstTokens };
    });
    const count = (from: number, to: number) => ids.slice(from, to).reduce((n, x) => n + x.length, 0);
    const weights = newPerWindow(ranges).map((r) => count(r.start, r.end));
    return { words, windows, truncated, tokens: count(0, ranges.at(-1)!.end) + this.specialTokens, weights, owners: wordOwners(ranges, words.length) };
  }

  /** A single-window encoding (truncate mode) in the shape encodeLong returns. */
  oneWindow(enc: EncodedIds): LongEncoding {
    return { sequences: [enc.ids], weights: [enc.ids.length - this.specialTokens], tokens: enc.ids.length, truncated: enc.truncated };
  }

  /**
   * A text as `plan` reads it: 'truncate' is `encodeIds` (one sequence, the head); 'head-tail' keeps the first quarter
   * and the last three quarters of the window's text tokens; 'chunks' cuts every token into overlapping windows.
   */
  encodeLong(text: string, plan: LongPlan, truncate = true): LongEncoding {
    if (plan.mode === 'truncate') return this.oneWindow(this.encodeIds(text, truncate, plan.budget + this.specialTokens));
    // Chunks past maxChunks are dropped anyway: do not tokenize megabytes to throw them away.
    const needed = plan.mode === 'chunks' ? plan.maxChunks * plan.stride + plan.budget : Infinity;
    const kept = text.length > needed * CHARS_PER_TOKEN_GUESS ? cutAtSpace(text, needed * CHARS_PER_TOKEN_GUESS) : text;
    const ids = this.pieces(kept);
    const cut = plan.mode === 'chunks' ? tokenChunks(ids.length, plan) : { ranges: headTail(ids.length, plan.budget), truncated: ids.length > plan.budget };
    const parts = cut.ranges.map((r) => ids.slice(r.start, r.end));
    const sequences = plan.mode === 'chunks' ? parts.map((p) => this.wrap(p)) : [this.wrap(parts.flat())];
    const truncated = cut.truncated || kept.length < text.length;
    const weights = plan.mode === 'chunks' ? newPerWindow(cut.ranges).map((r) => r.end - r.start) : [sequences[0].length - this.specialTokens];
    return { sequences, weights, tokens: ids.length + this.specialTokens, truncated };
  }

  /**
   * Word w's ids (at most `budget`), tokenized on demand in blocks: one native call per block where the native
   * tokenizer answers (ASCII text), else word by word. JS-thread time per medium text (`npm run bench -- --ablation
   * js`): see README, "JS thread per classify call".
   */
  private wordPieces(text: string, words: readonly Word[], budget: number): (w: number) => number[] {
    const done: number[][] = [];
    return (w) => {
      while (done.length <= w) {
        const block = words.slice(done.length, done.length + WORD_BLOCK);
        const native = this.native?.encodeWords?.(text, block, budget);
        done.push(...(native ?? block.map((x) => this.pieces(text.slice(x.start, x.end), budget))));
      }
      return done[w];
    };
  }

  /** The text's token ids without special tokens, at most `budget`: from the native tokenizer where it answers. */
  private pieces(text: string, budget = MAX_PIECES): number[] {
    const native = this.native?.encode(text, budget + this.specialTokens, true);
    if (native) return Array.from(native.ids.subarray(this.prefix.length, native.ids.length - this.suffix.length));
    const ids: number[] = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    return ids.length > budget ? ids.slice(0, budget) : ids;
  }

  private wrap(pieces: readonly number[]): Int32Array {
    return Int32Array.from([...this.prefix, ...pieces, ...this.suffix]);
  }

  /** `encode`'s ids and truncation, from the native tokenizer where there is one and it can answer. */
  encodeIds(text: string, truncate = true, limit = this.maxTokens): EncodedIds {
    return this.native?.encode(text, limit, truncate) ?? this.encode(text, truncate, limit);
  }

  /** Encodes with the model's special tokens; over-long texts keep their head and the closing special tokens. */
  encode(text: string, truncate = true, limit = this.maxTokens): Encoded {
    let prefix = text.length > limit * CHARS_PER_TOKEN_GUESS ? cutAtSpace(text, limit * CHARS_PER_TOKEN_GUESS) : text;
    let enc = this.tokenizer.encode(prefix);
    while (enc.ids.length <= limit && prefix.length < text.length) {
      prefix = cutAtSpace(text, prefix.length * 2);
      enc = this.tokenizer.encode(prefix);
    }
    const truncated = enc.ids.length > limit;
    if (truncated && !truncate) {
      const counted = prefix.length < text.length ? `more than ${limit}` : String(enc.ids.length);
      throw new InputTooLongError(`text has ${counted} tokens; the model accepts ${limit}`, enc.ids.length, limit);
    }
    let ids = enc.ids;
    let tokens = enc.tokens;
    if (truncated) {
      let suffix = 0;
      while (suffix < ids.length && this.specialIds.has(ids[ids.length - 1 - suffix])) suffix++;
      ids = [...ids.slice(0, limit - suffix), ...ids.slice(ids.length - suffix)];
      tokens = [...tokens.slice(0, limit - suffix), ...tokens.slice(tokens.length - suffix)];
    }
    return { ids: Int32Array.from(ids), tokens, truncated };
  }
}

function modelWindow(model: ModelDir): number {
  const fromTokenizer = Number(model.tokenizerConfig.model_max_length);
  const positions = model.config.max_position_embeddings;
  const fromConfig = typeof positions === 'number' ? positions - (POSITION_OFFSET[model.config.model_type ?? ''] ?? 0) : Infinity;
  // tokenizer_config often says 1e30 ("no limit"): the position table is the real bound.
  const window = Math.min(Number.isFinite(fromTokenizer) && fromTokenizer > 0 ? fromTokenizer : Infinity, fromConfig);
  return Number.isFinite(window) ? window : 512;
}

function cutAtSpace(text: string, at: number): string {
  if (at >= text.length) return text;
  const space = text.slice(at, at + 64).search(/\s/);
  return text.slice(0, space < 0 ? at : at + space);
}
