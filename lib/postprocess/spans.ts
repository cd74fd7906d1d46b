// Token-head logits -> slot spans with character offsets into the original text.
import { ModelLoadError } from '../errors.js';
import { softmax } from './activations.js';
import type { Word } from '../tokenize.js';

export interface SlotSpan {
  slot: string;
  /** The original text of the span (edge punctuation trimmed). */
  value: string;
  /** [start, end) offsets into the original string, UTF-16 code units (so text.slice(start, end) === value). */
  start: number;
  end: number;
  /** Mean probability of the span's word tags. */
  score: number;
}

export interface WordTag {
  tag: string;
  score: number;
}

/**
 * Each word's tag is read at its first sub-token, as the models are trained; words without tokens are 'O'. The tags
 * are the most probable sequence in which every I-X follows a B-X or an I-X (Viterbi over the words' log-probabilities):
 * a per-word argmax can open a span with I-X or switch type inside one, and seqeval then counts a broken span.
 * `rules` (bioRules) may also keep a span of X from starting right after another span of X; `permitted` (SlotTypes)
 * leaves out the tags a text's predicted labels never had in training.
 */
export function wordTags(
  logits: Float32Array, classes: number, firstTokens: readonly number[], labels: readonly string[], rules: BioRules = bioRules(labels), permitted?: readonly boolean[],
): WordTag[] {
  const { follows, opens } = rules;
  const n = firstTokens.length;
  const probs = firstTokens.map((t) => (t < 0 ? null : softmax(logits.subarray(t * classes, (t + 1) * classes))));
  const best = new Float64Array(n * classes); // log-probability of the best sequence ending in tag c at word w
  const back = new Int32Array(n * classes).fill(-1);
  for (let w = 0; w < n; w++) {
    const p = probs[w];
    if (!p) continue;
    const row = w * classes;
    const prev = (w - 1) * classes;
    const starts = w === 0 || !probs[w - 1]; // a word without tokens is 'O', so the next one starts afresh
    let anyPrev = 0;
    if (!starts) for (let c = 1; c < classes; c++) if (best[prev + c] > best[prev + anyPrev]) anyPrev = c;
    for (let c = 0; c < classes; c++) {
      const allowed = follows[c];
      let from = starts ? -1 : anyPrev;
      if (allowed && !starts) {
        from = -1;
        for (const a of allowed) if (from < 0 || best[prev + a] > best[prev + from]) from = a;
      }
      const before = starts ? (opens[c] ? 0 : -Infinity) : best[prev + from];
      best[row + c] = permitted && !permitted[c] ? -Infinity : before + Math.log(Math.max(p[c], 1e-30));
      back[row + c] = from;
    }
  }
  const tags: WordTag[] = new Array(n);
  let c = -1;
  for (let w = n - 1; w >= 0; w--) {
    const p = probs[w];
    if (!p) {
      tags[w] = { tag: 'O', score: 1 };
      c = -1;
      continue;
    }
    if (c < 0) { // the last word of a run: its best tag
      c = 0;
      for (let k = 1; k < classes; k++) if (best[w * classes + k] > best[w * classes + c]) c = k;
    }
    tags[w] = { tag: labels[c], score: p[c] };
    c = back[w * classes + c];
  }
  return tags;
}

export interface BioRules {
  /** Per tag, the tags it may follow; null: any. */
  follows: readonly (readonly number[] | null)[];
  /** Per tag, whether a sequence may start with it (every tag but I-). */
  opens: readonly boolean[];
}

/**
 * I-X may only follow B-X or I-X. With `adjacentSpans` (a token head's `adjacent_spans` in config.json: the slot types
 * whose spans directly followed another span of the same type in the training data), B-X may follow B-X or I-X only
 * for those types: elsewhere a model's B-X inside a span is a broken span, not two ("operetta for | the theatre organ").
 */
export function bioRules(labels: readonly string[], adjacentSpans?: readonly string[]): BioRules {
  const index = new Map(labels.map((l, i) => [l, i]));
  const follows = labels.map((l, i) => {
    const x = l.slice(2);
    if (l.startsWith('I-')) return index.has(`B-${x}`) ? [index.get(`B-${x}`)!, i] : [i];
    if (!l.startsWith('B-') || !adjacentSpans || adjacentSpans.includes(x)) return null;
    return labels.flatMap((t, j) => (t === l || t === `I-${x}` ? [] : [j]));
  });
  return { follows, opens: labels.map((l) => !l.startsWith('I-')) };
}

