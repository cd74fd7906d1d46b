// GLUE SST-2 (binary sentiment): dev.tsv is the validation split, label 0 = negative, 1 = positive.
// GLUE hides its test labels, but its 1,821 test sentences are the non-neutral sentences of SST's own test trees,
// which ../shared/data/sst5 holds with labels: split `test` joins the two. A second, independent set of whole
// sentences (the train file is mostly phrases), so a model can be chosen without touching the validation split.
import fs from 'node:fs';
import path from 'node:path';
import { readDataset } from '../../datasets/index.js';
import { EvalError, requireFile } from '../data.js';
import { textClassificationTask, type LabelledTexts } from './text-classification.js';

const FILES: Record<string, string> = { validation: 'dev.tsv', train: 'train.tsv' };
const LABELS = ['negative', 'positive'];

export const sst2 = textClassificationTask({
  name: 'sst2',
  description: 'GLUE SST-2 binary sentiment (validation = dev.tsv, 872 sentences; test = GLUE test.tsv labelled from SST-5)',
  dataFolder: 'sst2',
  splits: [...Object.keys(FILES), 'test'],
  defaultSplit: 'validation',
  labels: LABELS,
  positive: 1,
  reference: {
    name: 'distilbert-base-uncased-finetuned-sst-2-english',
    accuracy: 0.913,
    source: 'its model card: 91.3 % on the SST-2 dev set',
  },
  read(dir, split) {
    if (split === 'test') return labelledTest(dir);
    const file = requireFile(path.join(dir, FILES[split]));
    // Every row counts, as in the published numbers (train.tsv repeats some phrases).
    const { examples } = readDataset(file, { format: 'sst2', duplicates: 'keep' });
    return { texts: examples.map((e) => e.text), gold: examples.map((e) => LABELS.indexOf(e.heads.label as string)), files: [file] };
  },
});

/** SST-5 writes the trees' tokens (-LRB-, \/) in their original case; GLUE lowercases and unescapes them. */
const sstKey = (s: string): string =>
  s.toLowerCase().replaceAll('-lrb-', '(').replaceAll('-rrb-', ')').replaceAll('\\/', '/').replace(/\s+/g, ' ').trim();

/**
 * GLUE's test sentences with the root label of the same sentence in SST-5's test file (0-1 negative, 3-4
 * positive; neutral ones are not in GLUE). A few sentences are spelled differently in the two files (GLUE has
 * "humor" where the trees have "humour") and are left out rather than guessed: 1,814 of 1,821 here.
 */
export function labelledTest(dir: string): LabelledTexts {
  const glue = requireFile(path.join(dir, 'test.tsv'));
  const sst5 = requireFile(path.join(dir, '..', 'sst5', 'test.tsv'));
  const rootLabel = new Map<string, number>();
  for (const line of fs.readFileSync(sst5, 'utf8').split('\n').slice(1)) {
    const tab = line.indexOf('\t');
    if (tab > 0) rootLabel.set(sstKey(line.slice(tab + 1)), Number(line.slice(0, tab)));
  }
  const texts: string[] = [];
  const gold: number[] = [];
  for (const line of fs.readFileSync(glue, 'utf8').split('\n').slice(1)) {
    const sentence = line.slice(line.indexOf('\t') + 1);
    const label = rootLabel.get(sstKey(sentence));
    if (!sentence.trim() || label === undefined || label === 2) continue;
    texts.push(sentence.trim());
    gold.push(label < 2 ? 0 : 1);
  }
  if (texts.length === 0) throw new EvalError(`no sentence of ${glue} was found in ${sst5}`);
  return { texts, gold, files: [glue, sst5] };
}
