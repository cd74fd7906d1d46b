// What every pipeline does on load: read the folder, build the tokenizer and the engine, check the outputs.
import { Engine, type EngineOptions } from './engine.js';
import { invalidOption, ModelLoadError } from './errors.js';
import { readModelDir, type ModelDir } from './model-dir.js';
import { folderLongOptions, withLongDefaults, type LongOptions } from './postprocess/chunks.js';
import { TextTokenizer } from './tokenize.js';
import { TokenizerPool } from './tokenize-pool.js';
import { nativeWordPiece } from './wordpiece.js';

export interface LoadOptions extends EngineOptions {
  /** ONNX file inside the folder (default: model.onnx, then onnx/model.onnx). */
  modelFile?: string;
  /** Cap on tokens per text (default: the model's window). */
  maxTokens?: number;
  /**
   * classify() tokenizes on this many worker threads instead of the JS thread (default 0: on the JS thread). Pays
   * where the JS thread is the ceiling (a GPU serving thousands of requests/s) and cores are spare.
   */
  tokenizerThreads?: number;
  /**
   * Tokenize single-window texts (classify and parse with `long: 'truncate'`, embed) with the native WordPiece
   * tokenizer where the folder's tokenizer.json is BERT-style (default true). Same ids as the JS tokenizer, which still reads non-ASCII text and
   * every other tokenizer; false: the JS tokenizer always.
   */
  nativeTokenizer?: boolean;
}

export interface OpenedModel {
  model: ModelDir;
  tokenizer: TextTokenizer;
  engine: Engine;
  /** Tokenizer threads (tokenizerThreads > 0), else absent: the JS thread tokenizes. */
  pool?: TokenizerPool;
}

/** What every task pipeline holds: the folder, its tokenizer and its engine. */
export abstract class Pipeline {
  readonly engine: Engine;
  readonly model: ModelDir;
  readonly tokenizer: TextTokenizer;
  protected readonly pool: TokenizerPool | undefined;
  /** How texts longer than the window are read unless a call says otherwise (config.json `long_options`). */
  readonly longDefaults: LongOptions;

  constructor(opened: OpenedModel) {
    ({ engine: this.engine, model: this.model, tokenizer: this.tokenizer, pool: this.pool } = opened);
    try {
      this.longDefaults = folderLongOptions(this.model.config.long_options, this.tokenizer.maxTokens, this.tokenizer.specialTokens, 'long_options');
    } catch (err) {
      throw new ModelLoadError(`${this.model.dir}/config.json: ${(err as Error).message}`, { cause: err });
    }
  }

  /** A call's options with the folder's long-text defaults under them. */
  protected withLongDefaults<T extends LongOptions>(options: T): T {
    return withLongDefaults(this.longDefaults, options);
  }

  /** Rejects queued work with DisposedError, lets the batch in flight finish, then frees the session. */
  async dispose(): Promise<void> {
    await Promise.all([this.engine.dispose(), this.pool?.close()]);
  }
}

/** Opens a model folder and hands it to `build`; the engine is freed again if `build` rejects the model. */
export async function openModel<T>(dir: string, options: LoadOptions, build: (opened: OpenedModel) => T): Promise<T> {
  const { tokenizerThreads = 0, nativeTokenizer = true, ...engineOptions } = options;
  if (!(Number.isInteger(tokenizerThreads) && tokenizerThreads >= 0 && tokenizerThreads <= 64)) {
    throw invalidOption('options.tokenizerThreads', 'an integer in [0, 64]', tokenizerThreads);
  }
  if (typeof nativeTokenizer !== 'boolean') throw invalidOption('options.nativeTokenizer', 'a boolean', nativeTokenizer);
  const model = readModelDir(dir, options.modelFile);
  const tokenizer = new TextTokenizer(model, options.maxTokens, nativeTokenizer ? nativeWordPiece : undefined);
  const engine = new Engine(model.modelPath, { ...engineOptions, padId: tokenizer.padId, maxTokens: tokenizer.maxTokens });
  const pool = tokenizerThreads > 0 ? new TokenizerPool({ dir, modelFile: options.modelFile, maxTokens: options.maxTokens }, tokenizerThreads) : undefined;
  try {
    return build({ model, tokenizer, engine, pool });
  } catch (err) {
    await Promise.all([engine.dispose(), pool?.close()]);
    throw err;
  }
}

/**
 * The output a head reads: `name`, or (when `orOnly`) the only output of that rank. Its last dimension must equal
 * the label map's size: rank 2 is [batch, classes], rank 3 is [batch, tokens, classes].
 */
export function requireOutput(opened: OpenedModel, want: { name: string; rank: 2 | 3; classes: number; orOnly?: boolean }): string {
  const { engine, model } = opened;
  const ofRank = engine.outputs.filter((o) => o.shape.length === want.rank);
  const output = engine.outputs.find((o) => o.name === want.name) ?? (want.orOnly && ofRank.length === 1 ? ofRank[0] : undefined);
  const what = want.rank === 2 ? '[batch, classes]' : '[batch, tokens, classes]';
  if (!output || output.shape.length !== want.rank) {
    const names = engine.outputs.map((o) => `${o.name}[${o.shape.join(',')}]`).join(', ');
    throw new ModelLoadError(`${model.dir}: no ${what} output '${want.name}' among ${names}`);
  }
  const width = output.shape[want.rank - 1];
  if (width > 0 && width !== want.classes) {
    throw new ModelLoadError(`${model.dir}: config.json has ${want.classes} labels but output '${output.name}' has ${width} classes`);
  }
  return output.name;
}
