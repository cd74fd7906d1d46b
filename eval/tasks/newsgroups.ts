// 20 Newsgroups, bydate split (../shared/data/20newsgroups, SOURCE.md): the 20 groups and the paper's 7
// categories (each group name's root), through the multi-field runner SNIPS and MASSIVE use, so `--dual` puts a
// consolidated two-head model beside a 20-class + a 7-class model. A 20-class model alone also answers the 7
// categories, by summing its group probabilities per root.
//
// The reader below is the task's only 20NG-specific code (a shared datasets/ reader may replace it).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { seeded, shuffle } from '../../bench/stats.js';
import { EvalError, requireFile } from '../data.js';
import type { TaskContext } from '../types.js';
import { intentSlotsTask } from './intent-slots.js';

/** The paper's 7 classes: the root of each group name. */
export const CATEGORIES = ['alt', 'comp', 'misc', 'rec', 'sci', 'soc', 'talk'] as const;
export const categoryOf = (group: string): string => group.slice(0, group.indexOf('.') < 0 ? group.length : group.indexOf('.'));

export const STRIP_PARTS = ['headers', 'footers', 'quotes'] as const;
export type StripPart = (typeof STRIP_PARTS)[number];

// scikit-learn's fetch_20newsgroups strip functions (sklearn/datasets/_twenty_newsgroups.py), ported as they are.
const QUOTE_LINE = /(writes in|writes:|wrote:|says:|said:|^In article|^Quoted from|^\||^>)/;
const STRIPPERS: Record<StripPart, (text: string) => string> = {
  // Everything up to the first blank line.
  headers: (text) => {
    const at = text.indexOf('\n\n');
    return at < 0 ? '' : text.slice(at + 2);
  },
  // The signature block: from the last line made only of dashes (or blank) on.
  footers: (text) => {
    const lines = text.trim().split('\n');
    let n = lines.length - 1;
    for (; n >= 0; n--) if (lines[n].trim().replace(/^-+|-+$/g, '') === '') break;
    return n > 0 ? lines.slice(0, n).join('\n') : text;
  },
  quotes: (text) => text.split('\n').filter((line) => !QUOTE_LINE.test(line)).join('\n'),
};

/** Strips the given parts in sklearn's order (headers, footers, quotes). */
export function stripPost(text: string, parts: readonly StripPart[]): string {
  return STRIP_PARTS.filter((p) => parts.includes(p)).reduce((t, p) => STRIPPERS[p](t), text);
}

export interface Post {
  id: string;
  text: string;
  group: string;
}

/**
 * Reads a split file (gzipped JSON lines: id, text, label). The rows are sorted by group; they come back in a fixed
 * seeded order instead, so `--limit n` takes a mix of groups (sklearn shuffles too, with its own permutation).
 */
export function readNewsgroups(file: string, strip: readonly StripPart[] = []): Post[] {
  const lines = gunzipSync(readFileSync(requireFile(file))).toString('utf8').split('\n').filter((l) => l.trim());
  const posts = lines.map((line, i) => {
    const r = JSON.parse(line) as { id?: unknown; text?: unknown; label?: unknown };
    if (typeof r.text !== 'string' || typeof r.label !== 'string') throw new EvalError(`${file}:${i + 1}: expected string "text" and "label"`);
    return { id: String(r.id ?? i), text: stripPost(r.text, strip), group: r.label };
  });
  return shuffle(posts, seeded(42));
}

function stripParts(ctx: TaskContext): StripPart[] {
  const parts = ctx.strip ?? [];
  const bad = parts.filter((p) => !(STRIP_PARTS as readonly string[]).includes(p));
  if (bad.length) throw new EvalError(`--strip takes ${STRIP_PARTS.join(', ')}; got ${bad.join(', ')}`);
  return parts as StripPart[];
}

export const newsgroups = intentSlotsTask({
  name: '20ng',
  description: '20 Newsgroups bydate: 20 groups and 7 categories (group-name roots); long posts',
  folder: '20newsgroups',
  fields: ['group', 'category'],
  slots: false,
  someFields: true,
  longDocs: true,
  derived: { category: { from: 'group', map: categoryOf } },
  reference: { name: 'RoBERTa-base', accuracy: 0.867, source: 'the paper: RoBERTa-base 86.7 % (20 classes) / 93.6 % (7); TF-IDF + LinearSVC here 86.6 % / 91.5 %' },
  file: (split) => `${split}.jsonl.gz`,
  read: (file, ctx) => readNewsgroups(file, stripParts(ctx)).map((p, i) => ({ text: p.text, heads: { group: p.group, category: categoryOf(p.group) }, where: `${file}:${i + 1}` })),
});
