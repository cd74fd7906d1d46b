// JSON lines (or a .json array of the same records). Three shapes:
// - generic: {"text", "label" | "labels" | "intent" | "scenario" | "heads": {...}, "spans": [{"start", "end", "label"}]}
// - SNIPS (Goo et al.): {"text", "tokens", "tags" (BIO per word), "intent"}: tags become character spans
// - MASSIVE: {"utt", "intent", "scenario", ...}: heads intent and scenario (no slots offline)
import { splitWords } from '../lib/words.js';
import { bioToSpans } from './bio.js';
import { labelValue, type Row } from './build.js';
import type { Source } from './source.js';
import { DataError, type Span } from './types.js';

export interface JsonRecord {
  value: Record<string, unknown>;
  line: number;
}

export type JsonShape = 'jsonl' | 'snips' | 'massive';

export function parseJsonl(src: Source): JsonRecord[] {
  const records: JsonRecord[] = [];
  src.text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new DataError('DATA_FORMAT', src.file, `not valid JSON: ${(err as Error).message}`, i + 1);
    }
    records.push({ value: object(value, src.file, i + 1), line: i + 1 });
  });
  return records;
}

/** A JSON array of records; each record's line is where its object starts. */
export function parseJsonArray(src: Source): JsonRecord[] {
  let value: unknown;
  try {
    value = JSON.parse(src.text);
  } catch (err) {
    throw new DataError('DATA_FORMAT', src.file, `not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(value)) throw new DataError('DATA_FORMAT', src.file, 'a .json data file must be an array of records (or use JSON lines, one record per line)');
  const starts = topLevelObjectStarts(src.text);
  return value.map((v, i) => ({ value: object(v, src.file, src.lineAt(starts[i] ?? 0)), line: src.lineAt(starts[i] ?? 0) }));
}

function object(value: unknown, file: string, line: number): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DataError('DATA_FORMAT', file, 'each record must be a JSON object', line);
  return value as Record<string, unknown>;
}

/** Offsets of the elements of the top-level array (skips strings, so brackets inside texts do not count). */
function topLevelObjectStarts(text: string): number[] {
  const starts: number[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[') {
      if (depth === 1) starts.push(i);
      depth++;
    } else if (c === '}' || c === ']') depth--;
  }
  return starts;
}

export function detectJsonShape(records: JsonRecord[]): JsonShape {
  const first = records[0]?.value ?? {};
  if ('utt' in first && 'intent' in first) return 'massive';
  if (Array.isArray(first.tags) && ('tokens' in first || 'text' in first)) return 'snips';
  return 'jsonl';
}

export function jsonRows(records: JsonRecord[], shape: JsonShape, file: string): Row[] {
  const read = shape === 'massive' ? massiveRow : shape === 'snips' ? snipsRow : genericRow;
  return records.map(({ value, line }) => read(value, file, line));
}

const text = (value: unknown, key: string, file: string, line: number) => {
  if (typeof value !== 'string') throw new DataError('DATA_INVALID', file, value === undefined ? `no '${key}'` : `'${key}' must be a string`, line);
  return value;
};

function genericRow(r: Record<string, unknown>, file: string, line: number): Row {
  const heads: Row['heads'] = {};
  const set = (name: string, key: string) => {
    if (r[key] === undefined || r[key] === null) return;
    if (heads[name] !== undefined) throw new DataError('DATA_INVALID', file, `both '${key}' and another key give head '${name}'`, line);
    heads[name] = labelValue(r[key], file, line, key);
  };
  set('label', 'label');
  set('label', 'labels');
  set('intent', 'intent');
  set('scenario', 'scenario');
  if (r.heads !== undefined) {
    if (typeof r.heads !== 'object' || r.heads === null || Array.isArray(r.heads)) throw new DataError('DATA_INVALID', file, `'heads' must be an object of head name -> label`, line);
    for (const [name, v] of Object.entries(r.heads)) {
      if (heads[name] !== undefined) throw new DataError('DATA_INVALID', file, `head '${name}' is given twice`, line);
      heads[name] = labelValue(v, file, line, `heads.${name}`);
    }
  }
  const rawSpans = r.spans ?? r.entities;
  let spans: Span[] | undefined;
  if (rawSpans !== undefined) {
    if (!Array.isArray(rawSpans)) throw new DataError('DATA_INVALID', file, `'spans' must be a list of {"start", "end", "label"}`, line);
    spans = rawSpans.map((s) => {
      const o = (s ?? {}) as Record<string, unknown>;
      const label = o.label ?? o.entity;
      if (typeof o.start !== 'number' || typeof o.end !== 'number' || typeof label !== 'string') {
        throw new DataError('DATA_INVALID', file, `a span must be {"start": number, "end": number, "label": string}, got ${JSON.stringify(s)}`, line);
      }
      return { start: o.start, end: o.end, label };
    });
  }
  return { text: text(r.text, 'text', file, line), heads, ...(spans ? { spans } : {}), line };
}

function massiveRow(r: Record<string, unknown>, file: string, line: number): Row {
  return {
    text: text(r.utt, 'utt', file, line),
    heads: { intent: labelValue(r.intent, file, line, 'intent'), scenario: labelValue(r.scenario, file, line, 'scenario') },
    line,
  };
}

/** BIO per whitespace word; the words are the text's (or the tokens joined by single spaces). */
function snipsRow(r: Record<string, unknown>, file: string, line: number): Row {
  const sentence = r.text !== undefined ? text(r.text, 'text', file, line) : (r.tokens as unknown[]).join(' ');
  const tags = r.tags as unknown[];
  if (!tags.every((t) => typeof t === 'string')) throw new DataError('DATA_INVALID', file, `'tags' must be a list of BIO strings`, line);
  const words = splitWords(sentence);
  if (words.length !== tags.length) throw new DataError('DATA_INVALID', file, `${tags.length} tags for ${words.length} whitespace words`, line);
  const spans = bioToSpans(tags as string[]).map((c) => ({ start: words[c.start].start, end: words[c.end - 1].end, label: c.type }));
  const heads: Row['heads'] = r.intent === undefined ? {} : { intent: labelValue(r.intent, file, line, 'intent') };
  return { text: sentence, heads, spans, line };
}
