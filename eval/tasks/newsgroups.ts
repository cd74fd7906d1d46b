// 20 Newsgroups, bydate split (../shared/data/20newsgroups, SOURCE.md): the 20 groups and the paper's 7
// categories (each group name's root), through the multi-field runner SNIPS and MASSIVE use, so `--dual` puts a
// consolidated two-head model beside a 20-class + a 7-class model. A 20-class model alone also answers the 7
// categories, by summing its group probabilities per root. The files are read by datasets/ (gzipped JSON lines,
// `text` + `label`; `--strip` is its `strip` read option).
import { readDataset, stripParts, type Example } from '../../datasets/index.js';
import { seeded, shuffle } from '../../bench/stats.js';
import { requireFile } from '../data.js';
import { intentSlotsTask } from './intent-slots.js';

/** The paper's 7 classes: the root of each group name. */
export const CATEGORIES = ['alt', 'comp', 'misc', 'rec', 'sci', 'soc', 'talk'] as const;
export const categoryOf = (group: string): string => group.slice(0, group.indexOf('.') < 0 ? group.length : group.indexOf('.'));

/**
 * A split's posts as examples with heads `group` and `category`. The file is sorted by group; the posts come back
 * in a fixed seeded order instead, so `--limit n` takes a mix of groups (sklearn shuffles too, with its own
 * permutation). Every row counts, as published.
 */
export function readNewsgroups(file: string, strip: readonly string[] = []): Example[] {
  const { examples } = readDataset(requireFile(file), { format: 'jsonl', duplicates: 'keep', strip: stripParts(strip, '--strip') });
  const posts = examples.map((e) => ({ ...e, heads: { group: e.heads.label, category: categoryOf(e.heads.label as string) } }));
  return shuffle(posts, seeded(42));
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
  read: (file, ctx) => readNewsgroups(file, ctx.strip),
});
