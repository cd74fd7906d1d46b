// BIO tags on whitespace words <-> labelled character spans. The chunking follows seqeval's default mode, so the
// eval's slot F1 reads gold tags the way the published SNIPS numbers were computed.
import { splitWords } from '../lib/words.js';

/** A run of words [start, end) (word indices, end exclusive) with its type. */
export interface Chunk {
  type: string;
  start: number;
  end: number;
}

/**
 * The chunks of one tag sequence, read as seqeval's get_entities does in its default (non-strict) mode: the first
 * character of a tag is its prefix (B, I, E, S, O) and the part after the first '-' its type. I- without a B-
 * opens a chunk, a change of type closes one. (seqeval reports inclusive ends; ours are exclusive.)
 */
export function bioToSpans(tags: readonly string[]): Chunk[] {
  const spans: Chunk[] = [];
  let prevTag = 'O';
  let prevType = '';
  let begin = 0;
  [...tags, 'O'].forEach((chunk, i) => {
    const tag = chunk[0] ?? 'O';
    const rest = chunk.slice(1); // Python: chunk[1:].split('-', maxsplit=1)[-1] or '_'
    const type = rest.slice(rest.indexOf('-') + 1) || '_';
    if (endsChunk(prevTag, tag, prevType, type)) spans.push({ type: prevType, start: begin, end: i });
    if (startsChunk(prevTag, tag, prevType, type)) begin = i;
    prevTag = tag;
    prevType = type;
  });
  return spans;
}

function endsChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === 'E' || prevTag === 'S') return true;
  if ((prevTag === 'B' || prevTag === 'I') && (tag === 'B' || tag === 'S' || tag === 'O')) return true;
  return prevTag !== 'O' && prevTag !== '.' && prevType !== type;
}

function startsChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === 'B' || tag === 'S') return true;
  if ((prevTag === 'E' || prevTag === 'S' || prevTag === 'O') && (tag === 'E' || tag === 'I')) return true;
  return tag !== 'O' && tag !== '.' && prevType !== type;
}

/** Character spans on `text` -> the word-index chunks they cover (the units BIO tags and slot F1 use). */
export function spansToChunks(text: string, spans: readonly { start: number; end: number; label: string }[]): Chunk[] {
  const words = splitWords(text);
  const wordAt = (char: number) => words.findIndex((w) => char >= w.start && char < w.end);
  return spans.map((s) => ({ type: s.label, start: wordAt(s.start), end: wordAt(s.end - 1) + 1 }));
}

/** The token head's tag set for these entity types: O, then B-/I- per type, types sorted. */
export function bioLabels(types: Iterable<string>): string[] {
  return ['O', ...[...new Set(types)].sort().flatMap((t) => [`B-${t}`, `I-${t}`])];
}
