// The one in-memory shape every data format is read into: the trainer and the eval never see a format.
import type { StripPart } from './posts.js';

/** A labelled character span: [start, end) in UTF-16 code units of `Example.text`, on whitespace-word boundaries. */
export interface Span {
  start: number;
  end: number;
  label: string;
}

export interface Example {
  text: string;
  /** Sequence heads: name -> its label (single-label) or labels (multi-label). */
  heads: Record<string, string | string[]>;
  /** Present iff the dataset has a token head (the spans may be empty). */
  spans?: Span[];
  /** "file:line" (1-based) of the example, for messages. */
  where: string;
}

export type ProblemType = 'single_label_classification' | 'multi_label_classification';

export interface HeadSpec {
  name: string;
  kind: 'sequence' | 'token';
  /** Sequence heads only. */
  problemType?: ProblemType;
  /** Sequence: the class names, sorted. Token: BIO tags ['O', 'B-x', 'I-x', ...], entities sorted. */
  labels: string[];
}

export type Format = 'csv' | 'tsv' | 'jsonl' | 'rasa' | 'sst2' | 'snips' | 'massive';
export const FORMATS: readonly Format[] = ['csv', 'tsv', 'jsonl', 'rasa', 'sst2', 'snips', 'massive'];

export interface Dataset {
  file: string;
  format: Format;
  /** sha256 of the file's bytes. */
  sha256: string;
  examples: Example[];
  heads: HeadSpec[];
  /** Non-fatal findings (duplicate rows dropped, Rasa items skipped), one line each. */
  warnings: string[];
}

export interface ReadOptions {
  /** Default 'auto': by extension and content. */
  format?: Format | 'auto';
  /** CSV/TSV: the text column (default: the first of text, sentence, utterance, ...). `a+b` joins columns with a space. */
  textColumn?: string;
  /** CSV/TSV: the label column (default: the first of label, labels, intent, category, ...). */
  labelColumn?: string;
  /** CSV/TSV: split the label column on this string: a multi-label head. */
  labelDelimiter?: string;
  /** CSV/TSV: several 0/1 columns, one per label: a multi-label head named `label`. */
  labelColumns?: string[];
  /** CSV/TSV without a header row: the column names, in order (e.g. AG News: ['label', 'title', 'description']). */
  columns?: string[];
  /** Raw label value -> class name (e.g. AG News: { 1: 'World', ... }); values not in the map are an error. */
  labelNames?: Record<string, string>;
  /** The token head's name (default 'slots'). */
  tokenHead?: string;
  /**
   * Identical rows: 'drop' (default: keep the first, for training) or 'keep' (benchmarks score every row, as
   * published). Either way `warnings` counts them.
   */
  duplicates?: 'drop' | 'keep';
  /**
   * Posts (20 Newsgroups, e-mail): strip these parts of each text as scikit-learn's fetch_20newsgroups `remove=`
   * does (datasets/posts.ts). Texts left empty are dropped and counted in `warnings`.
   */
  strip?: readonly StripPart[];
}

export type DataErrorCode =
  /** The file does not exist or cannot be read. */
  | 'DATA_MISSING'
  /** Empty file, or no examples in it. */
  | 'DATA_EMPTY'
  /** Not valid UTF-8. */
  | 'DATA_ENCODING'
  /** The format cannot be told, or the content does not follow it (bad JSON, bad YAML, wrong cell count). */
  | 'DATA_FORMAT'
  /** A row breaks a rule: missing column, empty text, bad span, unknown label type. */
  | 'DATA_INVALID'
  /** Dev/test does not fit train (unseen label, other heads), or train cannot be trained on (one class). */
  | 'DATA_INCOMPATIBLE';

/** Bad data: one line naming the file, the line (1-based, when there is one) and the problem. */
export class DataError extends Error {
  override name = 'DataError';
  constructor(
    readonly code: DataErrorCode,
    readonly file: string,
    problem: string,
    readonly line?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${problem}`);
  }
}

/** Sizes for splitDataset: a count (>= 1) or a fraction of the unique texts (< 1). */
export interface SplitOptions {
  seed: number;
  dev: number;
  test?: number;
}

export interface SplitResult {
  train: Dataset;
  dev: Dataset;
  test?: Dataset;
  /** What a manifest records to redo the split. */
  seed: number;
  sizes: { train: number; dev: number; test: number };
}
