// Token classification: loadTagger(dir) -> tagSlots(text | text[]) -> BIO spans with offsets into the text.
import { timingOf, type RunOptions, type Timing } from './engine.js';
import { forTexts } from './inputs.js';
import { openModel, Pipeline, requireOutput, type LoadOptions, type OpenedModel } from './load.js';
import { labelList } from './model-dir.js';
import { bioRulesOf, decodeSpans, wordTags, type BioRules, type SlotSpan } from './postprocess/spans.js';

export interface Tagging {
  slots: SlotSpan[];
  /** Model runs the text needed: texts longer than the window are tagged window by window. */
  windows: number;
  timing: Timing;
}

export class Tagger extends Pipeline {
  readonly labels: readonly string[];
  private readonly output: string;
  private readonly rules: BioRules;

  constructor(opened: OpenedModel) {
    super(opened);
    this.labels = labelList(this.model.config.id2label, `${this.model.dir}/config.json`);
    this.output = requireOutput(opened, { name: 'logits', rank: 3, classes: this.labels.length, orOnly: true });
    this.rules = bioRulesOf(this.model.config.adjacent_spans, this.labels, `${this.model.dir}/config.json`);
  }

  tagSlots(text: string, options?: RunOptions): Promise<Tagging>;
  tagSlots(texts: readonly string[], options?: RunOptions): Promise<Tagging[]>;
  tagSlots(input: string | readonly string[], options: RunOptions = {}): Promise<Tagging | Tagging[]> {
    return forTexts(input, this.engine.maxQueue / 2, async (text) => {
      const { words, windows } = this.tokenizer.encodeWords(text, 'all');
      // Windows of one text run concurrently, so the batcher can put them in one batch.
      const outs = await Promise.all(windows.map((w) => this.engine.run(w.ids, null, options)));
      const tags = windows.flatMap((w, i) => wordTags(outs[i].outputs[this.output].data, this.labels.length, w.firstTokens, this.labels, this.rules));
      return { slots: decodeSpans(text, words, tags), windows: windows.length, timing: timingOf(outs) };
    });
  }
}

/** Loads a token-classification folder (BIO labels in id2label, a [batch, tokens, labels] output). */
export function loadTagger(dir: string, options: LoadOptions = {}): Promise<Tagger> {
  return openModel(dir, options, (opened) => new Tagger(opened));
}
