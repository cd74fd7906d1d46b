// Few-shot classification: trainFewShot(embedder, examples) fits a logistic head on frozen sentence embeddings, in
// Node, in seconds. Body (the encoder folder) and head (head.json) are separate parts, saved apart: a head can be
// retrained without touching the encoder, and an encoder fine-tuned elsewhere (models/embed/setfit.py) takes a
// new head the same way.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkThreshold, checkTopK, type Classification } from './classify.js';
import { loadEmbedder, type Embedder } from './embed.js';
import type { RunOptions } from './engine.js';
import { InvalidInputError, InvalidLabelsError, invalidOption, ModelLoadError, TooFewExamplesError, UnknownLabelError } from './errors.js';
import { forTexts, mapBounded } from './inputs.js';
import type { LoadOptions } from './load.js';
import { fitLogistic, logits, type LogisticHead } from './logistic.js';
import { POOLING_MODES, type PoolingMode } from './postprocess/pooling.js';
import { decodeSequence, type SequencePrediction } from './postprocess/sequence.js';

export interface FewShotExample {
  text: string;
  label: string;
}

export interface FewShotOptions {
  /** The classes, in score order; default: the examples' labels in order of first appearance. */
  labels?: readonly string[];
  /** Inverse regularisation strength of the head (scikit-learn's 1 / C). Default 1. */
  l2?: number;
  maxIterations?: number;
}

export interface FewShotClassifyOptions extends RunOptions {
  topK?: number;
  /** Abstain (label null) below this top score. */
  threshold?: number;
  truncate?: boolean;
}

/** head.json: what the head was trained on and its weights. */
export interface FewShotHeadFile {
  format: 'onnx-textclf/few-shot-head';
  version: 1;
  /** The encoder folder, relative to the head's folder. */
  encoder: string;
  pooling: PoolingMode[];
  normalize: boolean;
  labels: string[];
  head: LogisticHead;
  training: { examples: number; l2: number; date: string };
}

const HEAD_FILE = 'head.json';
const MIN_EXAMPLES_PER_LABEL = 2;

export class FewShotClassifier {
  constructor(
    readonly embedder: Embedder,
    readonly labels: readonly string[],
    readonly head: LogisticHead,
    /** How texts are embedded for this head (pass to `embed` before `predict`). */
    readonly embedding: { pooling: PoolingMode[]; normalize: boolean },
    private readonly training: FewShotHeadFile['training'],
  ) {}

  classify(text: string, options?: FewShotClassifyOptions): Promise<Classification>;
  classify(texts: readonly string[], options?: FewShotClassifyOptions): Promise<Classification[]>;
  classify(input: string | readonly string[], options: FewShotClassifyOptions = {}): Promise<Classification | Classification[]> {
    return forTexts(input, this.embedder.engine.maxQueue / 2, async (text) => {
      checkTopK(options.topK);
      checkThreshold('options.threshold', options.threshold);
      const e = await this.embedder.embedOne(text, { ...options, ...this.embedding });
      return { ...this.predict(e.vector, options), tokens: e.tokens, truncated: e.truncated, chunks: 1, timing: e.timing };
    });
  }

  /** The head alone on a vector embedded earlier with this classifier's pooling and normalisation (`embedding`). */
  predict(vector: ArrayLike<number>, options: Pick<FewShotClassifyOptions, 'topK' | 'threshold'> = {}): SequencePrediction {
    return decodeSequence(logits(this.head, vector), { labels: this.labels, multiLabel: false, temperature: 1, topK: options.topK, threshold: options.threshold });
  }

  /** Writes head.json into `dir`; the encoder stays where it is and is referred to by a relative path. */
  async save(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const file: FewShotHeadFile = {
      format: 'onnx-textclf/few-shot-head',
      version: 1,
      encoder: path.relative(path.resolve(dir), path.resolve(this.embedder.model.dir)) || '.',
      ...this.embedding,
      labels: [...this.labels],
      head: this.head,
      training: this.training,
    };
    writeFileSync(path.join(dir, HEAD_FILE), JSON.stringify(file) + '\n');
  }

  dispose(): Promise<void> {
    return this.embedder.dispose();
  }
}

