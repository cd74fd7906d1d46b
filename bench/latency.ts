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
 * Subjects timed in alternating blocks of about `blockMs` on the same items (A B C, C B A, ...) until each has had
 * about the budget, so load that comes and goes on the machine lands on all of them alike: their ratios are steadier
 * than phases measured one after another (on this shared VM, phases apart once read 0.50x for a peer that alternating
 * blocks put level). Not call by call: a session's spinning intra-op threads outlive its call and would slow the
 * next subject's call, so each block's first call is not kept.
 */
export const PAIRED_BLOCK_MS = 50;

export async function measureInterleaved(subjects: Subject[], items: Item[], budget: LatencyBudget, blockMs = PAIRED_BLOCK_MS): Promise<Percentiles[]> {
  const samples: number[][] = subjects.map(() => []);
  const order = subjects.map((_, k) => k);
  let next = 0;
  const block = async (k: number, keep: boolean) => {
    const end = performance.now() + blockMs;
    for (let i = 0; i < 2 || performance.now() < end; i++) {
      const start = performance.now();
      await subjects[k].call(items[next++ % items.length]);
      if (keep && i > 0) samples[k].push(performance.now() - start);
    }
  };
  for (const [ms, keep] of [[budget.warmupMs, false], [budget.timeMs, true]] as const) {
    const end = performance.now() + ms * subjects.length;
    for (let i = 0; i < 2 || performance.now() < end; i++) for (const k of i % 2 ? [...order].reverse() : order) await block(k, keep);
  }
  return samples.map(summarize);
}
