// A data file as text: strict UTF-8 (invalid bytes are an error, never mojibake), BOM stripped, sha256 of the bytes,
// and offset -> line lookups for messages.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { DataError } from './types.js';

export interface Source {
  file: string;
  text: string;
  sha256: string;
  /** The 1-based line holding a character offset of `text`. */
  lineAt(offset: number): number;
}

export function readSource(file: string): Source {
  let bytes: Buffer;
  try {
    if (statSync(file).isDirectory()) throw new DataError('DATA_MISSING', file, 'is a folder; give a data file');
    bytes = readFileSync(file);
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError('DATA_MISSING', file, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, bad).filter((b) => b === 0x0a).length + 1;
    throw new DataError('DATA_ENCODING', file, `not valid UTF-8 (byte 0x${bytes[bad]?.toString(16)} at offset ${bad}); convert the file to UTF-8`, line);
  }
  if (text.trim() === '') throw new DataError('DATA_EMPTY', file, 'the file is empty');
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const lineAt = (offset: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  return { file, text, sha256, lineAt };
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const n = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return i;
}
