// Multi-head models: loadParser(dir) -> parse(text | text[]) answers every head (intent, scenario, slots…) from ONE
// forward pass. The heads are listed in config.json (docs/model-folders.md).
import { timingOf, type RunOptions, type Timing } from './engine.js';
import { checkThreshold, checkTopK } from './classify.js';
import { ModelLoadError, invalidOption } from './errors.js';
import { forTexts } from './inputs.js';
import { openModel, Pipeline, requireOutput, type LoadOptions, type OpenedModel } from './load.js';
import { labelList } from './model-dir.js';
import { decodeSequence, type SequencePrediction } from './postprocess/sequence.js';
import { decodeSpans, wordTags, type SlotSpan } from './postprocess/spans.js';

/** Head name -> kind, e.g. `{ intent: 'sequence'; slots: 'token' }`, to type what parse returns. */
export type HeadKinds = Record<string, 'sequence' | 'token'>;

export interface ParseMeta {
  tokens: number;
  /** True when words past the model's window were dropped (one pass answers every head). */
  truncated: boolean;
  timing: Timing;
}

export type ParseResult<H extends HeadKinds = HeadKinds> = {
  [K in keyof H]: H[K] extends 'token' ? SlotSpan[] : SequencePrediction;
} & { meta: ParseMeta };

export interface ParseOptions extends RunOptions {
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
}

export class Parser<H extends HeadKinds = HeadKinds> extends Pipeline {
  readonly heads: readonly Head[];
  private readonly needsWords: boolean;

  constructor(opened: OpenedModel) {
    super(opened);
    this.heads = readHeads(opened);
    this.needsWords = this.heads.some((h) => h.kind === 'token');
  }

  parse(text: string, options?: ParseOptions): Promise<ParseResult<H>>;
  parse(texts: readonly string[], options?: ParseOptions): Promise<ParseResult<H>[]>;
  parse(input: string | readonly string[], options: ParseOptions = {}): Promise<ParseResult<H> | ParseResult<H>[]> {
    return forTexts(input, this.engine.maxQueue / 2, async (text) => {
      checkTopK(options.topK);
      const thresholds = this.thresholds(options);
      // Token heads need each token's word; sequence-only models take the plain (faster) encoding.
      const words = this.needsWords ? this.tokenizer.encodeWords(text, 'first') : null;
      const plain = words ? null : this.tokenizer.encode(text);
      const ids = words ? words.windows[0].ids : plain!.ids;
      const out = await this.engine.run(ids, null, options);
      const result: Record<string, unknown> = {
        meta: { tokens: ids.length, truncated: words ? words.truncated : plain!.truncated, timing: timingOf([out]) },
      };
      for (const head of this.heads) {
        const logits = out.outputs[head.output].data;
        if (head.kind === 'sequence') {
          const { labels, multiLabel, temperature } = head;
          result[head.name] = decodeSequence(logits, { labels, multiLabel, temperature, topK: options.topK, threshold: thresholds[head.name] });
        } else {
          const window = words!.windows[0];
          const tags = wordTags(logits, head.labels.length, window.firstTokens, head.labels);
          result[head.name] = decodeSpans(text, words!.words.slice(0, window.firstTokens.length), tags);
        }
      }
      return result as ParseResult<H>;
    });
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
  return config.heads.map((h, i) => {
    const at = `${where} heads[${i}]`;
    if (typeof h?.name !== 'string' || h.name === 'meta' || seen.has(h.name)) throw new ModelLoadError(`${at}.name must be a unique string other than "meta"`);
    if (h.kind !== 'sequence' && h.kind !== 'token') throw new ModelLoadError(`${at}.kind must be "sequence" or "token"`);
    seen.add(h.name);
    const labels = labelList(h.id2label, at);
    const output = requireOutput(opened, { name: h.output, rank: h.kind === 'sequence' ? 2 : 3, classes: labels.length });
    const temperature = typeof h.temperature === 'number' && h.temperature > 0 ? h.temperature : 1;
    return { name: h.name, kind: h.kind, output, labels, multiLabel: h.problem_type === 'multi_label_classification', temperature };
  });
}
