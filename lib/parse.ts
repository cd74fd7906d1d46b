// Multi-head models: loadParser(dir) -> parse(text | text[]) answers every head (intent, scenario, slots…) from ONE
// forward pass. The heads are listed in config.json (docs/model-folders.md).
import { timingOf, type RunOptions, type Timing } from './engine.js';
import { checkThreshold, checkTopK, textsInFlight } from './classify.js';
import { ModelLoadError, invalidOption } from './errors.js';
import { forTexts } from './inputs.js';
import { openModel, Pipeline, requireOutput, type LoadOptions, type OpenedModel } from './load.js';
import { labelList } from './model-dir.js';
import { aggregateLogits, longPlan, ownedWordAnswers, type LongOptions, type LongPlan } from './postprocess/chunks.js';
import { DocumentHead, documentTokens } from './postprocess/document-head.js';
import { argmax } from './postprocess/activations.js';
import { decodeSequence, type SequencePrediction } from './postprocess/sequence.js';
import { bioRulesOf, decodeSpans, SlotTypes, wordTags, type BioRules, type SlotSpan } from './postprocess/spans.js';
import type { WordEncoding } from './tokenize.js';

/** Head name -> kind, e.g. `{ intent: 'sequence'; slots: 'token' }`, to type what parse returns. */
export type HeadKinds = Record<string, 'sequence' | 'token'>;

export interface ParseMeta {
  tokens: number;
  /** True when words past the model's window were dropped (one pass answers every head). */
  truncated: boolean;
  /** Model windows the answer combines (1 unless `long: 'chunks'` met a text longer than the window). */
  chunks: number;
  timing: Timing;
}

export type ParseResult<H extends HeadKinds = HeadKinds> = {
  [K in keyof H]: H[K] extends 'token' ? SlotSpan[] : SequencePrediction;
} & { meta: ParseMeta };

/**
 * `long: 'chunks'` combines sequence heads over the windows (`aggregate`) and tags each word from the window that
 * owns it (overlaps split at the middle). 'head-tail' drops the middle of a text, so token heads reject it.
 */
export interface ParseOptions extends RunOptions, LongOptions {
  /** Abstain threshold for sequence heads: one for all, or per head name. */
  threshold?: number | Record<string, number>;
  topK?: number;
}

interface Head {
  name: string;
  kind: 'sequence' | 'token';
  output: string;
  labels: string[];
  multiLabel: boolean;
  temperature: number;
  /** Token heads: how tags may follow one another (sequence heads: unused). */
  rules: BioRules;
  /** Token heads: the slot types each sequence label allows, from config.json slot_types_by. */
  slotTypes?: SlotTypes;
}

export class Parser<H extends HeadKinds = HeadKinds> extends Pipeline {
  readonly heads: readonly Head[];
  private readonly needsWords: boolean;
  private readonly documentHead: DocumentHead | undefined;

  constructor(opened: OpenedModel) {
    super(opened);
    this.heads = readHeads(opened);
    this.needsWords = this.heads.some((h) => h.kind === 'token');
    const { config, dir } = this.model;
    this.documentHead = config.document_head === undefined ? undefined : new DocumentHead(dir, config.document_head, this.heads.map((h) => ({ name: h.name, classes: h.labels.length })));
  }

  parse(text: string, options?: ParseOptions): Promise<ParseResult<H>>;
  parse(texts: readonly string[], options?: ParseOptions): Promise<ParseResult<H>[]>;
  parse(input: string | readonly string[], callOptions: ParseOptions = {}): Promise<ParseResult<H> | ParseResult<H>[]> {
    const options = this.withLongDefaults(callOptions);
    return forTexts(input, textsInFlight(this.engine.maxQueue, options), async (text) => {
      checkTopK(options.topK);
      const thresholds = this.thresholds(options);
      const plan = longPlan(options, this.tokenizer.maxTokens, this.tokenizer.specialTokens);
      // Token heads need each token's word; sequence-only models take the plain (faster) encoding.
      const words = this.needsWords ? this.encodeWords(text, plan) : null;
      const plain = words ? null : this.tokenizer.encodeLong(text, plan);
      const sequences = words ? words.windows.map((w) => w.ids) : plain!.sequences;
      const weights = words ? (words.weights ?? [1]) : plain!.weights;
      // A text's windows are queued together, so the batcher can run them in one batch.
      const outs = await Promise.all(sequences.map((ids) => this.engine.run(ids, null, options)));
      const result: Record<string, unknown> = {
        meta: { tokens: words ? words.tokens : plain!.tokens, truncated: words ? words.truncated : plain!.truncated, chunks: outs.length, timing: timingOf(outs) },
      };
      // Sequence heads: each head's windows combined, then the folder's document head over them all.
      const combined = this.heads.map((h) => (h.kind === 'sequence' ? aggregateLogits(outs.map((o) => o.outputs[h.output].data), weights, plan.aggregate, h.multiLabel) : new Float64Array()));
      this.documentHead?.apply(documentTokens(sequences, weights, this.tokenizer.suffix.length), combined);
      // A sequence head's top label (before thresholds, which only decide what parse reports) for the token heads.
      const top = (name: string) => {
        const k = this.heads.findIndex((h) => h.name === name);
        return this.heads[k].labels[argmax(combined[k])];
      };
      this.heads.forEach((head, k) => {
        if (head.kind === 'sequence') {
          const { labels, multiLabel, temperature } = head;
          result[head.name] = decodeSequence(combined[k], { labels, multiLabel, temperature, topK: options.topK, threshold: thresholds[head.name] });
        } else {
          const logits = outs.map((o) => o.outputs[head.output].data);
          const { windows, owners } = words!;
          const allowed = head.slotTypes?.allowed(top);
          const perWindow = windows.map((w, k) => wordTags(logits[k], head.labels.length, w.firstTokens, head.labels, head.rules, allowed));
          const tags = ownedWordAnswers(perWindow, windows.map((w) => w.firstWord), owners!);
          result[head.name] = decodeSpans(text, words!.words.slice(0, tags.length), tags);
        }
      });
      return result as ParseResult<H>;
    });
  }

