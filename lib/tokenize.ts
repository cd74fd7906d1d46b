// Text -> token ids for the engine, with truncation to the model's window (the JS tokenizer has none).
import { Tokenizer } from '@huggingface/tokenizers';
import { InputTooLongError, ModelLoadError } from './errors.js';
import type { ModelDir } from './model-dir.js';

export interface Encoded {
  ids: Int32Array;
  tokens: string[];
  /** True when tokens past the model's window were dropped. */
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
