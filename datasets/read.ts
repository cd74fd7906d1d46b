// readDataset: a file in any supported format -> a Dataset. The format comes from options.format, else from the
// extension and content (.csv .tsv .jsonl .json .yml .yaml; SST-2, SNIPS and MASSIVE by their known shapes).
import path from 'node:path';
import { buildDataset, type Row } from './build.js';
import { looksLikeSst2, parseCsv, parseTsv, SST2_OPTIONS, tableRows } from './delimited.js';
import { detectJsonShape, jsonRows, parseJsonArray, parseJsonl, type JsonRecord } from './jsonl.js';
import { rasaRows } from './rasa.js';
import { readSource, type Source } from './source.js';
import { DataError, FORMATS, type Dataset, type Format, type ReadOptions } from './types.js';

export function readDataset(file: string, options: ReadOptions = {}): Dataset {
  const requested = options.format ?? 'auto';
  if (requested !== 'auto' && !FORMATS.includes(requested)) {
    throw new DataError('DATA_FORMAT', file, `unknown format '${requested}' (formats: auto, ${FORMATS.join(', ')})`);
  }
  const src = readSource(file);
  const { format, rows, warnings } = readRows(src, requested, options);
  return buildDataset({ file, format, sha256: src.sha256, rows, tokenHead: options.tokenHead, warnings, duplicates: options.duplicates });
}

function readRows(src: Source, requested: Format | 'auto', options: ReadOptions): { format: Format; rows: Row[]; warnings?: string[] } {
  const ext = path.extname(src.file).toLowerCase();
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
      const shape = format === 'jsonl' && requested === 'auto' ? detectJsonShape(records) : format;
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

function nonEmpty<T extends { line: number } | JsonRecord>(records: T[], src: Source): T[] {
  if (records.length === 0) throw new DataError('DATA_EMPTY', src.file, 'no records in the file');
  return records;
}