  /** Words and windows for token heads; with one window (truncate), every word it holds is its own. */
  private encodeWords(text: string, plan: LongPlan): WordEncoding {
    if (plan.mode === 'head-tail') throw invalidOption('options.long', "'truncate' or 'chunks' (token heads tag every word; head-tail drops the middle)", plan.mode);
    if (plan.mode === 'chunks') return this.tokenizer.encodeWordChunks(text, plan);
    const encoded = this.tokenizer.encodeWords(text, 'first', plan.budget);
    return { ...encoded, owners: encoded.words.map((_, w) => (w < encoded.windows[0].firstTokens.length ? 0 : -1)) };
  }

  private thresholds(options: ParseOptions): Record<string, number | undefined> {
    const t = options.threshold;
    if (t !== null && typeof t === 'object') {
      for (const [name, value] of Object.entries(t)) {
        if (!this.heads.some((h) => h.name === name && h.kind === 'sequence')) {
          throw invalidOption(`options.threshold.${name}`, `a sequence head (${this.sequenceHeads()})`, name);
        }
        checkThreshold(`options.threshold.${name}`, value);
      }
      return t;
    }
    checkThreshold('options.threshold', t);
    return Object.fromEntries(this.heads.map((h) => [h.name, t]));
  }

  private sequenceHeads(): string {
    return this.heads.filter((h) => h.kind === 'sequence').map((h) => h.name).join(', ');
  }
}

/** Loads a multi-head folder: config.json lists `heads` (name, output, kind, id2label). */
export function loadParser<H extends HeadKinds = HeadKinds>(dir: string, options: LoadOptions = {}): Promise<Parser<H>> {
  return openModel(dir, options, (opened) => new Parser<H>(opened));
}

function readHeads(opened: OpenedModel): Head[] {
  const { config, dir } = opened.model;
  const where = `${dir}/config.json`;
  if (!Array.isArray(config.heads) || config.heads.length === 0) {
    throw new ModelLoadError(`${where} has no "heads" list; see docs/model-folders.md (single-head folders load with loadClassifier/loadTagger)`);
  }
  const seen = new Set<string>();
  const heads: Head[] = config.heads.map((h, i) => {
    const at = `${where} heads[${i}]`;
    if (typeof h?.name !== 'string' || h.name === 'meta' || seen.has(h.name)) throw new ModelLoadError(`${at}.name must be a unique string other than "meta"`);
    if (h.kind !== 'sequence' && h.kind !== 'token') throw new ModelLoadError(`${at}.kind must be "sequence" or "token"`);
    seen.add(h.name);
    const labels = labelList(h.id2label, at);
    const output = requireOutput(opened, { name: h.output, rank: h.kind === 'sequence' ? 2 : 3, classes: labels.length });
    const temperature = typeof h.temperature === 'number' && h.temperature > 0 ? h.temperature : 1;
    const rules = bioRulesOf(h.kind === 'token' ? h.adjacent_spans : undefined, labels, at);
    return { name: h.name, kind: h.kind, output, labels, multiLabel: h.problem_type === 'multi_label_classification', temperature, rules };
  });
  const sequence = heads.filter((h) => h.kind === 'sequence');
  heads.forEach((h, i) => {
    if (h.kind === 'token') h.slotTypes = SlotTypes.of(config.heads![i].slot_types_by, h.labels, sequence, `${where} heads[${i}]`);
  });
  return heads;
}
