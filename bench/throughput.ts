// Throughput: a closed loop of N callers, each sending its next request as soon as the last one settles.
import type { Subject } from './peers/subject.js';
import { summarize, type Percentiles } from './stats.js';
import type { Item } from './workloads.js';

export interface ThroughputBudget {
  /** Roughly how long the measured phase lasts, ms. */
  durationMs: number;
  /** Callers run at least this long (and one request each) first; it also sizes the measured phase. */
  warmupMs: number;
}

export interface Throughput extends Percentiles {
  concurrency: number;
  /** Measured requests / wall time from the first send to the last completion. */
  rps: number;
  /** Requests each caller sent in the measured phase. */
  perCaller: number;
  /** Mean size of the batch each measured request ran in, where the subject reports it. */
  meanBatch: number | null;
  errors: number;
  firstError?: string;
}

/**
 * Two phases, each drained before the next. Warm-up: N callers loop for `warmupMs` (one request each at least),
 * which also estimates the rate. Measured: N callers start together and each sends the same number of requests,
 * sized so the phase takes about `durationMs`. A fixed count per caller, rather than a time window, keeps the
 * figure honest for subjects that complete in waves (a synchronous run inside setImmediate settles every queued
 * request at once): requests/s = all measured requests / (last completion - first send).
 */
export async function closedLoop(subject: Subject, items: Item[], concurrency: number, budget: ThroughputBudget): Promise<Throughput> {
  const tally = { errors: 0, firstError: undefined as string | undefined, batchSum: 0, batchCount: 0 };
  // A request counts from the moment its caller could send it (its previous one settled, or the phase began).
  const send = async (k: number, ready: number, latencies?: number[]) => {
    try {
      const batch = await subject.call(items[k % items.length]);
      if (!latencies) return;
      latencies.push(performance.now() - ready);
      if (batch !== undefined) (tally.batchSum += batch), tally.batchCount++;
    } catch (err) {
      tally.errors++;
      tally.firstError ??= (err as Error).message;
    }
  };

  const warmStart = performance.now();
  const warmEnd = warmStart + budget.warmupMs;
  let warmCount = 0;
  await Promise.all(Array.from({ length: concurrency }, async (_, c) => {
    for (let k = c; k === c || performance.now() < warmEnd; k += concurrency) {
      await send(k, 0);
      warmCount++;
    }
  }));
  const perMs = warmCount / (performance.now() - warmStart);
  const perCaller = Math.max(1, Math.round((perMs * budget.durationMs) / concurrency));

  const latencies: number[] = [];
  tally.errors = 0;
  tally.firstError = undefined;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, c) => {
    for (let n = 0, ready = start; n < perCaller; n++, ready = performance.now()) await send(c + n * concurrency, ready, latencies);
  }));
  const elapsedS = (performance.now() - start) / 1000;
  return {
    concurrency,
    ...summarize(latencies),
    rps: latencies.length / elapsedS,
    perCaller,
    meanBatch: tally.batchCount ? tally.batchSum / tally.batchCount : null,
    errors: tally.errors,
    ...(tally.firstError ? { firstError: tally.firstError } : {}),
  };
}
