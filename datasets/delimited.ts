// CSV (RFC 4180 quoting) and TSV (GLUE style: no quoting, bare quotes are text) with a text column and a label
// column, a delimited multi-label column, or several 0/1 columns. SST-2 is its TSV with 0/1 -> negative/positive.
import { type Row } from './build.js';
import type { Source } from './source.js';
import { DataError, type ReadOptions } from './types.js';

interface Record {
  cells: string[];
  /** 1-based line where the record starts. */
  line: number;
}

const TEXT_COLUMNS = ['text', 'sentence', 'utterance', 'utt', 'query', 'question', 'content', 'review', 'comment', 'document'];
const LABEL_COLUMNS = ['label', 'labels', 'intent', 'category', 'class', 'target', 'sentiment', 'emotion', 'emotions', 'topic'];
const TRUE = new Set(['1', 'true', 'yes']);
const FALSE = new Set(['0', 'false', 'no', '']);

/** RFC 4180: `"` quotes a field, `""` is a quote inside one, quoted fields may hold commas and newlines. */
export function parseCsv(src: Source, delimiter = ','): Record[] {
  const { text, file } = src;
  const records: Record[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const endCell = () => {
    cells.push(cell);
    cell = '';
  };
  const endRecord = () => {
    endCell();
    if (!(cells.length === 1 && cells[0] === '')) records.push({ cells, line: recordLine });
    cells = [];
    recordLine = line;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"' && cell === '') {
      const open = line;
      i++;
      for (;;) {
        if (i >= text.length) throw new DataError('DATA_FORMAT', file, 'a quoted field is never closed', open);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (text[i] === '\n') line++;
        cell += text[i++];
      }
      if (i < text.length && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
        throw new DataError('DATA_FORMAT', file, `unexpected ${JSON.stringify(text[i])} after a closing quote (write "" for a quote inside a quoted field)`, line);
      }
      continue;
    }
    if (c === delimiter) endCell();
    else if (c === '\n') {
      line++;
      endRecord();
    } else if (c === '\r' && text[i + 1] === '\n') {
      // CRLF: the \n ends the record
    } else cell += c;
    i++;
  }
  if (cell !== '' || cells.length > 0) endRecord();
  return records;
}

/** One record per line, cells split on tabs; blank lines are skipped. */
export function parseTsv(src: Source): Record[] {
  return src.text
    .split('\n')
    .map((l, i) => ({ cells: l.replace(/\r$/, '').split('\t'), line: i + 1 }))
    .filter((r) => !(r.cells.length === 1 && r.cells[0].trim() === ''));
}

/** Records (header first unless `options.columns` names them) -> rows with one head. */
export function tableRows(records: Record[], src: Source, options: ReadOptions): Row[] {
  const { file } = src;
  const headerLine = options.columns ? 0 : records[0].line;
  const header = options.columns ?? records[0].cells.map((c) => c.trim());
  const body = options.columns ? records : records.slice(1);
  const find = (name: string) => {
    const at = header.findIndex((h) => h.toLowerCase() === name.toLowerCase());
    if (at < 0) throw new DataError('DATA_INVALID', file, `no column '${name}' (columns: ${header.join(', ')})`, headerLine || undefined);
    return at;
  };
  const pick = (given: string | undefined, defaults: string[], what: string, flag: string) => {
    if (given) return given;
    const found = defaults.find((d) => header.some((h) => h.toLowerCase() === d));
    if (!found) throw new DataError('DATA_INVALID', file, `no ${what} column (looked for ${defaults.join(', ')}; columns: ${header.join(', ')}): give ${flag}`, headerLine || undefined);
    return found;
  };
  const textAt = pick(options.textColumn, TEXT_COLUMNS, 'text', '--text-column').split('+').map(find);
  const name = (raw: string, line: number) => {
    if (!options.labelNames) return raw;
    const mapped = options.labelNames[raw];
    if (mapped === undefined) throw new DataError('DATA_INVALID', file, `label ${JSON.stringify(raw)} is not in the label names (${Object.keys(options.labelNames).join(', ')})`, line);
    return mapped;
  };

  let label: (cells: string[], line: number) => string | string[];
  let head = 'label';
  if (options.labelColumns?.length) {
    const columns = options.labelColumns.map((c) => [header[find(c)], find(c)] as const);
    label = (cells, line) =>
      columns.flatMap(([col, at]) => {
        const v = cells[at].trim().toLowerCase();
        if (TRUE.has(v)) return [col];
        if (FALSE.has(v)) return [];
        throw new DataError('DATA_INVALID', file, `label column '${col}' must be 0 or 1, got ${JSON.stringify(cells[at])}`, line);
      });
  } else {
    const column = pick(options.labelColumn, LABEL_COLUMNS, 'label', '--label-column');
    const at = find(column);
    if (header[at].toLowerCase() === 'intent') head = 'intent';
    const delimiter = options.labelDelimiter;
    label = delimiter
      ? (cells, line) => [...new Set(cells[at].split(delimiter).map((l) => l.trim()).filter(Boolean).map((l) => name(l, line)))].sort()
      : (cells, line) => name(cells[at].trim(), line);
  }

  return body.map(({ cells, line }) => {
    if (cells.length !== header.length) {
      throw new DataError('DATA_FORMAT', file, `expected ${header.length} cells (${header.join(', ')}), got ${cells.length}`, line);
    }
    return { text: textAt.map((at) => cells[at]).join(' '), heads: { [head]: label(cells, line) }, line };
  });
}

export const SST2_OPTIONS: ReadOptions = { textColumn: 'sentence', labelColumn: 'label', labelNames: { 0: 'negative', 1: 'positive' } };

/** GLUE SST-2's header, and labels all 0/1. */
export function looksLikeSst2(records: Record[]): boolean {
  const [header, ...body] = records;
  return header?.cells.join('\t') === 'sentence\tlabel' && body.every((r) => r.cells[1] === '0' || r.cells[1] === '1');
}
