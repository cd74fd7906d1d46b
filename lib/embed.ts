// Sentence embeddings: loadEmbedder(dir) -> embed(text | text[]) for sentence-transformers folders exported to ONNX
// (token embeddings out of the model; pooling and normalisation here, as pure post-processing).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { timingOf, type RunOptions, type Timing } from './engine.js';
import { invalidOption, ModelLoadError } from './errors.js';
import { forTexts } from './inputs.js';
import { openModel, Pipeline, type LoadOptions, type OpenedModel } from './load.js';
import { l2Normalize, pool, POOLING_MODES, type PoolingMode } from './postprocess/pooling.js';

export interface EmbedOptions extends RunOptions {
  /** Unit-length vectors; defaults to whether modules.json lists a Normalize module. */
  normalize?: boolean;
  /** Pooling mode(s), concatenated in order; defaults to the folder's 1_Pooling/config.json. */
  pooling?: PoolingMode | readonly PoolingMode[];
  /** Drop tokens past the window (default) or reject with InputTooLongError. */
  truncate?: boolean;
}

/** One text's vector with what it cost. */
export interface Embedding {
  vector: Float32Array;
  tokens: number;
  truncated: boolean;
  timing: Timing;
}

/** What modules.json and its module configs say about the pipeline after the transformer. */
export interface SentencePipeline {
  pooling: PoolingMode[];
  normalize: boolean;
  /** sentence_bert_config.json's max_seq_length, when present. */
  maxSeqLength?: number;
}

const TOKEN_OUTPUTS = ['last_hidden_state', 'token_embeddings'];

export class Embedder extends Pipeline {
  readonly pooling: readonly PoolingMode[];
  readonly normalize: boolean;
  /** Width of the token embeddings (one pooled mode). */
  readonly hidden: number;
  private readonly output: string;

  constructor(opened: OpenedModel, pipeline: SentencePipeline) {
    super(opened);
    this.pooling = pipeline.pooling;
    this.normalize = pipeline.normalize;
    const { engine, model } = opened;
    const rank3 = engine.outputs.filter((o) => o.shape.length === 3);
    const output = engine.outputs.find((o) => TOKEN_OUTPUTS.includes(o.name) && o.shape.length === 3) ?? (rank3.length === 1 ? rank3[0] : undefined);
    if (!output) {
      const names = engine.outputs.map((o) => `${o.name}[${o.shape.join(',')}]`).join(', ');
      throw new ModelLoadError(`${model.dir}: no [batch, tokens, hidden] token-embedding output (${TOKEN_OUTPUTS.join(' or ')}) among ${names}`);
    }
    this.output = output.name;
    const hidden = output.shape[2] > 0 ? output.shape[2] : Number(model.config.hidden_size);
    if (!(hidden > 0)) throw new ModelLoadError(`${model.dir}: cannot tell the embedding width (no static output width, no hidden_size)`);
    this.hidden = hidden;
  }

  /** Width of the vectors `embed` returns with the given (or the folder's) pooling. */
  dimension(pooling: PoolingMode | readonly PoolingMode[] = this.pooling): number {
    return this.hidden * (typeof pooling === 'string' ? 1 : pooling.length);
  }

  embed(text: string, options?: EmbedOptions): Promise<Float32Array>;
  embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]>;
  embed(input: string | readonly string[], options: EmbedOptions = {}): Promise<Float32Array | Float32Array[]> {
    return forTexts(input, this.engine.maxQueue / 2, async (text) => (await this.embedOne(text, options)).vector);
  }

  /** One text, with its token count, truncation and timing (what zero-shot and few-shot results report). */
  async embedOne(text: string, options: EmbedOptions = {}): Promise<Embedding> {
    const { modes, normalize } = this.resolve(options);
    const encoded = this.tokenizer.encodeIds(text, options.truncate ?? true);
    const out = await this.engine.run(encoded.ids, null, options);
    const vector = pool(out.outputs[this.output].data, this.hidden, modes);
    return { vector: normalize ? l2Normalize(vector) : vector, tokens: encoded.ids.length, truncated: encoded.truncated, timing: timingOf([out]) };
  }

  private resolve(o: EmbedOptions): { modes: readonly PoolingMode[]; normalize: boolean } {
    if (o === null || typeof o !== 'object') throw invalidOption('options', 'an object', o);
    if (o.normalize !== undefined && typeof o.normalize !== 'boolean') throw invalidOption('options.normalize', 'a boolean', o.normalize);
    const modes = o.pooling === undefined ? this.pooling : typeof o.pooling === 'string' ? [o.pooling] : o.pooling;
    if (!Array.isArray(modes) || modes.length === 0 || !modes.every((m) => POOLING_MODES.includes(m))) {
      throw invalidOption('options.pooling', `one of ${POOLING_MODES.join(', ')} (or a non-empty array of them)`, o.pooling);
    }
    return { modes, normalize: o.normalize ?? this.normalize };
  }
}