/**
 * Embeds the examples with `embedder` (its default pooling and normalisation) and fits a logistic head. Rejects
 * with InvalidLabelsError, UnknownLabelError or TooFewExamplesError (fewer than two examples for a label).
 */
export async function trainFewShot(embedder: Embedder, examples: readonly FewShotExample[], options: FewShotOptions = {}): Promise<FewShotClassifier> {
  const labels = checkTraining(examples, options);
  const embedding = { pooling: [...embedder.pooling], normalize: embedder.normalize };
  const vectors = await mapBounded(examples, embedder.engine.maxQueue / 2, (e) => embedder.embed(e.text, embedding));
  const l2 = options.l2 ?? 1;
  const head = fitLogistic(vectors, examples.map((e) => labels.indexOf(e.label)), labels.length, { l2, maxIterations: options.maxIterations });
  return new FewShotClassifier(embedder, labels, head, embedding, { examples: examples.length, l2, date: new Date().toISOString() });
}

/** Loads a head saved by `save()` and the encoder it names. */
export async function loadFewShot(dir: string, options: LoadOptions = {}): Promise<FewShotClassifier> {
  const file = path.join(dir, HEAD_FILE);
  if (!existsSync(file)) throw new ModelLoadError(`no ${HEAD_FILE} in ${dir}`);
  let saved: FewShotHeadFile;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModelLoadError(`${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  checkHeadFile(saved, file);
  const embedder = await loadEmbedder(path.resolve(dir, saved.encoder), options);
  if (embedder.dimension(saved.pooling) !== saved.head.weights[0].length) {
    await embedder.dispose();
    throw new ModelLoadError(`${file}: the head reads ${saved.head.weights[0].length}-wide vectors; encoder ${saved.encoder} gives ${embedder.dimension(saved.pooling)}`);
  }
  return new FewShotClassifier(embedder, saved.labels, saved.head, { pooling: saved.pooling, normalize: saved.normalize }, saved.training);
}

function checkTraining(examples: readonly FewShotExample[], options: FewShotOptions): string[] {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options);
  if (options.l2 !== undefined && !(typeof options.l2 === 'number' && options.l2 > 0 && Number.isFinite(options.l2))) throw invalidOption('options.l2', 'a finite number > 0', options.l2);
  if (!Array.isArray(examples)) throw new InvalidInputError('examples must be an array of { text, label }');
  examples.forEach((e, i) => {
    if (typeof e?.text !== 'string' || typeof e?.label !== 'string') throw new InvalidInputError(`examples[${i}] must be { text: string, label: string }`);
  });
  const labels = options.labels ? [...options.labels] : [...new Set(examples.map((e) => e.label))];
  if (labels.length === 0) throw new InvalidLabelsError('no labels: give options.labels or examples');
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup !== undefined) throw new InvalidLabelsError(`label "${dup}" is given twice`);
  if (labels.length < 2) throw new InvalidLabelsError(`a classifier needs two or more labels, got ${JSON.stringify(labels)}`);
  const counts = new Map(labels.map((l) => [l, 0]));
  examples.forEach((e, i) => {
    if (!counts.has(e.label)) throw new UnknownLabelError(`examples[${i}] has label "${e.label}", which is not in options.labels (${labels.join(', ')})`);
    counts.set(e.label, counts.get(e.label)! + 1);
  });
  for (const [label, n] of counts) {
    if (n < MIN_EXAMPLES_PER_LABEL) throw new TooFewExamplesError(`label "${label}" has ${n} example${n === 1 ? '' : 's'}; it needs at least ${MIN_EXAMPLES_PER_LABEL}`);
  }
  return labels;
}

function checkHeadFile(f: FewShotHeadFile, where: string): void {
  const ok =
    f?.format === 'onnx-textclf/few-shot-head' &&
    typeof f.encoder === 'string' &&
    Array.isArray(f.labels) &&
    Array.isArray(f.pooling) &&
    f.pooling.every((m) => POOLING_MODES.includes(m)) &&
    Array.isArray(f.head?.weights) &&
    f.head.weights.length === f.labels.length &&
    Array.isArray(f.head.bias) &&
    f.head.bias.length === f.labels.length;
  if (!ok) throw new ModelLoadError(`${where} is not a few-shot head written by save() (format, encoder, labels, pooling, head)`);
}

