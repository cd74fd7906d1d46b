// The data step of `npm run train`: read and validate every file with the readers in datasets/, keep the heads the
// task asks for, split (user dev/test, else seeded by unique text), and write the canonical files the Python trainer
// reads: schema.json (heads) and train/dev[/test].jsonl, token heads as one BIO tag per whitespace word.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { splitWords } from '../lib/words.js';
import {
  checkCompatible, deriveHeads, readDataset, requireTrainable, splitDataset, DataError,
  type Dataset, type Example, type HeadSpec, type ReadOptions,
} from '../datasets/index.js';
import type { TrainOptions } from './options.js';

export interface Prepared {
  heads: HeadSpec[];
  parts: { train: Dataset; dev: Dataset; test?: Dataset };
  split: { source: 'files' | 'seeded'; seed?: number; sizes: { train: number; dev: number; test: number } };
  files: { role: 'data' | 'dev' | 'test'; dataset: Dataset }[];
  warnings: string[];
}

export function prepareData(o: TrainOptions): Prepared {
  const read: ReadOptions = {
    format: o.format, textColumn: o.textColumn, labelColumn: o.labelColumn, labelDelimiter: o.labelDelimiter, labelColumns: o.labelColumns, strip: o.strip,
  };
  const derived = (ds: Dataset) => (o.derive ? deriveHeads(ds, o.derive) : ds);
  const data = selectHeads(derived(readDataset(o.data, read)), o);
  requireTrainable(data);
  // Held-out files keep repeated rows: they are scored as published (benchmark test sets have a few).
  const given = (file: string | undefined) => (file ? selectHeads(derived(readDataset(file, { ...read, duplicates: 'keep' })), o, data) : undefined);
  const dev = given(o.dev);
  const test = given(o.test);
  for (const other of [dev, test]) if (other) checkCompatible(data, other);
  const files = [{ role: 'data' as const, dataset: data }, ...(dev ? [{ role: 'dev' as const, dataset: dev }] : []), ...(test ? [{ role: 'test' as const, dataset: test }] : [])];
  const warnings = files.flatMap((f) => f.dataset.warnings);
  if (dev) {
    const parts = { train: data, dev, test };
    const sizes = { train: data.examples.length, dev: dev.examples.length, test: test?.examples.length ?? 0 };
    return { heads: data.heads, parts, split: { source: 'files', sizes }, files, warnings };
  }
  const s = splitDataset(data, { seed: o.splitSeed, dev: o.devSize, test: test ? 0 : o.testSize });
  const parts = { train: s.train, dev: s.dev, test: test ?? s.test };
  const sizes = { train: s.sizes.train, dev: s.sizes.dev, test: test?.examples.length ?? s.sizes.test };
  return { heads: data.heads, parts, split: { source: 'seeded', seed: s.seed, sizes }, files, warnings };
}

/** The heads --heads and --task keep; a token head dropped also drops the spans. */
function selectHeads(ds: Dataset, o: TrainOptions, train?: Dataset): Dataset {
  const multi = (h: HeadSpec) => h.problemType === 'multi_label_classification';
  const keepByTask: Record<TrainOptions['task'], (h: HeadSpec) => boolean> = {
    auto: () => true,
    classify: (h) => h.kind === 'sequence' && !multi(h),
    multilabel: (h) => h.kind === 'sequence' && multi(h),
    tag: (h) => h.kind === 'token',
    joint: () => true,
  };
  let heads = ds.heads.filter(keepByTask[o.task]);
  if (o.heads) {
    const missing = o.heads.filter((n) => !ds.heads.some((h) => h.name === n));
    if (missing.length) throw new DataError('DATA_INCOMPATIBLE', ds.file, `--heads ${missing.join(', ')}: the data has ${ds.heads.map((h) => h.name).join(', ')}`);
    heads = heads.filter((h) => o.heads!.includes(h.name));
  }
  const describe = ds.heads.map((h) => `${h.name} (${h.kind}${multi(h) ? ', multi-label' : ''})`).join(', ');
  if (heads.length === 0) throw new DataError('DATA_INCOMPATIBLE', ds.file, `--task ${o.task}${o.heads ? ` --heads ${o.heads.join(',')}` : ''} keeps no head of ${describe}`);
  if (o.task === 'joint' && !(heads.some((h) => h.kind === 'sequence') && heads.some((h) => h.kind === 'token'))) {
    throw new DataError('DATA_INCOMPATIBLE', ds.file, `--task joint needs a sequence head and a token head; the data has ${describe}`);
  }
  if (train) heads = heads.filter((h) => train.heads.some((t) => t.name === h.name));
  const token = heads.some((h) => h.kind === 'token');
  const names = new Set(heads.map((h) => h.name));
  const examples = ds.examples.map((e): Example => ({
    ...e, heads: Object.fromEntries(Object.entries(e.heads).filter(([k]) => names.has(k))), spans: token ? e.spans : undefined,
  }));
  return { ...ds, heads, examples };
}

