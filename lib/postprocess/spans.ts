// Token-head logits -> slot spans with character offsets into the original text.
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

/** Each word's tag is read at its first sub-token, as the models are trained; words without tokens are 'O'. */
export function wordTags(logits: Float32Array, classes: number, firstTokens: readonly number[], labels: readonly string[]): WordTag[] {
  return firstTokens.map((t) => {
    if (t < 0) return { tag: 'O', score: 1 };
    const probs = softmax(logits.subarray(t * classes, (t + 1) * classes));
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[c] > probs[best]) best = c;
    return { tag: labels[best], score: probs[best] };
  });
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
