// Sequence classification: loadClassifier(dir) -> classify(text | text[]).
import { Engine, type EngineOptions, type RunOptions } from './engine.js';
import { ModelLoadError, invalidOption } from './errors.js';
import { checkText, checkTexts, mapBounded } from './inputs.js';
import { labelList, readModelDir, type ModelDir } from './model-dir.js';
import { decodeSequence, type SequencePrediction } from './postprocess/sequence.js';
import { TextTokenizer } from './tokenize.js';

export interface LoadOptions extends EngineOptions {
  /** ONNX file inside the folder (default: model.onnx, then onnx/model.onnx). */
  modelFile?: string;
  /** Cap on tokens per text (default: the model's window). */
  maxTokens?: number;
}

export interface ClassifyOptions extends RunOptions {
  /** Keep only the k best scores. */
  topK?: number;
  /** Abstain (label null) below this top score; for multi-label, the per-label cut (default 0.5). */
  threshold?: number;
  /** Sigmoid per label; defaults to the model's problem_type. */
  multiLabel?: boolean;
  /** Overrides the calibration temperature from config.json (1 disables calibration). */
  temperature?: number;
  /** Drop tokens past the model's window (default) or reject with InputTooLongError. */
  truncate?: boolean;
}

export interface Timing {
  queueMs: number;
  inferMs: number;
  batchSize: number;
}

export interface Classification extends SequencePrediction {
  /** Tokens the model saw, special tokens included. */
  tokens: number;
  truncated: boolean;
  timing: Timing;
}

export class Classifier {
  readonly labels: readonly string[];
  readonly multiLabel: boolean;
  readonly temperature: number;
  readonly tokenizer: TextTokenizer;
  private readonly output: string;

  constructor(readonly engine: Engine, readonly model: ModelDir, tokenizer: TextTokenizer) {
    this.tokenizer = tokenizer;
    const { config } = model;
    this.labels = labelList(config.id2label, `${model.dir}/config.json`);
    this.multiLabel = config.problem_type === 'multi_label_classification';
    this.temperature = typeof config.temperature === 'number' && config.temperature > 0 ? config.temperature : 1;
    this.output = pickLogits(engine, this.labels.length, model.dir);
  }

  classify(text: string, options?: ClassifyOptions): Promise<Classification>;
  classify(texts: readonly string[], options?: ClassifyOptions): Promise<Classification[]>;
  async classify(input: string | readonly string[], options: ClassifyOptions = {}): Promise<Classification | Classification[]> {
    checkClassifyOptions(options);
    if (!Array.isArray(input)) return this.one(checkText(input), options);
    const texts = checkTexts(input);
    return mapBounded(texts, Math.max(1, Math.floor(this.engine.maxQueue / 2)), (t) => this.one(t, options));
  }

  private async one(text: string, options: ClassifyOptions): Promise<Classification> {
    const encoded = this.tokenizer.encode(text, options.truncate ?? true);
    const out = await this.engine.run(encoded.ids, null, options);
    const prediction = decodeSequence(out.outputs[this.output].data, {
      labels: this.labels,
      multiLabel: options.multiLabel ?? this.multiLabel,
      temperature: options.temperature ?? this.temperature,
      topK: options.topK,
      threshold: options.threshold,
    });
    return {
      ...prediction,
      tokens: encoded.ids.length,
      truncated: encoded.truncated,
      timing: { queueMs: out.queueMs, inferMs: out.inferMs, batchSize: out.batchSize },
    };
  }

  dispose(): Promise<void> {
    return this.engine.dispose();
  }
}

/** Loads a sequence-classification model folder. Throws ModelLoadError with the reason when it does not fit. */
export async function loadClassifier(dir: string, options: LoadOptions = {}): Promise<Classifier> {
  const model = readModelDir(dir, options.modelFile);
  const tokenizer = new TextTokenizer(model, options.maxTokens);
  const engine = new Engine(model.modelPath, { ...options, padId: tokenizer.padId, maxTokens: tokenizer.maxTokens });
  try {
    return new Classifier(engine, model, tokenizer);
  } catch (err) {
    await engine.dispose();
    throw err;
  }
}

/** The `logits` output (or the only [batch, classes] one), checked against the label map's width. */
function pickLogits(engine: Engine, labels: number, dir: string): string {
  const rank2 = engine.outputs.filter((o) => o.shape.length === 2);
  const output = engine.outputs.find((o) => o.name === 'logits') ?? (rank2.length === 1 ? rank2[0] : undefined);
  if (!output || output.shape.length !== 2) {
    const names = engine.outputs.map((o) => `${o.name}[${o.shape.join(',')}]`).join(', ');
    throw new ModelLoadError(`${dir}: no [batch, classes] logits output among ${names}`);
  }
  const width = output.shape[1];
  if (width > 0 && width !== labels) {
    throw new ModelLoadError(`${dir}: config.json id2label has ${labels} labels but output '${output.name}' has ${width} classes`);
  }
  return output.name;
}

export function checkClassifyOptions(o: ClassifyOptions): void {
  if (o === null || typeof o !== 'object') throw invalidOption('options', 'an object', o);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK > 0)) throw invalidOption('options.topK', 'a positive integer', o.topK);
  if (o.threshold !== undefined && !(typeof o.threshold === 'number' && o.threshold >= 0 && o.threshold <= 1)) {
    throw invalidOption('options.threshold', 'a number in [0, 1]', o.threshold);
  }
  if (o.temperature !== undefined && !(typeof o.temperature === 'number' && o.temperature > 0 && Number.isFinite(o.temperature))) {
    throw invalidOption('options.temperature', 'a finite number > 0', o.temperature);
  }
  if (o.multiLabel !== undefined && typeof o.multiLabel !== 'boolean') throw invalidOption('options.multiLabel', 'a boolean', o.multiLabel);
}
