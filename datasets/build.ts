// Rows from any reader -> a Dataset: the checks every format shares (text, labels, spans on word boundaries,
// consistent heads), duplicates dropped with a warning, and the head specs the trainer builds its outputs from.
import { splitWords } from '../lib/words.js';
import { bioLabels } from './bio.js';
import { DataError, type Dataset, type Example, type Format, type HeadSpec, type Span } from './types.js';

/** One row as a reader found it, before the shared checks. */
export interface Row {
  text: string;
  heads: Record<string, string | string[]>;
  /** Undefined: this row says nothing about spans (the dataset has a token head iff some row has them). */
  spans?: Span[];
  line: number;
}

export interface Built {
  file: string;
  format: Format;
  sha256: string;
  rows: Row[];
  tokenHead?: string;
  /** Findings of the reader itself (skipped items). */
  warnings?: string[];
  duplicates?: 'drop' | 'keep';
}

/** A label value from parsed data: a string or number (single), or a list of them (multi-label). */
export function labelValue(value: unknown, file: string, line: number, key: string): string | string[] {
  const one = (v: unknown) => {
    if (typeof v === 'string') return v.trim();
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    throw new DataError('DATA_INVALID', file, `'${key}' must be a string, a number or a list of them, got ${JSON.stringify(v)}`, line);
  };
  return Array.isArray(value) ? [...new Set(value.map(one))].sort() : one(value);
}

export function buildDataset(b: Built): Dataset {
  const { file } = b;
  if (b.rows.length === 0) throw new DataError('DATA_EMPTY', file, 'no examples in the file');
  const hasSpans = b.rows.some((r) => r.spans !== undefined);
  const headNames = [...new Set(b.rows.flatMap((r) => Object.keys(r.heads)))];
  if (headNames.length === 0 && !hasSpans) throw new DataError('DATA_INVALID', file, 'no labels: the rows have no label, labels or intent', b.rows[0].line);

  const multi = new Map<string, { multi: boolean; line: number }>();
  for (const row of b.rows) {
    if (row.text.trim() === '') throw new DataError('DATA_INVALID', file, 'empty text', row.line);
    for (const name of headNames) {
      const value = row.heads[name];
      if (value === undefined) throw new DataError('DATA_INVALID', file, `no '${name}' (other rows have it, e.g. line ${b.rows.find((r) => r.heads[name] !== undefined)!.line})`, row.line);
      if (value === '') throw new DataError('DATA_INVALID', file, `empty '${name}' label`, row.line);
      const seen = multi.get(name);
      if (!seen) multi.set(name, { multi: Array.isArray(value), line: row.line });
      else if (seen.multi !== Array.isArray(value)) {
        throw new DataError('DATA_INVALID', file, `'${name}' is ${Array.isArray(value) ? 'a list' : 'one label'} here but ${seen.multi ? 'a list' : 'one label'} at line ${seen.line}`, row.line);
      }
    }
    if (row.spans) checkSpans(row.text, row.spans, file, row.line);
  }

  const warnings = [...(b.warnings ?? [])];
  const examples = dropDuplicates(b.rows, file, warnings, b.duplicates === 'keep').map((r): Example => ({
    text: r.text,
    heads: r.heads,
    ...(hasSpans ? { spans: r.spans ?? [] } : {}),
    where: `${file}:${r.line}`,
  }));
  const heads: HeadSpec[] = headNames.map((name) => ({
    name,
    kind: 'sequence',
    problemType: multi.get(name)!.multi ? 'multi_label_classification' : 'single_label_classification',
    labels: [...new Set(examples.flatMap((e) => e.heads[name]))].sort(),
  }));
  if (hasSpans) heads.push({ name: b.tokenHead ?? 'slots', kind: 'token', labels: bioLabels(examples.flatMap((e) => e.spans!.map((s) => s.label))) });
  return { file, format: b.format, sha256: b.sha256, examples, heads, warnings };
}

/** Spans must be inside the text, on whitespace-word boundaries (the words the engine tags), and not overlap. */
export function checkSpans(text: string, spans: readonly Span[], file: string, line: number): void {
  const words = splitWords(text);
  const starts = new Set(words.map((w) => w.start));
  const ends = new Set(words.map((w) => w.end));
  const sorted = [...spans].sort((a, b) => a.start - b.start || a.end - b.end);
  sorted.forEach((s, i) => {
    const show = `span [${s.start}, ${s.end}) '${s.label}'`;
    if (!Number.isInteger(s.start) || !Number.isInteger(s.end) || s.start < 0 || s.end > text.length || s.start >= s.end) {
      throw new DataError('DATA_INVALID', file, `${show} is outside the text (length ${text.length})`, line);
    }
    if (typeof s.label !== 'string' || s.label.trim() === '') throw new DataError('DATA_INVALID', file, `span [${s.start}, ${s.end}) has no label`, line);
    if (!starts.has(s.start) || !ends.has(s.end)) {
      throw new DataError('DATA_INVALID', file, `${show} ${JSON.stringify(text.slice(s.start, s.end))} does not start and end on whitespace-word boundaries`, line);
    }
    const prev = sorted[i - 1];
    if (prev && prev.end > s.start) throw new DataError('DATA_INVALID', file, `${show} overlaps span [${prev.start}, ${prev.end}) '${prev.label}'`, line);
  });
}

/** Keeps the first of identical rows (or all, with `keep`); counts them and texts that repeat with other labels. */
function dropDuplicates(rows: Row[], file: string, warnings: string[], keep: boolean): Row[] {
  const byRow = new Map<string, number>();
  const byText = new Map<string, number>();
  const kept: Row[] = [];
  let duplicates = 0;
  let firstDuplicate = '';
  let conflicts = 0;
  let firstConflict = '';
  for (const row of rows) {
    const key = JSON.stringify([row.text, row.heads, row.spans ?? null]);
    const same = byRow.get(key);
    if (same !== undefined) {
      if (duplicates++ === 0) firstDuplicate = `line ${row.line} repeats line ${same}`;
      if (keep) kept.push(row);
      continue;
    }
    byRow.set(key, row.line);
    const other = byText.get(row.text);
    if (other !== undefined) {
      if (conflicts++ === 0) firstConflict = `line ${row.line} and line ${other}`;
    } else byText.set(row.text, row.line);
    kept.push(row);
  }
  const rowsWord = `duplicate row${duplicates > 1 ? 's' : ''}`;
  if (duplicates) warnings.push(`${file}: ${keep ? `kept ${duplicates} ${rowsWord}` : `dropped ${duplicates} ${rowsWord}, kept the first of each`} (first: ${firstDuplicate})`);
  if (conflicts) warnings.push(`${file}: ${conflicts} text${conflicts > 1 ? 's' : ''} repeat with other labels, all kept (first: ${firstConflict})`);
  return kept;
}
