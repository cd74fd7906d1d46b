// Latency at batch 1: one caller, one request at a time, timed by tinybench.
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