/** Loads an embedder folder (see docs/model-folders.md). Rejects with ModelLoadError saying why it does not fit. */
export async function loadEmbedder(dir: string, options: LoadOptions = {}): Promise<Embedder> {
  const pipeline = readSentencePipeline(dir);
  const maxTokens = Math.min(options.maxTokens ?? Infinity, pipeline.maxSeqLength ?? Infinity);
  return openModel(dir, { ...options, maxTokens: Number.isFinite(maxTokens) ? maxTokens : undefined }, (opened) => new Embedder(opened, pipeline));
}

/** Reads modules.json: Transformer -> Pooling -> optional Normalize; any other module is refused, not ignored. */
export function readSentencePipeline(dir: string): SentencePipeline {
  const read = (file: string): Record<string, unknown> | undefined => {
    const full = path.join(dir, file);
    if (!existsSync(full)) return undefined;
    try {
      return JSON.parse(readFileSync(full, 'utf8'));
    } catch (err) {
      throw new ModelLoadError(`${full} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  };
  const modules = read('modules.json') as unknown as { type?: string; path?: string }[] | undefined;
  if (!Array.isArray(modules)) throw new ModelLoadError(`${dir}: no modules.json list (a sentence-transformers folder describes its pipeline there)`);
  let pooling: PoolingMode[] | undefined;
  let normalize = false;
  for (const m of modules) {
    const kind = String(m?.type ?? '').split('.').at(-1);
    if (kind === 'Transformer') continue;
    if (kind === 'Normalize') normalize = true;
    else if (kind === 'Pooling') pooling = poolingModes(read(path.join(String(m.path ?? ''), 'config.json')), `${dir}/${m.path}/config.json`);
    else throw new ModelLoadError(`${dir}/modules.json: module ${String(m?.type)} is not supported (Transformer, Pooling, Normalize are)`);
  }
  if (!pooling) throw new ModelLoadError(`${dir}/modules.json has no Pooling module`);
  const maxSeq = Number(read('sentence_bert_config.json')?.max_seq_length);
  return { pooling, normalize, ...(maxSeq > 0 ? { maxSeqLength: maxSeq } : {}) };
}

// Current sentence-transformers writes `pooling_mode` (a name or a list); older folders one boolean per mode.
const LEGACY_KEYS: Record<string, PoolingMode> = {
  pooling_mode_cls_token: 'cls',
  pooling_mode_max_tokens: 'max',
  pooling_mode_mean_tokens: 'mean',
  pooling_mode_mean_sqrt_len_tokens: 'mean_sqrt_len_tokens',
  pooling_mode_weightedmean_tokens: 'weightedmean',
  pooling_mode_lasttoken: 'lasttoken',
};

function poolingModes(config: Record<string, unknown> | undefined, where: string): PoolingMode[] {
  if (!config) throw new ModelLoadError(`missing ${where}`);
  const given = config.pooling_mode;
  const modes = given !== undefined ? (Array.isArray(given) ? given : [given]) : Object.entries(LEGACY_KEYS).filter(([k]) => config[k] === true).map(([, m]) => m);
  if (modes.length === 0 || !modes.every((m) => POOLING_MODES.includes(m))) {
    throw new ModelLoadError(`${where}: pooling must be among ${POOLING_MODES.join(', ')}, got ${JSON.stringify(given ?? modes)}`);
  }
  return modes as PoolingMode[];
}
