// Throughput: a closed loop of N callers, each sending its next request as soon as the last one settles.
import type { Subject } from './peers/subject.js';
import { roundOrder } from './latency.js';
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
  /** Every measured request's latency, ms, and the measured phase's wall time, s (for merging rounds). */
  latenciesMs: number[];
  seconds: number;
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
    latenciesMs: latencies,
    seconds: elapsedS,
  };
}

/**
 * closedLoop for every subject in `rounds` rounds of a `rounds`-th of the budget, in rotating order (A B C, B C A,
 * C A B; each round's warm-up outlasts the previous subject's spinning threads), merged per subject: requests/s =
 * all requests / all measured time, percentiles over all requests. Load that comes and goes on the machine then
 * lands on every subject alike (phases apart, onnxruntime-node's int8 row read 181 and 151 req/s in two runs of a day).
 */
export const THROUGHPUT_ROUNDS = 3;

export async function alternatingLoops(subjects: Subject[], items: Item[], concurrency: number, budget: ThroughputBudget,
  onRound: (subject: Subject, round: number) => void = () => {}, rounds = THROUGHPUT_ROUNDS): Promise<(Throughput | Error)[]> {
  const share = { durationMs: budget.durationMs / rounds, warmupMs: budget.warmupMs / rounds };
  const parts: (Throughput | Error)[][] = subjects.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const k of roundOrder(subjects.length, r)) {
      onRound(subjects[k], r);
      parts[k].push(await closedLoop(subjects[k], items, concurrency, share).catch((err: Error) => err));
    }
  }
  return parts.map((p) => {
    const failed = p.find((x): x is Error => x instanceof Error);
    return failed ?? merge(p as Throughput[]);
  });
}

function merge(parts: Throughput[]): Throughput {
  const latencies = parts.flatMap((t) => t.latenciesMs);
  const seconds = parts.reduce((sum, t) => sum + t.seconds, 0);
  const batched = parts.filter((t) => t.meanBatch !== null);
  const firstError = parts.find((t) => t.firstError)?.firstError;
  return {
    concurrency: parts[0].concurrency,
    ...summarize(latencies),
    rps: latencies.length / seconds,
    perCaller: parts.reduce((sum, t) => sum + t.perCaller, 0),
    meanBatch: batched.length ? batched.reduce((sum, t) => sum + t.meanBatch! * t.latenciesMs.length, 0) / batched.reduce((sum, t) => sum + t.latenciesMs.length, 0) : null,
    errors: parts.reduce((sum, t) => sum + t.errors, 0),
    ...(firstError ? { firstError } : {}),
    latenciesMs: latencies,
    seconds,
  };
}
