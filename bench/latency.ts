// Latency at batch 1: one caller, one request at a time; one subject (tinybench) or several in alternating blocks.
import { Bench } from 'tinybench';
import type { Subject } from './peers/subject.js';
import { summarize, type Percentiles } from './stats.js';
import type { Item } from './workloads.js';

export interface LatencyBudget {
  /** Time budget of the measured phase, ms (tinybench `time`). */
  timeMs: number;
  warmupMs: number;
}

/** Cycles through `items` one request at a time; percentiles over every timed request. */
export async function measureLatency(subject: Subject, items: Item[], budget: LatencyBudget): Promise<Percentiles> {
  const bench = new Bench({
    name: subject.name,
    time: budget.timeMs,
    warmupTime: budget.warmupMs,
    iterations: 5, // a floor on samples; the time budget decides the rest
    warmupIterations: 2,
    retainSamples: true,
    throws: true,
    timestampProvider: 'hrtimeNow',
  });
  let next = 0;
  bench.add(subject.name, async () => {
    await subject.call(items[next++ % items.length]);
  }, { async: true });
  await bench.run();
  const result = bench.tasks[0].result;
  if (!('latency' in result) || !result.latency.samples) throw new Error(`${subject.name}: tinybench kept no samples (${result.state})`);
  return summarize(result.latency.samples);
}

/**
 * Subjects timed in alternating blocks on the same items until each has had about the budget, so load that comes and
 * goes on the machine lands on all of them alike: their ratios are steadier than phases measured one after another
 * (on this shared VM, phases apart once put transformers.js at 2x the engine on long texts). Each block first runs
 * `settleMs` unkept: with allowSpinning, the previous subject's intra-op threads go on spinning after its last call
 * and slow the next subject's calls (four identical onnxruntime-node sessions read p50s of 4.3 / 8.1 / 5.6 / 4.2 ms
 * when only each block's first call was dropped, 4.1 / 4.1 / 4.0 / 3.7 ms after 50 ms unkept, 2026-12-01). On the
 * AVX2-only VM of 2026-12-07 it lasted longer: two sentiment engines taking turns, the kept calls' p90 was 9.7 ms
 * after 50 ms unkept, 9.3 after 75, 5.5 after 100, 5.4 after 150 and 200 (5.8 for one engine alone). Blocks are as
 * long as their settling, so the kept share (and the bench's length) is as before. The order rotates each round
 * (A B C, B C A, C A B, ...), so no subject is always the one after the same neighbour.
 */
export const PAIRED_BLOCK_MS = 200;
export const PAIRED_SETTLE_MS = 200;

/** Round r of n subjects: their indices rotated by r. */
export const roundOrder = (n: number, r: number) => Array.from({ length: n }, (_, k) => (k + r) % n);

export async function measureInterleaved(subjects: Subject[], items: Item[], budget: LatencyBudget, blockMs = PAIRED_BLOCK_MS,
  settleMs = PAIRED_SETTLE_MS): Promise<Percentiles[]> {
  const samples: number[][] = subjects.map(() => []);
  let next = 0;
  const block = async (k: number, keep: boolean) => {
    const begin = performance.now();
    const end = begin + settleMs + blockMs;
    for (let i = 0; ; i++) {
      const start = performance.now();
      if (i >= 2 && start >= end) break;
      await subjects[k].call(items[next++ % items.length]);
      if (keep && i > 0 && start - begin >= settleMs) samples[k].push(performance.now() - start);
    }
  };
  // Each subject gets about `ms` of kept time per phase.
  const perMs = subjects.length * (blockMs > 0 ? (settleMs + blockMs) / blockMs : 1);
  for (const [ms, keep] of [[budget.warmupMs, false], [budget.timeMs, true]] as const) {
    const end = performance.now() + ms * perMs;
    for (let r = 0; r < 2 || performance.now() < end; r++) for (const k of roundOrder(subjects.length, r)) await block(k, keep);
  }
  return samples.map(summarize);
}
