// Zero-shot classification with a sentence encoder: loadZeroShot(dir) -> classify(text, { labels }). Each label is
// described by one or more prompts; a text's score for a label is its cosine to the label's prototype (the mean of
// its prompts' unit vectors), turned into probabilities by a fitted scale. Prompts are embedded once and cached.
import { checkThreshold, checkTopK, type Classification } from './classify.js';
import { loadEmbedder, type Embedder } from './embed.js';
import type { RunOptions } from './engine.js';
import { InvalidLabelsError, invalidOption } from './errors.js';
import { forTexts } from './inputs.js';
import type { LoadOptions } from './load.js';
import { cosine, l2Normalize } from './postprocess/pooling.js';
import { decodeSequence } from './postprocess/sequence.js';

/**
 * Softmax over `scale * cosine`. Fitted by `npm run eval -- zeroshot --fit-scale` (NLL on 1,812 texts from the
 * example pools of SST-2, AG News and MASSIVE, never their test rows) for all-MiniLM-L6-v2 int8: 20.48 (2026-11-30).
 * A folder's config.json may carry its own `zero_shot_scale` (models/embed-minilm-l6 does); the `scale` option
 * overrides both.
 */
export const DEFAULT_ZERO_SHOT_SCALE = 20.48;
/** Multi-label: sigmoid(scale * (cosine - bias)) per label; bias fitted in the same run (`zero_shot_bias`). */
export const DEFAULT_ZERO_SHOT_BIAS = 0.265;

/** Label names, or label -> one or more descriptions (each put through the template). */
export type ZeroShotLabels = readonly string[] | Readonly<Record<string, string | readonly string[]>>;

export interface ZeroShotOptions extends RunOptions {
  labels: ZeroShotLabels;
  /** Prompt around each description; `{}` marks where it goes. Default '{}' (the description alone). */
  template?: string;
  /** Independent sigmoid per label instead of one softmax. */
  multiLabel?: boolean;
  /** Abstain (label null) below this top score; multi-label: the per-label cut (default 0.5). */
  threshold?: number;
  topK?: number;
  /** Overrides the fitted scale. */
  scale?: number;
  truncate?: boolean;
}

export class ZeroShotClassifier {
  readonly scale: number;
  readonly bias: number;
  private readonly prompts = new Map<string, Promise<Float32Array>>();

  constructor(readonly embedder: Embedder) {
    const { config } = embedder.model;
    this.scale = positive(config.zero_shot_scale) ?? DEFAULT_ZERO_SHOT_SCALE;
    this.bias = typeof config.zero_shot_bias === 'number' ? config.zero_shot_bias : DEFAULT_ZERO_SHOT_BIAS;
  }

  classify(text: string, options: ZeroShotOptions): Promise<Classification>;
  classify(texts: readonly string[], options: ZeroShotOptions): Promise<Classification[]>;
  classify(input: string | readonly string[], options: ZeroShotOptions): Promise<Classification | Classification[]> {
    let checked: { labels: string[]; descriptions: string[][]; template: string };
    try {
      checked = checkOptions(options);
    } catch (err) {
      return Promise.reject(err);
    }
    const { labels, descriptions, template } = checked;
    const prototypes = Promise.all(descriptions.map((d) => this.prototype(d, template)));
    prototypes.catch(() => {}); // observed below; an early input error must not leave it unhandled
    const scale = options.scale ?? this.scale;
    const multiLabel = options.multiLabel ?? false;
    return forTexts(input, this.embedder.engine.maxQueue / 2, async (text) => {
      const [protos, e] = await Promise.all([prototypes, this.embedder.embedOne(text, options)]);
      const logits = protos.map((p) => scale * (cosine(e.vector, p) - (multiLabel ? this.bias : 0)));
      const prediction = decodeSequence(logits, { labels, multiLabel, temperature: 1, topK: options.topK, threshold: options.threshold });
      return { ...prediction, tokens: e.tokens, truncated: e.truncated, chunks: 1, timing: e.timing };
    });
  }

  /** The cosine of a text to each label's prototype, in label order (what eval fits the scale on). */
  async cosines(text: string, options: Pick<ZeroShotOptions, 'labels' | 'template'>): Promise<number[]> {
    const { descriptions, template } = checkOptions(options);
    const [protos, e] = await Promise.all([Promise.all(descriptions.map((d) => this.prototype(d, template))), this.embedder.embedOne(text)]);
    return protos.map((p) => cosine(e.vector, p));
  }

  dispose(): Promise<void> {
    return this.embedder.dispose();
  }

  private prototype(descriptions: string[], template: string): Promise<Float32Array> {
    return Promise.all(descriptions.map((d) => this.prompt(template.replaceAll('{}', d)))).then((vectors) => {
      const mean = new Float32Array(vectors[0].length);
      for (const v of vectors) for (let i = 0; i < v.length; i++) mean[i] += v[i];
      return l2Normalize(mean);
    });
  }

  // Unit vectors whatever the folder's Normalize says: a prototype is a mean of directions.
  private prompt(text: string): Promise<Float32Array> {
    let vector = this.prompts.get(text);
    if (!vector) {
      vector = this.embedder.embed(text, { normalize: true });
      this.prompts.set(text, vector);
      vector.catch(() => this.prompts.delete(text));
    }
    return vector;
  }
}

/** Loads an embedder folder for zero-shot classification. */
export async function loadZeroShot(dir: string, options: LoadOptions = {}): Promise<ZeroShotClassifier> {
  return new ZeroShotClassifier(await loadEmbedder(dir, options));
}

function positive(x: unknown): number | undefined {
  return typeof x === 'number' && x > 0 && Number.isFinite(x) ? x : undefined;
}

function checkOptions(o: Pick<ZeroShotOptions, 'labels' | 'template'> & Partial<ZeroShotOptions>) {
  if (o === null || typeof o !== 'object') throw invalidOption('options', 'an object with labels', o);
  const template = o.template ?? '{}';
  if (typeof template !== 'string' || !template.includes('{}')) throw invalidOption('options.template', "a string containing '{}'", template);
  if (o.scale !== undefined && positive(o.scale) === undefined) throw invalidOption('options.scale', 'a finite number > 0', o.scale);
  if (o.multiLabel !== undefined && typeof o.multiLabel !== 'boolean') throw invalidOption('options.multiLabel', 'a boolean', o.multiLabel);
  checkThreshold('options.threshold', o.threshold);
  checkTopK(o.topK);
  const entries: [string, unknown][] = Array.isArray(o.labels)
    ? o.labels.map((l: unknown) => [l as string, [l]])
    : o.labels !== null && typeof o.labels === 'object'
      ? Object.entries(o.labels).map(([l, d]) => [l, typeof d === 'string' ? [d] : d])
      : [];
  if (entries.length === 0) throw new InvalidLabelsError('options.labels must name at least one label');
  const seen = new Set<string>();
  for (const [label, descriptions] of entries) {
    if (typeof label !== 'string' || label === '') throw new InvalidLabelsError(`labels must be non-empty strings, got ${JSON.stringify(label)}`);
    if (seen.has(label)) throw new InvalidLabelsError(`label "${label}" is given twice`);
    seen.add(label);
    if (!Array.isArray(descriptions) || descriptions.length === 0 || !descriptions.every((d) => typeof d === 'string' && d !== '')) {
      throw new InvalidLabelsError(`label "${label}" needs one or more non-empty description strings`);
    }
  }
  return { labels: entries.map(([l]) => l), descriptions: entries.map(([, d]) => d as string[]), template };
}
