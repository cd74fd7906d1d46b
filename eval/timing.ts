// Running a predictor over a dataset the way users would: all at once (the engine batches), or one at a time (latency).
import { mapBounded } from '../lib/inputs.js';
import { percentile } from './metrics.js';
import type { TimingReport } from './types.js';

/** Calls `tick(done)` when `done` first reaches each further tenth of `total`. */
export function progress(label: string, total: number, log: (line: string) => void): () => void {
  let done = 0;
  let nextTenth = 1;
  return () => {
    done++;
    while (nextTenth <= 10 && done >= (nextTenth * total) / 10) {
      log(`${label}: ${done}/${total} (${nextTenth * 10} %)`);
      nextTenth++;
    }
  };
}

/**
 * Submits every item at once (at most `inFlight` queued, the same cap classify(texts) uses) and returns the
 * results in order with the wall time.
 */
export async function runAll<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, inFlight: number, tick: () => void): Promise<{ results: R[]; seconds: number }> {
  const start = performance.now();
  const results = await mapBounded(items, inFlight, async (item) => {
    const r = await fn(item);
    tick();
    return r;
  });
  return { results, seconds: (performance.now() - start) / 1000 };
}

/** Awaits `fn` on each item in turn and returns the milliseconds each call took. */
export async function runSequential<T>(items: readonly T[], fn: (item: T) => Promise<unknown>, tick: () => void): Promise<number[]> {
  const ms: number[] = [];
  for (const item of items) {
    const start = performance.now();
    await fn(item);
    ms.push(performance.now() - start);
    tick();
  }
  return ms;
}

export function latencySummary(ms: readonly number[]): TimingReport['latency'] {
  return { n: ms.length, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), meanMs: ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length) };
}

export function throughputSummary(n: number, seconds: number): TimingReport['throughput'] {
  return { n, seconds, textsPerSecond: n / seconds };
}
