// Rasa NLU training data (YAML): `nlu:` items with `intent:` and `examples:`, a literal block of `- ` lines (or a
// list of {text: ...}), entities inline as [value](entity), [value](entity:synonym) or [value]{"entity": ...}.
// The annotations are stripped and the spans computed on the stripped text. Synonym, regex and lookup items are
// skipped with a warning: they feed Rasa's own featurizers, not a classifier.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import type { Row } from './build.js';
import type { Source } from './source.js';
import { DataError, type Span } from './types.js';

// [text](entity) | [text](entity:synonym) | [text]{json} | [text][{json}, ...]: the grammar of Rasa's entities_parser.
const ENTITY = /\[([^\]]+?)\](?:\(([^:)]+?)(?::([^)]+))?\)|\{([^}]+?)\}|\[(\{.*?\})\])/g;

export interface Annotated {
  text: string;
  spans: Span[];
}

/** One example line without its `- `: the plain text and the entity spans on it. */
export function parseAnnotations(example: string, file: string, line: number): Annotated {
  const spans: Span[] = [];
  let text = '';
  let last = 0;
  for (const m of example.matchAll(ENTITY)) {
    const [whole, value, entity, , dict, list] = m;
    text += example.slice(last, m.index);
    last = m.index + whole.length;
    let label = entity?.trim();
    if (dict !== undefined) label = entityOf(`{${dict}}`, file, line);
    if (list !== undefined) throw new DataError('DATA_INVALID', file, `several entities on one value (${whole}) would overlap; give one`, line);
    spans.push({ start: text.length, end: text.length + value.length, label: label! });
    text += value;
  }
  text += example.slice(last);
  return { text, spans };
}

function entityOf(json: string, file: string, line: number): string {
  let dict: unknown;
  try {
    dict = JSON.parse(json);
  } catch (err) {
    throw new DataError('DATA_FORMAT', file, `entity annotation ${json} is not valid JSON: ${(err as Error).message}`, line);
  }
  const entity = (dict as Record<string, unknown>).entity;
  if (typeof entity !== 'string' || !entity.trim()) throw new DataError('DATA_INVALID', file, `entity annotation ${json} has no "entity"`, line);
  return entity.trim();
}

export function rasaRows(src: Source): { rows: Row[]; warnings: string[] } {
  const { file } = src;
  const lines = new LineCounter();
  const doc = parseDocument(src.text, { lineCounter: lines, keepSourceTokens: false });
  const lineOf = (node: { range?: [number, number, number] | null } | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : undefined);
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new DataError('DATA_FORMAT', file, `not valid YAML: ${e.message.split('\n')[0]}`, e.linePos?.[0].line);
  }
  const root = doc.contents;
  const nlu = isMap(root) ? root.get('nlu', true) : undefined;
  if (!isSeq(nlu)) throw new DataError('DATA_FORMAT', file, "no 'nlu:' list (a Rasa NLU file has `nlu:` with `- intent:` items)", lineOf(root as Node));

  const rows: Row[] = [];
  const skipped: Record<string, number> = {};
  for (const item of nlu.items) {
    if (!isMap(item)) throw new DataError('DATA_FORMAT', file, 'each nlu: item must be a mapping (intent:, examples:)', lineOf(item as Node));
    const intent = item.get('intent');
    if (intent === undefined) {
      const kind = ['synonym', 'regex', 'lookup'].find((k) => item.has(k)) ?? 'unknown';
      skipped[kind] = (skipped[kind] ?? 0) + 1;
      continue;
    }
    if (typeof intent !== 'string' || !intent.trim()) throw new DataError('DATA_INVALID', file, "'intent' must be a name", lineOf(item));
    for (const { example, line } of examplesOf(item, file, lineOf)) {
      const { text, spans } = parseAnnotations(example, file, line);
      rows.push({ text, heads: { intent: intent.trim() }, spans, line });
    }
  }
  const warnings = Object.entries(skipped).map(([kind, n]) => `${file}: skipped ${n} '${kind}' item${n > 1 ? 's' : ''} (only intent examples are training data here)`);
  // The token head exists only when some example annotates an entity.
  if (!rows.some((r) => r.spans!.length)) rows.forEach((r) => delete r.spans);
  return { rows, warnings };
}

type LineOf = (node: { range?: [number, number, number] | null } | null | undefined) => number | undefined;

function* examplesOf(item: YAMLMap, file: string, lineOf: LineOf): Generator<{ example: string; line: number }> {
  const node = item.get('examples', true);
  if (isScalar(node) && typeof node.value === 'string') {
    // A block scalar's content starts on the line after its `|` header; plain scalars start on their own line.
    const block = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
    const first = lineOf(node)! + (block ? 1 : 0);
    const parts = node.value.split('\n');
    for (let i = 0; i < parts.length; i++) {
      const raw = parts[i].trim();
      if (raw === '') continue;
      if (!raw.startsWith('-')) throw new DataError('DATA_FORMAT', file, `an example line must start with '- ', got ${JSON.stringify(raw)}`, first + i);
      yield { example: raw.slice(1).trim(), line: first + i };
    }
    return;
  }
  if (isSeq(node)) {
    for (const entry of node.items) {
      const text = isMap(entry) ? entry.get('text') : isScalar(entry) ? entry.value : undefined;
      if (typeof text !== 'string') throw new DataError('DATA_FORMAT', file, 'an examples list entry must be a string or have text:', lineOf(entry as Node));
      yield { example: text.trim().replace(/^-\s*/, ''), line: lineOf(entry as Node)! };
    }
    return;
  }
  throw new DataError('DATA_FORMAT', file, "an intent needs 'examples:' as a | block of '- ' lines", lineOf(item));
}
