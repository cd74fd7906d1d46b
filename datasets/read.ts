// readDataset: a file in any supported format -> a Dataset. The format comes from options.format, else from the
// extension and content (.csv .tsv .jsonl .json .yml .yaml, each optionally .gz; SST-2, SNIPS and MASSIVE by their
// known shapes).
import path from 'node:path';
import { buildDataset, type Row } from './build.js';
import { looksLikeSst2, parseCsv, parseTsv, SST2_OPTIONS, tableRows } from './delimited.js';
import { detectJsonShape, jsonRows, parseJsonArray, parseJsonl } from './jsonl.js';
import { stripPost, type StripPart } from './posts.js';
import { rasaRows } from './rasa.js';
import { readSource, type Source } from './source.js';
import { DataError, FORMATS, type Dataset, type Format, type ReadOptions } from './types.js';

export function readDataset(file: string, options: ReadOptions = {}): Dataset {
  const requested = options.format ?? 'auto';
  if (requested !== 'auto' && !FORMATS.includes(requested)) {
    throw new DataError('DATA_FORMAT', file, `unknown format '${requested}' (formats: auto, ${FORMATS.join(', ')})`);
  }
  const src = readSource(file);
  const read = readRows(src, requested, options);
  const { format, rows, warnings } = options.strip?.length ? stripRows(read, options.strip, file) : read;
  return buildDataset({ file, format, sha256: src.sha256, rows, tokenHead: options.tokenHead, warnings, duplicates: options.duplicates });
}

/** Texts with the `strip` parts removed; spans would no longer point at their words, so spans refuse it. */
function stripRows(read: ReturnType<typeof readRows>, parts: readonly StripPart[], file: string): ReturnType<typeof readRows> {
  if (read.rows.some((r) => r.spans)) throw new DataError('DATA_INCOMPATIBLE', file, 'strip would move the labelled spans: it applies to classification data only');
  const rows = read.rows.map((r) => ({ ...r, text: stripPost(r.text, parts) }));
  const kept = rows.filter((r) => r.text.trim() !== '');
  const warnings = [...(read.warnings ?? [])];
  if (kept.length < rows.length) warnings.push(`${file}: dropped ${rows.length - kept.length} text(s) left empty by --strip ${parts.join(',')}`);
  return { ...read, rows: kept, warnings };
}

function readRows(src: Source, requested: Format | 'auto', options: ReadOptions): { format: Format; rows: Row[]; warnings?: string[] } {
  const ext = path.extname(src.file.replace(/\.gz$/i, '')).toLowerCase();
  const format = requested === 'auto' ? formatOfExtension(src.file, ext) : requested;
  switch (format) {
    case 'csv':
      return { format, rows: tableRows(nonEmpty(parseCsv(src), src), src, options) };
    case 'tsv':
    case 'sst2': {
      const records = nonEmpty(parseTsv(src), src);
      const sst2 = format === 'sst2' || (requested === 'auto' && !hasTableOptions(options) && looksLikeSst2(records));
      return { format: sst2 ? 'sst2' : 'tsv', rows: tableRows(records, src, sst2 ? { ...options, ...SST2_OPTIONS } : options) };
    }
    case 'rasa':
      return { format, ...rasaRows(src) };
    case 'jsonl':
    case 'snips':
    case 'massive': {
      const records = nonEmpty(ext === '.json' ? parseJsonArray(src) : parseJsonl(src), src);
      // jsonl is the family: SNIPS and MASSIVE files are told by their keys unless named explicitly.
      const shape = format === 'jsonl' ? detectJsonShape(records) : format;
      return { format: shape, rows: jsonRows(records, shape, src.file) };
    }
  }
}

function formatOfExtension(file: string, ext: string): Format {
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv') return 'tsv';
  if (ext === '.jsonl' || ext === '.json') return 'jsonl';
  if (ext === '.yml' || ext === '.yaml') return 'rasa';
  throw new DataError('DATA_FORMAT', file, `cannot tell the format from '${ext || 'no extension'}': give --format (${FORMATS.join(', ')})`);
}

const hasTableOptions = (o: ReadOptions) => Boolean(o.textColumn || o.labelColumn || o.labelColumns || o.labelDelimiter || o.columns || o.labelNames);

function nonEmpty<T extends { line: number }>(records: T[], src: Source): T[] {
  if (records.length === 0) throw new DataError('DATA_EMPTY', src.file, 'no records in the file');
  return records;
}
