// --manifest: the summary metrics merged into the model folder's manifest.json, other keys left as they are.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EvalError, readJsonFile, repoRoot } from './data.js';
import type { EvalResult } from './types.js';

const round = (x: number, digits = 4) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);

/** The entry stored under metrics.engine.<split>.<model file basename>. */
export function manifestEntry(r: EvalResult) {
  const c = r.classification;
  return {
    task: r.task,
    n: r.n,
    accuracy: round(c.accuracy),
    macro_f1: round(c.macroF1),
    auroc: round(c.auroc),
    ece: round(c.ece.before),
    ece_T: round(c.ece.after),
    temperature: c.ece.temperature,
    p50_ms: round(r.timing.latency.p50Ms, 3),
    p99_ms: round(r.timing.latency.p99Ms, 3),
    throughput_texts_per_s: round(r.timing.throughput.textsPerSecond, 1),
    provider: r.provider,
    model_file: path.relative(repoRoot(), path.resolve(r.model.file)),
    sha256: r.model.sha256,
    date: r.date,
    command: r.command,
  };
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Returns `manifest` with the entry set at metrics.engine.<split>.<file>; creates the objects on the way. */
export function mergeManifest(manifest: Json, r: EvalResult): Json {
  const keys = ['metrics', 'engine', r.split];
  const out: Json = { ...manifest };
  let node = out;
  for (const key of keys) {
    if (node[key] !== undefined && !isObject(node[key])) throw new EvalError(`manifest.json: ${key} is not an object; not overwriting it`);
    node = node[key] = { ...((node[key] as Json | undefined) ?? {}) };
  }
  node[path.basename(r.model.file)] = manifestEntry(r);
  return out;
}

/** Reads (or starts) <model dir>/manifest.json, merges the entry in and writes it back; returns the file. */
export function updateManifest(r: EvalResult): string {
  const file = path.join(r.model.dir, 'manifest.json');
  const current = existsSync(file) ? readJsonFile(file) : {};
  if (!isObject(current)) throw new EvalError(`${file} is not a JSON object`);
  writeFileSync(file, JSON.stringify(mergeManifest(current, r), null, 2) + '\n');
  return file;
}
