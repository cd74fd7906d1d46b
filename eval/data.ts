// Where evaluation data lives (../shared/data beside the repo, or --data); the formats are read by datasets/.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A failure the CLI reports as one line, without a stack: bad arguments, missing data, labels that do not map. */
export class EvalError extends Error {
  override name = 'EvalError';
}

/** The folder holding package.json above this file (works from eval/ under vitest and from dist/eval/). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new EvalError('cannot find the repository root (no package.json above eval/)');
    dir = up;
  }
  return dir;
}

export const defaultDataRoot = () => path.resolve(repoRoot(), '../shared/data');

/** A task's data folder: `<data>/<folder>` when it exists, else `data` itself (so --data takes either). */
export function taskDataDir(folder: string, data?: string): string {
  const root = data ? path.resolve(data) : defaultDataRoot();
  const dir = existsSync(path.join(root, folder)) ? path.join(root, folder) : root;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new EvalError(`data folder not found: ${dir}`);
  return dir;
}

export function requireFile(file: string): string {
  if (!existsSync(file)) throw new EvalError(`missing data file ${file}`);
  return file;
}

/** Parsed JSON; a missing or malformed file is an EvalError naming it. */
export function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(requireFile(file), 'utf8'));
  } catch (err) {
    if (err instanceof EvalError) throw err;
    throw new EvalError(`${file}: ${(err as Error).message}`);
  }
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
