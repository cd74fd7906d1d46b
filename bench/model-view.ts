// A model as every contestant sees it: one tokenizer, with the window lifted to the position table.
import { readModelDir, type ModelDir } from '../lib/model-dir.js';
import { TextTokenizer } from '../lib/tokenize.js';
import type { ModelTarget } from './models.js';

export interface ModelView {
  target: ModelTarget;
  dir: ModelDir;
  tokenizer: TextTokenizer;
  /** The tokenizer_config cap (model_max_length) the bench lifted so that 'long' inputs really are ~128 tokens. */
  liftedFrom: number | null;
}

/**
 * Models fine-tuned on short texts often declare model_max_length 64, so classify() would cut a 128-token input to
 * 64. The bench measures cost per token count, so it raises that cap to the position table for every contestant
 * alike (the engine, onnxruntime-node and transformers.js all tokenize with the same window).
 */
export function openModel(target: ModelTarget): ModelView {
  const declared = readModelDir(target.dir, target.modelFile);
  const { model_max_length: cap, max_length: _max, ...rest } = declared.tokenizerConfig;
  const dir: ModelDir = { ...declared, tokenizerConfig: rest };
  const tokenizer = new TextTokenizer(dir);
  const declaredCap = Number(cap);
  const lifted = Number.isFinite(declaredCap) && declaredCap > 0 && declaredCap < tokenizer.maxTokens ? declaredCap : null;
  return { target, dir, tokenizer, liftedFrom: lifted };
}

/** tokenizer_config.json as the contestants should read it (for peers that load the folder themselves). */
export function liftedTokenizerConfig(view: ModelView): Record<string, unknown> {
  return { ...view.dir.tokenizerConfig, model_max_length: view.tokenizer.maxTokens };
}
