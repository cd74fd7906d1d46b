// GLUE SST-2 (binary sentiment): dev.tsv is the validation split, label 0 = negative, 1 = positive.
import path from 'node:path';
import { readDataset } from '../../datasets/index.js';
import { requireFile } from '../data.js';
import { textClassificationTask } from './text-classification.js';

const FILES: Record<string, string> = { validation: 'dev.tsv', train: 'train.tsv' };
const LABELS = ['negative', 'positive'];

export const sst2 = textClassificationTask({
  name: 'sst2',
  description: 'GLUE SST-2 binary sentiment (validation = dev.tsv, 872 sentences)',
  dataFolder: 'sst2',
  splits: Object.keys(FILES),
  defaultSplit: 'validation',
  labels: LABELS,
  positive: 1,
  reference: {
    name: 'distilbert-base-uncased-finetuned-sst-2-english',
    accuracy: 0.913,
    source: 'its model card: 91.3 % on the SST-2 dev set',
  },
  read(dir, split) {
    const file = requireFile(path.join(dir, FILES[split]));
    // Every row counts, as in the published numbers (train.tsv repeats some phrases).
    const { examples } = readDataset(file, { format: 'sst2', duplicates: 'keep' });
    return { texts: examples.map((e) => e.text), gold: examples.map((e) => LABELS.indexOf(e.heads.label as string)), files: [file] };
  },
});
