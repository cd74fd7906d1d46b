// Sequence classification: loadClassifier(dir) -> classify(text | text[]).
import { timingOf, type RunOptions, type Timing } from './engine.js';
import { invalidOption } from './errors.js';
import { forTexts } from './inputs.js';
import { openModel, Pipeline, requireOutput, type LoadOptions, type OpenedModel } from './load.js';
import { defaultModelDir, labelList } from './model-dir.js';
import { aggregateLogits, DEFAULT_MAX_CHUNKS, longPlan, type LongOptions } from './postprocess/chunks.js';
import { DocumentHead, documentTokens } from './postprocess/document-head.js';
import { decodeSequence, type SequencePrediction } from './postprocess/sequence.js';

export interface ClassifyOptions extends RunOptions, LongOptions {
  /** Keep only the k best scores. */
  topK?: number;
  /** Abstain (label null) below this top score; for multi-label, the per-label cut (default 0.5). */
  threshold?: number;
  /** Sigmoid per label; defaults to the model's problem_type. */
  multiLabel?: boolean;
  /** Overrides the calibration temperature from config.json (1 disables calibration). */
  temperature?: number;
  /** With `long: 'truncate'` (the default): drop tokens past the window (true) or reject with InputTooLongError. */
  truncate?: boolean;
}

export interface Classification extends SequencePrediction {
  /** Tokens read from the text, special tokens counted once (with 'truncate', at most the window). */
  tokens: number;
  truncated: boolean;
  /** Model windows the answer combines (1 unless `long: 'chunks'` met a text longer than the window). */
  chunks: number;
  timing: Timing;
}

/** A text's logits (`Classifier.logits`) and how they were read. */
export interface TextLogits extends Omit<Classification, 'label' | 'score' | 'labels' | 'scores'> {
  logits: Float64Array;
  multiLabel: boolean;
}

export class Classifier extends Pipeline {
  readonly labels: readonly string[];
  readonly multiLabel: boolean;
  readonly temperature: number;
  /** The logits output the classifier reads. */
  readonly output: string;
  private readonly documentHead: DocumentHead | undefined;

  constructor(opened: OpenedModel) {
    super(opened);
    const { config } = this.model;
    this.labels = labelList(config.id2label, `${this.model.dir}/config.json`);
    this.multiLabel = config.problem_type === 'multi_label_classification';
    this.temperature = typeof config.temperature === 'number' && config.temperature > 0 ? config.temperature : 1;
    this.output = requireOutput(opened, { name: 'logits', rank: 2, classes: this.labels.length, orOnly: true });
    this.documentHead = config.document_head === undefined ? undefined : new DocumentHead(this.model.dir, config.document_head, [{ classes: this.labels.length }]);
  }

  classify(text: string, options?: ClassifyOptions): Promise<Classification>;
  classify(texts: readonly string[], options?: ClassifyOptions): Promise<Classification[]>;
  classify(input: string | readonly string[], callOptions: ClassifyOptions = {}): Promise<Classification | Classification[]> {
    const options = this.withLongDefaults(callOptions);
    return forTexts(input, textsInFlight(this.engine.maxQueue, options), async (text) => {
      checkClassifyOptions(options);
      const { logits, multiLabel, tokens, truncated, chunks, timing } = await this.textLogits(text, options);
      const prediction = decodeSequence(logits, {
        labels: this.labels,
        multiLabel,
        temperature: options.temperature ?? this.temperature,
        topK: options.topK,
        threshold: options.threshold,
      });
      // Fields listed rather than spread: `{ ...prediction, ... }` cost about 2 µs of the JS thread per call (V8 20).
      const { label, score, labels, scores } = prediction;
      return { label, score, labels, scores, tokens, truncated, chunks, timing };
    });
  }

  /**
   * One text's logits as classify decodes them, before the temperature: its windows combined, the folder's document
   * head added (for callers that want raw scores, e.g. serve/'s TEI route). Options as classify's (the folder's
   * long-text defaults under them); the decoding ones are ignored.
   */
  async logits(text: string, options: ClassifyOptions = {}): Promise<TextLogits> {
    checkClassifyOptions(options);
    return this.textLogits(text, this.withLongDefaults(options));
  }

  private async textLogits(text: string, options: ClassifyOptions): Promise<TextLogits> {
    const plan = longPlan(options, this.tokenizer.maxTokens, this.tokenizer.specialTokens);
    const truncate = options.truncate ?? true;
    // The tokenizer threads (tokenizerThreads) serve the common case, one window cut at the model's limit.
    const pooled = this.pool && plan.mode === 'truncate' && plan.budget + this.tokenizer.specialTokens === this.tokenizer.maxTokens;
    const encoded = pooled
      ? this.tokenizer.oneWindow(await this.pool!.encode(text, truncate))
      : this.tokenizer.encodeLong(text, plan, truncate);
    // A text's chunks are queued together, so the batcher can run them in one batch. One window (the common case)
    // is awaited alone: no Promise.all and its extra promise on the JS thread's hot path.
    const outs = encoded.sequences.length === 1
      ? [await this.engine.run(encoded.sequences[0], null, options)]
      : await Promise.all(encoded.sequences.map((ids) => this.engine.run(ids, null, options)));
    const multiLabel = options.multiLabel ?? this.multiLabel;
    const logits = aggregateLogits(outs.map((o) => o.outputs[this.output].data), encoded.weights, plan.aggregate, multiLabel);
    this.documentHead?.apply(documentTokens(encoded.sequences, encoded.weights, this.tokenizer.suffix.length), [logits]);
    return { logits, multiLabel, tokens: encoded.tokens, truncated: encoded.truncated, chunks: outs.length, timing: timingOf(outs) };
  }
}

/**
 * Loads a sequence-classification model folder (default: the embedded sentiment model, defaultModelDir()). Rejects
 * with ModelLoadError saying why it does not fit.
 */
export function loadClassifier(dir: string = defaultModelDir(), options: LoadOptions = {}): Promise<Classifier> {
  return openModel(dir, options, (opened) => new Classifier(opened));
}

export function checkClassifyOptions(o: ClassifyOptions): void {
  if (o === null || typeof o !== 'object') throw invalidOption('options', 'an object', o);
  checkTopK(o.topK);
  checkThreshold('options.threshold', o.threshold);
  if (o.temperature !== undefined && !(typeof o.temperature === 'number' && o.temperature > 0 && Number.isFinite(o.temperature))) {
    throw invalidOption('options.temperature', 'a finite number > 0', o.temperature);
  }
  if (o.multiLabel !== undefined && typeof o.multiLabel !== 'boolean') throw invalidOption('options.multiLabel', 'a boolean', o.multiLabel);
}

/** Texts of an array call in flight at once: half the queue, divided by the most sequences one text may need. */
export function textsInFlight(maxQueue: number, o: LongOptions): number {
  const perText = o?.long === 'chunks' ? (Number.isInteger(o.maxChunks) ? o.maxChunks! : DEFAULT_MAX_CHUNKS) : 1;
  return Math.max(1, maxQueue / 2 / perText);
}

export function checkTopK(value: unknown): void {
  if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0)) throw invalidOption('options.topK', 'a positive integer', value);
}

export function checkThreshold(path: string, value: unknown): void {
  if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= 1)) throw invalidOption(path, 'a number in [0, 1]', value);
}
