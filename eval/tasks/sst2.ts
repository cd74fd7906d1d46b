// GLUE SST-2 (binary sentiment): dev.tsv is the validation split, label 0 = negative, 1 = positive.
import path from 'node:path';
import { EvalError, readTsv } from '../data.js';
import { textClassificationTask } from './text-classification.js';

const FILES: Record<string, string> = { validation: 'dev.tsv', train: 'train.tsv' };

export const sst2 = textClassificationTask({
  name: 'sst2',
  description: 'GLUE SST-2 binary sentiment (validation = dev.tsv, 872 sentences)',
  dataFolder: 'sst2',
  splits: Object.keys(FILES),
  defaultSplit: 'validation',
  labels: ['negative', 'positive'],
  positive: 1,
  reference: {
    name: 'distilbert-base-uncased-finetuned-sst-2-english',
    accuracy: 0.913,
    source: 'its model card: 91.3 % on the SST-2 dev set',
  },
  read(dir, split) {
    const file = path.join(dir, FILES[split]);
    const rows = readTsv(file, ['sentence', 'label']);
    return {
      texts: rows.map((r) => r.sentence),
      gold: rows.map((r, i) => {
        if (r.label !== '0' && r.label !== '1') throw new EvalError(`${file}:${i + 2}: label must be 0 or 1, got ${JSON.stringify(r.label)}`);
        return Number(r.label);
      }),
      files: [file],
    };
  },
});
