// The three zero-/few-shot benchmarks of issue 14: an example pool (where few-shot examples are drawn and the
// zero-shot scale is fitted) and a test split per set, the anchors, and each set's label descriptions.
// SST-2 and MASSIVE come through the shared readers (datasets/); AG News keeps its own row pattern, since these
// figures join title and description with ". " and read a backslash as a line break, which the CSV reader does not.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { seeded, shuffle } from '../../bench/stats.js';
import { readDataset, type Format } from '../../datasets/index.js';
import { EvalError, requireFile, taskDataDir } from '../data.js';

/** Every row (duplicates kept, as the anchors counted them), labelled by one head of the shared reader. */
const readHead = (file: string, format: Format, head: string): Labelled[] =>
  readDataset(requireFile(file), { format, duplicates: 'keep' }).examples.map((e) => ({ text: e.text, label: e.heads[head] as string }));

export interface Labelled {
  text: string;
  label: string;
}

export interface FewShotSet {
  name: string;
  description: string;
  labels: string[];
  pool: Labelled[];
  test: Labelled[];
  files: string[];
  /** Python sentence-transformers, all-MiniLM-L6-v2 frozen (issue 14): accuracy. */
  anchors: { zeroShot: number; shots8: number; shots64: number };
  /** Label -> descriptions and the template they go in (chosen on the pool, never on test rows). */
  prompts: { template: string; descriptions: Record<string, string[]> };
}

const AG_POOL_ROWS = 4000;
const AG_LABELS = ['World', 'Sports', 'Business', 'Sci/Tech'];

function sst2(data?: string): FewShotSet {
  const dir = taskDataDir('sst2', data);
  const read = (f: string) => readHead(path.join(dir, f), 'sst2', 'label');
  return {
    name: 'sst2',
    description: 'SST-2: pool = train.tsv, test = dev.tsv (872)',
    labels: ['negative', 'positive'],
    pool: read('train.tsv'),
    test: read('dev.tsv'),
    files: [path.join(dir, 'train.tsv'), path.join(dir, 'dev.tsv')],
    anchors: { zeroShot: 0.696, shots8: 0.614, shots64: 0.72 },
    prompts: { template: 'This movie review is {}.', descriptions: { negative: ['negative', 'bad'], positive: ['positive', 'good'] } },
  };
}

// test.csv rows are `"class","title","description"`, quotes doubled inside fields, one row per line; a backslash
// stands for a line break in the original.
const AG_ROW = /^"([1-4])","((?:[^"]|"")*)","((?:[^"]|"")*)"$/;

function agNews(data?: string): FewShotSet {
  const file = requireFile(path.join(taskDataDir('ag_news', data), 'test.csv'));
  const rows = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((line, i) => {
    const m = AG_ROW.exec(line.replace(/\r$/, ''));
    if (!m) throw new EvalError(`${file}:${i + 1}: not a "class","title","description" row`);
    const field = (s: string) => s.replaceAll('""', '"').replaceAll('\\', ' ');
    return { text: `${field(m[2])}. ${field(m[3])}`, label: AG_LABELS[Number(m[1]) - 1] };
  });
  return {
    name: 'agnews',
    description: `AG News test.csv: pool = first ${AG_POOL_ROWS} rows, test = the rest`,
    labels: AG_LABELS,
    pool: rows.slice(0, AG_POOL_ROWS),
    test: rows.slice(AG_POOL_ROWS),
    files: [file],
    anchors: { zeroShot: 0.721, shots8: 0.76, shots64: 0.843 },
    prompts: {
      template: 'This news article is about {}.',
      descriptions: { World: ['world news', 'politics'], Sports: ['sports'], Business: ['business', 'economy'], 'Sci/Tech': ['science and technology'] },
    },
  };
}

// The 18 MASSIVE scenarios, described in words (several are abbreviations: iot, qa).
const MASSIVE_DESCRIPTIONS: Record<string, string[]> = {
  alarm: ['alarm'], audio: ['audio volume'], calendar: ['calendar', 'reminder'], cooking: ['cooking', 'recipe'],
  datetime: ['date and time'], email: ['email'], general: ['general chat', 'joke'], iot: ['smart home', 'lights'],
  lists: ['lists'], music: ['music'], news: ['news'], play: ['play podcast', 'audiobook', 'radio', 'game'],
  qa: ['question', 'definition', 'fact'], recommendation: ['recommendation'], social: ['social media'],
  takeaway: ['takeaway food order'], transport: ['transport', 'train', 'taxi'], weather: ['weather'],
};

function massive(data?: string): FewShotSet {
  const dir = taskDataDir('massive', data);
  const read = (f: string) => readHead(path.join(dir, f), 'massive', 'scenario');
  const pool = read('train.jsonl');
  return {
    name: 'massive',
    description: 'MASSIVE en-US scenario: pool = train.jsonl, test = test.jsonl',
    labels: [...new Set(pool.map((r) => r.label))].sort(),
    pool,
    test: read('test.jsonl'),
    files: [path.join(dir, 'train.jsonl'), path.join(dir, 'test.jsonl')],
    anchors: { zeroShot: 0.512, shots8: 0.76, shots64: 0.843 },
    prompts: { template: 'This request is about {}.', descriptions: MASSIVE_DESCRIPTIONS },
  };
}

export const FEW_SHOT_SETS: Record<string, (data?: string) => FewShotSet> = { sst2, agnews: agNews, massive };

export function readSets(names: readonly string[], data?: string): FewShotSet[] {
  return names.map((n) => {
    const read = Object.hasOwn(FEW_SHOT_SETS, n) ? FEW_SHOT_SETS[n] : undefined;
    if (!read) throw new EvalError(`unknown set '${n}' (sets: ${Object.keys(FEW_SHOT_SETS).join(', ')})`);
    return read(data);
  });
}

/** `shots` examples per label from the pool, drawn with `seed` (a seeded shuffle of each label's rows). */
export function sample(set: FewShotSet, shots: number, seed: number): Labelled[] {
  const random = seeded(seed); // mulberry32: the same draws on every machine
  return set.labels.flatMap((label) => {
    const rows = set.pool.filter((r) => r.label === label);
    if (rows.length < shots) throw new EvalError(`${set.name}: label ${label} has ${rows.length} pool rows, fewer than --shots ${shots}`);
    return shuffle(rows, random).slice(0, shots);
  });
}