/** schema.json + <part>.jsonl in `work` (the trainer's input). Returns the files written. */
export function writeCanonical(work: string, p: Prepared): string[] {
  mkdirSync(work, { recursive: true });
  const rows = Object.fromEntries(Object.entries(p.parts).flatMap(([name, ds]) => (ds ? [[name, ds.examples.map((e) => canonical(e, p.heads))]] : [])));
  const schema = {
    heads: p.heads.map((h) => ({
      name: h.name, kind: h.kind, problem_type: h.kind === 'sequence' ? (h.problemType ?? 'single_label_classification') : undefined, labels: h.labels,
      adjacent_spans: h.kind === 'token' ? adjacentSpans(rows.train.map((r) => r.heads[h.name] as string[])) : undefined,
      slot_types_by: h.kind === 'token' ? slotTypesBy(p.heads, h, rows.train) : undefined,
    })),
  };
  writeFileSync(path.join(work, 'schema.json'), `${JSON.stringify(schema, null, 1)}\n`);
  const written = ['schema.json'];
  for (const [name, part] of Object.entries(rows)) {
    writeFileSync(path.join(work, `${name}.jsonl`), part.map((r) => `${JSON.stringify(r)}\n`).join(''));
    written.push(`${name}.jsonl`);
  }
  return written;
}

/** The slot types whose spans directly follow a span of the same type somewhere in these tag rows (config.json adjacent_spans). */
function adjacentSpans(tagRows: string[][]): string[] {
  const types = new Set<string>();
  for (const tags of tagRows) {
    tags.forEach((t, i) => {
      if (i > 0 && t.startsWith('B-') && tags[i - 1] !== 'O' && tags[i - 1].slice(2) === t.slice(2)) types.add(t.slice(2));
    });
  }
  return [...types].sort();
}

/**
 * Per single-label sequence head, per label, the slot types the training part tags in texts of that label (config.json
 * slot_types_by): the engine decodes a text's slots among its predicted labels' types ("find on dress parade" with
 * the intent SearchScreeningEvent is a movie_name, not SearchCreativeWork's object_name).
 */
function slotTypesBy(heads: HeadSpec[], token: HeadSpec, train: CanonicalRow[]): Record<string, Record<string, string[]>> | undefined {
  const by = heads.filter((h) => h.kind === 'sequence' && h.problemType !== 'multi_label_classification');
  if (by.length === 0) return undefined;
  return Object.fromEntries(by.map((h) => {
    const types = new Map(h.labels.map((l) => [l, new Set<string>()]));
    for (const r of train) {
      for (const tag of r.heads[token.name] as string[]) if (tag !== 'O') types.get(r.heads[h.name] as string)?.add(tag.slice(2));
    }
    return [h.name, Object.fromEntries([...types].map(([l, t]) => [l, [...t].sort()]))];
  }));
}

type CanonicalRow = ReturnType<typeof canonical>;

function canonical(e: Example, heads: HeadSpec[]) {
  const token = heads.find((h) => h.kind === 'token');
  if (!token) return { text: e.text, heads: e.heads };
  const words = splitWords(e.text);
  const tags = words.map(() => 'O');
  for (const s of e.spans ?? []) {
    words.forEach((w, i) => {
      if (w.start >= s.start && w.end <= s.end) tags[i] = `${w.start === s.start ? 'B' : 'I'}-${s.label}`;
    });
  }
  return { text: e.text, heads: { ...e.heads, [token.name]: tags }, words: words.map((w) => e.text.slice(w.start, w.end)) };
}