/** bioRules from a config.json token head's `adjacent_spans` (absent: no rule on adjacent spans, as before it existed). */
export function bioRulesOf(adjacentSpans: unknown, labels: readonly string[], where: string): BioRules {
  if (adjacentSpans === undefined) return bioRules(labels);
  if (!Array.isArray(adjacentSpans) || adjacentSpans.some((x) => typeof x !== 'string' || !labels.includes(`B-${x}`))) {
    throw new ModelLoadError(`${where}.adjacent_spans must list slot types of its labels (B-<type> in id2label)`);
  }
  return bioRules(labels, adjacentSpans);
}

/**
 * A token head's `slot_types_by` in config.json: per single-label sequence head, per label, the slot types seen with
 * that label in training. A text's tags are decoded among the types of its sequence heads' top labels (O always).
 */
export class SlotTypes {
  private readonly masks = new Map<string, boolean[]>();

  private constructor(private readonly byHead: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>, private readonly labels: readonly string[]) {}

  /** undefined when the head has no slot_types_by; ModelLoadError when it does not fit the heads. */
  static of(value: unknown, labels: readonly string[], sequenceHeads: readonly { name: string; labels: readonly string[]; multiLabel: boolean }[], where: string): SlotTypes | undefined {
    if (value === undefined) return undefined;
    const fail = (what: string) => new ModelLoadError(`${where}.slot_types_by${what}`);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fail(' must be an object: sequence head -> label -> slot types');
    const byHead = new Map<string, Map<string, Set<string>>>();
    for (const [name, perLabel] of Object.entries(value)) {
      const head = sequenceHeads.find((h) => h.name === name && !h.multiLabel);
      if (!head) throw fail(`.${name}: not a single-label sequence head of this model`);
      if (perLabel === null || typeof perLabel !== 'object' || Array.isArray(perLabel)) throw fail(`.${name} must be an object: label -> slot types`);
      const types = new Map<string, Set<string>>();
      for (const [label, list] of Object.entries(perLabel as Record<string, unknown>)) {
        if (!head.labels.includes(label)) throw fail(`.${name}: "${label}" is not one of its labels`);
        if (!Array.isArray(list) || list.some((x) => typeof x !== 'string' || !labels.includes(`B-${x}`))) throw fail(`.${name}.${label} must list slot types of this head's labels`);
        types.set(label, new Set(list));
      }
      byHead.set(name, types);
    }
    return new SlotTypes(byHead, labels);
  }

  /** Per tag, whether it may be decoded given each sequence head's top label (a label not listed restricts nothing). */
  allowed(top: (head: string) => string): boolean[] {
    const tops = [...this.byHead.keys()].map(top);
    const key = tops.join('\u0000');
    let mask = this.masks.get(key);
    if (!mask) {
      const lists = [...this.byHead.values()].map((types, i) => types.get(tops[i]));
      mask = this.labels.map((tag) => tag === 'O' || lists.every((l) => !l || l.has(tag.slice(2))));
      this.masks.set(key, mask);
    }
    return mask;
  }
}

/**
 * Merges BIO word tags into spans the way seqeval's default mode reads them: B-X opens a span, I-X continues a
 * span of type X and otherwise opens one (an I- without its B- is tolerated), O and type changes close it.
 */
export function decodeSpans(text: string, words: readonly Word[], tags: readonly WordTag[]): SlotSpan[] {
  const spans: SlotSpan[] = [];
  let open: { slot: string; first: number; last: number; scores: number[] } | null = null;
  const close = () => {
    if (!open) return;
    const [start, end] = trimPunctuation(text, words[open.first].start, words[open.last].end);
    const score = open.scores.reduce((a, b) => a + b, 0) / open.scores.length;
    spans.push({ slot: open.slot, value: text.slice(start, end), start, end, score });
    open = null;
  };
  tags.forEach(({ tag, score }, w) => {
    const prefix = tag.slice(0, 2);
    const slot = tag.slice(2);
    if (tag === 'O' || (prefix !== 'B-' && prefix !== 'I-')) return close();
    if (prefix === 'I-' && open?.slot === slot) {
      open.last = w;
      open.scores.push(score);
      return;
    }
    close();
    open = { slot, first: w, last: w, scores: [score] };
  });
  close();
  return spans;
}

// Words keep attached punctuation ("spotify." or "(daft"); a span's value should not. A trailing dot stays when the
// word has another one ("a.m.", "u.s.").
function trimPunctuation(text: string, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  while (s < e - 1 && `"'([{«“‘`.includes(text[s])) s++;
  while (e > s + 1) {
    const c = text[e - 1];
    if (`"')]}»”’,;:!?`.includes(c) || (c === '.' && !text.slice(s, e - 1).includes('.'))) e--;
    else break;
  }
  return [s, e];
}
