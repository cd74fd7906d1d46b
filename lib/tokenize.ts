// Text -> token ids for the engine, with truncation to the model's window (the JS tokenizer has none).
import { Tokenizer } from '@huggingface/tokenizers';
import { InputTooLongError, ModelLoadError } from './errors.js';
import type { ModelDir } from './model-dir.js';
import { splitWords, type Word } from './words.js';

export type { Word } from './words.js';

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
  /** True when words past the first window were dropped (`windows: 'first'`). */
  truncated: boolean;
}

// Models with learned absolute positions offset by the padding index (RoBERTa, MPNet) lose two positions.
const POSITION_OFFSET: Record<string, number> = { mpnet: 2, roberta: 2, xlm_roberta: 2, camembert: 2 };
// Before tokenizing a huge text we cut it to a prefix that still yields more tokens than the window.
const CHARS_PER_TOKEN_GUESS = 8;

export class TextTokenizer {
  readonly maxTokens: number;
  readonly padId: number;
  private readonly tokenizer: Tokenizer;
  private readonly specialIds: Set<number>;
  /** The special tokens the post-processor puts before and after a single text ([CLS] … [SEP]). */
  private readonly prefix: number[];
  private readonly suffix: number[];

  constructor(model: ModelDir, maxTokens?: number) {
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
  }

  /**
   * Encodes word by word so every token knows the word (and so the character span) it came from — the JS
   * tokenizer returns no offsets. Splitting on whitespace first gives the same pieces as encoding the whole text,
   * since WordPiece pre-tokenizers split on whitespace too. Words past the window go to further windows
   * (`'all'`) or are dropped (`'first'`).
   */
  encodeWords(text: string, windows: 'all' | 'first'): WordEncoding {
    const words = splitWords(text);
    const budget = this.maxTokens - this.prefix.length - this.suffix.length;
    const result: WordEncoding = { words, windows: [], truncated: false };
    let pieces: number[] = [];
    let window: WordWindow = { ids: new Int32Array(0), firstWord: 0, firstTokens: [] };
    const close = () => {
      window.ids = Int32Array.from([...this.prefix, ...pieces, ...this.suffix]);
      result.windows.push(window);
    };
    for (let w = 0; w < words.length; w++) {
      const ids = this.tokenizer.encode(text.slice(words[w].start, words[w].end), { add_special_tokens: false }).ids.slice(0, budget);
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
    }
    close();
    return result;
  }

  /** Encodes with the model's special tokens; over-long texts keep their head and the closing special tokens. */
  encode(text: string, truncate = true): Encoded {
    const limit = this.maxTokens;
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
