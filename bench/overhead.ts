// Engine overhead: Engine.run(ids) against a bare ONNX Runtime C++ Run on identical tensors (bench/native).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EngineOptions } from '../lib/engine.js';
import { measureLatency, type LatencyBudget } from './latency.js';
import type { ModelView } from './model-view.js';
import { engineFromIds } from './peers/engine.js';
import type { ThreadSettings } from './peers/subject.js';
import type { OverheadRow } from './results.js';
import type { Percentiles } from './stats.js';
import type { Item, Workload } from './workloads.js';

/** One bare batched Run's time per Run (ms) over the iterations, and the rows it gets through per second. */
export interface BareRun extends Percentiles {
  rowsPerS: number;
}

interface BareOutput {
  seqLen: number;
  iterations: number;
  ortVersion: string;
  runMs: Omit<Percentiles, 'samples'> & { min: number };
  copyMs: Omit<Percentiles, 'samples'> & { min: number };
}

/** build/Release/ort_bare_bench, or build/ort_bare_bench where cmake-js leaves executables; null if not built. */
export function findBareBench(root: string): string | null {
  return ['build/Release/ort_bare_bench', 'build/ort_bare_bench'].map((f) => path.join(root, f)).find((f) => existsSync(f)) ?? null;
}

/**
 * The first item of the workload, run one request at a time through the engine (tinybench) and then, the same
 * number of times, through the bare C++ program with the same ids, threads and spinning.
 */
export async function measureOverhead(bin: string, model: ModelView, work: Workload, threads: ThreadSettings, budget: LatencyBudget,
  engineOptions: EngineOptions = {}): Promise<OverheadRow> {
  const item = work.items[0];
  const subject = engineFromIds(model, { ...threads, ...engineOptions });
  let engine: Percentiles;
  try {
    engine = await measureLatency(subject, [item], budget);
  } finally {
    await subject.close();
  }
  const iterations = Math.max(20, engine.samples);
  const bare = await bareProgram(bin, model, item, 1, { iterations, warmup: Math.max(5, Math.round(iterations / 10)), threads });
  return {
    model: model.target.name,
    workload: work.name,
    tokens: item.ids.length,
    threads: threads.intraOpThreads,
    allowSpinning: threads.allowSpinning,
    bare: { ...bare.runMs, samples: bare.iterations },
    engine,
    overheadPct: ((engine.p50 - bare.runMs.p50) / bare.runMs.p50) * 100,
    copyUs: bare.copyMs.p50 * 1000,
  };
}

/**
 * measureOverhead in `rounds` short rounds (each a `rounds`-th of the budget), keeping the round with the median
 * engine / bare p50 ratio: the bare Run is another process, so the two cannot alternate call by call, and a load
 * change between two phases then moves one round, not the row. `ratios` are every round's, for the report.
 */
export const OVERHEAD_ROUNDS = 3;

export async function medianOverhead(bin: string, model: ModelView, work: Workload, threads: ThreadSettings, budget: LatencyBudget,
  engineOptions: EngineOptions = {}, rounds = OVERHEAD_ROUNDS): Promise<{ row: OverheadRow; ratios: number[] }> {
  const share = { timeMs: budget.timeMs / rounds, warmupMs: budget.warmupMs / rounds };
  const rows: OverheadRow[] = [];
  for (let r = 0; r < rounds; r++) rows.push(await measureOverhead(bin, model, work, threads, share, engineOptions));
  const ratioOf = (x: OverheadRow) => x.engine.p50 / x.bare.p50;
  return { row: [...rows].sort((p, q) => ratioOf(p) - ratioOf(q))[rounds >> 1], ratios: rows.map(ratioOf) };
}

/**
 * The bare program on `batch` copies of one item per Run: the most any batching of that item reaches on this machine
 * (rows/s from the p50). CPU: the threads and spinning every contestant uses; a GPU provider: its own threads.
 */
export async function bareBatchedRun(bin: string, model: ModelView, item: Item, batch: number,
  how: { provider?: string; threads?: ThreadSettings; iterations?: number; env?: NodeJS.ProcessEnv } = {}): Promise<BareRun> {
  const iterations = how.iterations ?? 50;
  const { runMs: { min: _, ...runMs } } = await bareProgram(bin, model, item, batch, { ...how, iterations, warmup: Math.max(2, Math.round(iterations / 5)) });
  return { ...runMs, samples: iterations, rowsPerS: batch / (runMs.p50 / 1000) };
}

/** bench/native/ort_bare_bench on `batch` copies of the item: no threads given is ONNX Runtime's default, no spinning flag its default (on). */
async function bareProgram(bin: string, model: ModelView, item: Item, batch: number,
  how: { iterations: number; warmup: number; provider?: string; threads?: ThreadSettings; env?: NodeJS.ProcessEnv }): Promise<BareOutput> {
  const args = [model.target.modelFile, String(batch), String(item.ids.length), String(how.iterations), String(how.threads?.intraOpThreads ?? 0),
    '--ids', Array.from(item.ids).join(','), '--warmup', String(how.warmup),
    '--provider', how.provider ?? 'cpu', ...(how.threads ? ['--spinning', how.threads.allowSpinning ? '1' : '0'] : [])];
  return JSON.parse(await run(bin, args, how.env)) as BareOutput;
}

function run(bin: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { env: env ?? process.env, maxBuffer: 1 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(bin)} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}
