// Sequence classification: loadClassifier(dir) -> classify(text | text[]).
import { timingOf, type RunOptions, type Timing } from './engine.js';
import { invalidOption } from './errors.js';
import { forTexts } from './inputs.js';
import { openModel, Pipeline, requireOutput, type LoadOptions, type OpenedModel } from './load.js';
import { defaultModelDir, labelList } from './model-dir.js';
import { decodeSequence, type SequencePrediction } from './postprocess/sequence.js';

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

export interface Classification extends SequencePrediction {
  /** Tokens the model saw, special tokens included. */
  tokens: number;
  truncated: boolean;
  timing: Timing;
}

export class Classifier extends Pipeline {
  readonly labels: readonly string[];
  readonly multiLabel: boolean;
  readonly temperature: number;
  /** The logits output the classifier reads (public for callers that want raw scores, e.g. serve/'s TEI route). */
  readonly output: string;

  constructor(opened: OpenedModel) {
    super(opened);
    const { config } = this.model;
    this.labels = labelList(config.id2label, `${this.model.dir}/config.json`);
    this.multiLabel = config.problem_type === 'multi_label_classification';
    this.temperature = typeof config.temperature === 'number' && config.temperature > 0 ? config.temperature : 1;
    this.output = requireOutput(opened, { name: 'logits', rank: 2, classes: this.labels.length, orOnly: true });
  }

  classify(text: string, options?: ClassifyOptions): Promise<Classification>;
  classify(texts: readonly string[], options?: ClassifyOptions): Promise<Classification[]>;
  classify(input: string | readonly string[], options: ClassifyOptions = {}): Promise<Classification | Classification[]> {
    return forTexts(input, this.engine.maxQueue / 2, async (text) => {
      checkClassifyOptions(options);
      const truncate = options.truncate ?? true;
      const encoded = this.pool ? await this.pool.encode(text, truncate) : this.tokenizer.encode(text, truncate);
      const out = await this.engine.run(encoded.ids, null, options);
      const prediction = decodeSequence(out.outputs[this.output].data, {
        labels: this.labels,
        multiLabel: options.multiLabel ?? this.multiLabel,
        temperature: options.temperature ?? this.temperature,
        topK: options.topK,
        threshold: options.threshold,
      });
      return { ...prediction, tokens: encoded.ids.length, truncated: encoded.truncated, timing: timingOf([out]) };
    });
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

export function checkTopK(value: unknown): void {
  if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0)) throw invalidOption('options.topK', 'a positive integer', value);
}

export function checkThreshold(path: string, value: unknown): void {
  if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= 1)) throw invalidOption(path, 'a number in [0, 1]', value);
}
