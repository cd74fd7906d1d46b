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

/**
 * Each word's tag is read at its first sub-token, as the models are trained; words without tokens are 'O'. The tags
 * are the most probable sequence in which every I-X follows a B-X or an I-X (Viterbi over the words' log-probabilities):
 * a per-word argmax can open a span with I-X or switch type inside one, and seqeval then counts a broken span.
 */
export function wordTags(logits: Float32Array, classes: number, firstTokens: readonly number[], labels: readonly string[]): WordTag[] {
  const follows = transitionsOf(labels);
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
      const before = starts ? (allowed ? -Infinity : 0) : best[prev + from];
      best[row + c] = before + Math.log(Math.max(p[c], 1e-30));
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

const transitions = new WeakMap<readonly string[], (number[] | null)[]>();

/** Per tag, the tags it may follow: I-X only B-X and I-X; null for the rest (any). */
function transitionsOf(labels: readonly string[]): (number[] | null)[] {
  let t = transitions.get(labels);
  if (!t) {
    t = labels.map((l, i) => {
      if (!l.startsWith('I-')) return null;
      const b = labels.indexOf(`B-${l.slice(2)}`);
      return b < 0 ? [i] : [b, i];
    });
    transitions.set(labels, t);
  }
  return t;
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
