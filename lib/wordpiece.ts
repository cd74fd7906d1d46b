// The native WordPiece tokenizer (native/wordpiece.{h,cc}) for classify()'s common path: which tokenizer.json files
// it serves is decided here, and its vocabulary is handed over once. It answers only where its ids are those of
// @huggingface/tokenizers (TextTokenizer.encode, the reference): ASCII text holding no added token's text; any other
// text (non-ASCII: accents, CJK, emoji, Unicode spaces and punctuation) goes to the JS tokenizer.
import { binding } from './binding.js';
import type { ModelDir } from './model-dir.js';
import type { IdsEncoder, TextTokenizer } from './tokenize.js';

/** What native/wordpiece_wrap.cc reads (see WordPieceConfig in native/wordpiece.h). */
export interface WordPieceSetup {
  /** The vocabulary as the JS tokenizer looks it up: tokens[i] has id ids[i]. */
  tokens: string[];
  ids: Int32Array;
  unkId: number;
  continuingSubwordPrefix: string;
  maxInputCharsPerWord: number;
  cleanText: boolean;
  lowercase: boolean;
  prefix: Int32Array;
  suffix: Int32Array;
  specialIds: Int32Array;
  /** Added tokens' texts, raw and normalized: a text holding one goes to the JS tokenizer. */
  addedTokens: string[];
}

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
  normalized?: boolean;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const isSpecialToken = (item: unknown) => isObject(item) && 'SpecialToken' in item;

/** Whether the post-processor puts fixed special tokens around a single text (TextTokenizer found which). */
function fixedAroundSingle(post: unknown): boolean {
  if (!isObject(post)) return false;
  if (post.type === 'BertProcessing' || post.type === 'RobertaProcessing') return true;
  if (post.type !== 'TemplateProcessing' || !Array.isArray(post.single)) return false;
  const single = post.single as unknown[];
  const sequences = single.filter((item) => !isSpecialToken(item));
  return sequences.length === 1 && isObject(sequences[0]) && isObject(sequences[0].Sequence) && sequences[0].Sequence.id === 'A';
}

/**
 * The native setup of a WordPiece + BertNormalizer + BertPreTokenizer tokenizer.json, or undefined where the native
 * tokenizer would not reproduce the JS one (another model, normalizer or pre-tokenizer, tokenizer_config options the
 * JS tokenizer applies before normalizing). The lookups mirror @huggingface/tokenizers: the model's vocab with the
 * added tokens over it, and an added token's id first when a piece reads like one.
 */
export function wordPieceSetup(model: ModelDir, tokenizer: Pick<TextTokenizer, 'prefix' | 'suffix' | 'normalize'>): WordPieceSetup | undefined {
  const json = model.tokenizerJson as Json;
  const { model: wp, normalizer, pre_tokenizer: pre } = json;
  if (!isObject(wp) || wp.type !== 'WordPiece' || !isObject(wp.vocab) || typeof wp.unk_token !== 'string' || wp.fuse_unk) return undefined;
  if (typeof wp.continuing_subword_prefix !== 'string') return undefined;
  const maxChars = wp.max_input_chars_per_word ?? 100;
  if (!(Number.isInteger(maxChars) && (maxChars as number) >= 0)) return undefined;
  if (!isObject(normalizer) || normalizer.type !== 'BertNormalizer' || !isObject(pre) || pre.type !== 'BertPreTokenizer') return undefined;
  if (!fixedAroundSingle(json.post_processor)) return undefined;
  if (model.tokenizerConfig.remove_space === true || model.tokenizerConfig.do_lowercase_and_remove_accent) return undefined;
  const added = Array.isArray(json.added_tokens) ? (json.added_tokens as AddedTokenJson[]) : [];

  const tokensToIds = new Map(Object.entries(wp.vocab as Record<string, number>));
  const addedByText = new Map<string, number>();
  for (const t of added) {
    tokensToIds.set(t.content, t.id);
    addedByText.set(t.content, t.id);
    if (t.normalized ?? !t.special) addedByText.set(tokenizer.normalize(t.content), t.id);
  }
  const idOf = (token: string) => addedByText.get(token) ?? tokensToIds.get(token);
  const unkId = idOf(wp.unk_token);
  if (!Number.isInteger(unkId)) return undefined;
  const tokens = [...tokensToIds.keys()];
  const ids = Int32Array.from(tokens, (t) => idOf(t)!);
  if (tokens.some((t, i) => ids[i] !== idOf(t) || ids[i] < 0)) return undefined; // an id that is not a non-negative int32

  return {
    tokens,
    ids,
    unkId: unkId!,
    continuingSubwordPrefix: wp.continuing_subword_prefix,
    maxInputCharsPerWord: maxChars as number,
    cleanText: Boolean(normalizer.clean_text),
    lowercase: Boolean(normalizer.lowercase),
    prefix: Int32Array.from(tokenizer.prefix),
    suffix: Int32Array.from(tokenizer.suffix),
    specialIds: Int32Array.from(added.filter((t) => t.special).map((t) => t.id)),
    addedTokens: [...addedByText.keys()].filter((t) => t.length > 0),
  };
}

/** TextTokenizer's `native` option: the native tokenizer where the folder's tokenizer.json qualifies. */
export function nativeWordPiece(model: ModelDir, tokenizer: TextTokenizer): IdsEncoder | undefined {
  const setup = wordPieceSetup(model, tokenizer);
  if (!setup) return undefined;
  const status = new Int32Array(1);
  const native = new binding.WordPiece({ ...setup, status });
  return {
    encode(text, limit, truncate) {
      const ids = native.encode(text, limit, truncate);
      return ids && { ids, truncated: status[0] === 1 };
    },
    encodeWords(text, words, budget) {
      if (words.length === 0) return [];
      // Only the span the words cover crosses into native code (a block of a long text, not all of it).
      const from = words[0].start;
      const bounds = new Int32Array(words.length * 2);
      words.forEach((w, i) => void ((bounds[2 * i] = w.start - from), (bounds[2 * i + 1] = w.end - from)));
      const flat = native.encodeWords(text.slice(from, words.at(-1)!.end), bounds, budget);
      if (!flat) return null;
      const out: number[][] = new Array(words.length);
      let at = words.length; // the counts come first
      for (let i = 0; i < words.length; i++) {
        out[i] = Array.from(flat.subarray(at, at + flat[i]));
        at += flat[i];
      }
      return out;
    },
  };
}
