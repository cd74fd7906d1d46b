// Which engine choices pay, each measured by switching one thing: length bucketing, threads and spinning, waiting
// for company (maxWaitMs). Batching and copies are read off rows measured elsewhere (see derive* below).
import type { EngineOptions } from '../lib/engine.js';
import { measureInterleaved, measureLatency, PAIRED_BLOCK_MS, type LatencyBudget } from './latency.js';
import type { ModelView } from './model-view.js';
import { medianOverhead } from './overhead.js';
import { engineFromIds, engineFromText } from './peers/engine.js';
import { ortNodePeer } from './peers/ort-node.js';
import type { Subject, ThreadSettings } from './peers/subject.js';
import type { AblationRow, LatencyRow, OverheadRow, ThroughputRow } from './results.js';
import { ratio } from './stats.js';
import { closedLoop, type ThroughputBudget } from './throughput.js';
import type { Workload } from './workloads.js';

export interface AblationPlan {
  model: ModelView;
  workloads: Workload[];
  threads: ThreadSettings;
  latency: LatencyBudget;
  throughput: ThroughputBudget;
  /** Callers for the under-load figures (64 in the issue's goal). */
  callers: number;
  log: (message: string) => void;
}

/** lengthBucketing on a mixed-length workload under load: off is the baseline. */
export async function bucketingStudy(plan: AblationPlan): Promise<AblationRow[]> {
  const mixed = byName(plan.workloads, 'mixed');
  const rows: AblationRow[] = [];
  for (const lengthBucketing of [false, true]) {
    const config = `lengthBucketing ${lengthBucketing}`;
    plan.log(`  bucketing: ${config}`);
    const t = await underLoad(engineFromIds(plan.model, { ...plan.threads, lengthBucketing }), mixed, plan.callers, plan.throughput);
    rows.push(row('length bucketing (mixed lengths, ids)', plan, config, mixed.name, plan.callers, t.p50, t.p99, t.rps, t.meanBatch));
  }
  return withBaseline(rows, 'rps');
}

/**
 * intraOpThreads x allowSpinning, and two workers of one thread each (two batches in flight instead of one batch on
 * two threads): p50 at batch 1 and requests/s under load, end to end from text.
 */
export async function threadStudy(plan: AblationPlan): Promise<AblationRow[]> {
  const medium = byName(plan.workloads, 'medium');
  const configs: (ThreadSettings & { workers?: number })[] = [plan.threads];
  for (const intraOpThreads of [1, 2]) {
    for (const allowSpinning of [true, false]) {
      if (intraOpThreads !== plan.threads.intraOpThreads || allowSpinning !== plan.threads.allowSpinning) configs.push({ intraOpThreads, allowSpinning });
    }
  }
  configs.push({ intraOpThreads: 1, allowSpinning: plan.threads.allowSpinning, workers: 2 });
  // Automatic threads: each of the two workers gets half the cores, and a batch that starts alone a second session on all.
  configs.push({ intraOpThreads: 0, allowSpinning: plan.threads.allowSpinning, workers: 2 });
  const rows: AblationRow[] = [];
  for (const threads of configs) {
    const config = `${threads.workers ? `workers ${threads.workers}, ` : ''}intraOpThreads ${threads.intraOpThreads || 'auto (a lone batch on every core)'}, ` +
      `allowSpinning ${threads.allowSpinning}`;
    plan.log(`  threads: ${config}`);
    const subject = engineFromText(plan.model, threads);
    try {
      const lat = await measureLatency(subject, medium.items, plan.latency);
      const load = await closedLoop(subject, medium.items, plan.callers, plan.throughput);
      rows.push(row('threads: batch 1', plan, config, medium.name, 1, lat.p50, lat.p99, null, 1));
      rows.push(row('threads: under load', plan, config, medium.name, plan.callers, load.p50, load.p99, load.rps, load.meanBatch));
    } finally {
      await subject.close();
    }
  }
  return [...withBaseline(rows.filter((r) => r.concurrency === 1), 'p50'), ...withBaseline(rows.filter((r) => r.concurrency !== 1), 'rps')];
}

/** maxWaitMs: a few callers, where a short wait may let a batch form; 0 (never wait) is the baseline. */
export async function waitStudy(plan: AblationPlan, callers = 8): Promise<AblationRow[]> {
  const medium = byName(plan.workloads, 'medium');
  const rows: AblationRow[] = [];
  for (const maxWaitMs of [0, 1, 4]) {
    plan.log(`  batching: maxWaitMs ${maxWaitMs}`);
    const t = await underLoad(engineFromText(plan.model, { ...plan.threads, maxWaitMs }), medium, callers, plan.throughput);
    rows.push(row('batching: maxWaitMs', plan, `maxWaitMs ${maxWaitMs}`, medium.name, callers, t.p50, t.p99, t.rps, t.meanBatch));
  }
  return withBaseline(rows, 'rps');
}

export const SPIN_US = [0, 20, 100, 500];

/** The hop study's engine settings: each workerSpinUs, then a lone request run on the JS thread (inlineWhenIdle). */
const HOP_CONFIGS: { config: string; options: EngineOptions }[] = [
  ...SPIN_US.map((workerSpinUs) => ({ config: `workerSpinUs ${workerSpinUs}`, options: { workerSpinUs } })),
  { config: 'inlineWhenIdle', options: { inlineWhenIdle: true } },
];

/**
 * The batch-1 hop: Engine.run(ids) against a bare C++ Run on the same ids, and classify(text) against
 * onnxruntime-node, for each workerSpinUs (an idle worker polling the queue before it sleeps) and with inlineWhenIdle
 * (no hop at all). Baseline: spin 0.
 * classify and onnxruntime-node alternate in short blocks (measureInterleaved); engine and bare Run in short rounds
 * (medianOverhead).
 */
export async function hopStudy(plan: AblationPlan, bareBench: string): Promise<AblationRow[]> {
  const medium = byName(plan.workloads, 'medium');
  const rows: AblationRow[] = [];
  for (const { config, options } of HOP_CONFIGS) {
    plan.log(`  hop: ${config}`);
    const { row: o, ratios } = await medianOverhead(bareBench, plan.model, medium, plan.threads, plan.latency, options);
    rows.push({ ...row('hop: Engine.run(ids) / bare Run p50', plan, config, medium.name, 1, o.engine.p50, o.engine.p99, null, 1), vsBaseline: o.engine.p50 / o.bare.p50,
      note: `median of ${ratios.length} rounds (ratios ${ratios.map((x) => x.toFixed(2)).join(', ')}); bare Run p50 ${o.bare.p50.toFixed(3)} ms; overhead ${(o.engine.p50 - o.bare.p50).toFixed(3)} ms` });
    const text = engineFromText(plan.model, { ...plan.threads, ...options });
    const peer = await ortNodePeer(plan.model, plan.threads);
    const [lat, ort] = await measureInterleaved([text, peer], medium.items, plan.latency).finally(() => Promise.all([text.close(), peer.close()]));
    rows.push({ ...row('hop: onnxruntime-node p50 / classify p50', plan, config, medium.name, 1, lat.p50, lat.p99, null, 1), vsBaseline: ort.p50 / lat.p50,
      note: `alternating ${PAIRED_BLOCK_MS} ms blocks; onnxruntime-node p50 ${ort.p50.toFixed(3)} ms` });
  }
  return rows;
}

/** Dynamic batching on or off (maxBatchSize 32 vs 1) from the throughput rows (one caller: the same thing twice). */
export function deriveBatching(rows: ThroughputRow[], model: string): AblationRow[] {
  const out: AblationRow[] = [];
  for (const one of rows.filter((r) => r.model === model && r.subject === SUBJECT_MBS1 && r.concurrency > 1)) {
    const batched = rows.find((r) => r.model === model && r.subject === 'engine' && r.concurrency === one.concurrency);
    if (!batched) continue;
    const base = { study: 'batching: maxBatchSize', model, workload: one.workload, concurrency: one.concurrency };
    out.push({ ...base, config: 'maxBatchSize 1', p50: one.p50, p99: one.p99, rps: one.rps, meanBatch: one.meanBatch, vsBaseline: 1 });
    out.push({
      ...base, config: 'maxBatchSize 32 (default)', p50: batched.p50, p99: batched.p99, rps: batched.rps, meanBatch: batched.meanBatch,
      vsBaseline: ratio(batched.rps, one.rps),
    });
  }
  return out;
}

/**
 * Where the time of one request goes beyond ONNX Runtime's Run: the copies the engine makes (timed in C++), the
 * rest of Engine.run (N-API, queue, thread hop, promise), and tokenizing plus post-processing in JS.
 */
export function deriveCopies(overhead: OverheadRow[], latency: LatencyRow[]): AblationRow[] {
  const out: AblationRow[] = [];
  for (const o of overhead) {
    const text = latency.find((l) => l.model === o.model && l.workload === o.workload && l.subject === 'engine');
    const ids = latency.find((l) => l.model === o.model && l.workload === o.workload && l.subject === 'engine (ids)');
    const base = { study: 'copies and overhead (batch 1, p50)', model: o.model, workload: o.workload, concurrency: 1, rps: null, meanBatch: 1 };
    const share = (ms: number) => ratio(ms, o.bare.p50);
    out.push({ ...base, config: 'bare C++ Run (ready tensors)', p50: o.bare.p50, p99: o.bare.p99, vsBaseline: 1 });
    out.push({ ...base, config: 'copies: int32 ids -> int64 tensors + logits out', p50: o.copyUs / 1000, p99: NaN, vsBaseline: share(o.copyUs / 1000) });
    out.push({ ...base, config: 'Engine.run(ids) - bare Run', p50: o.engine.p50 - o.bare.p50, p99: NaN, vsBaseline: share(o.engine.p50 - o.bare.p50) });
    if (text && ids) {
      out.push({
        ...base, config: 'tokenize + post-process (classify) - Engine.run(ids)', p50: text.p50 - ids.p50, p99: NaN, vsBaseline: share(text.p50 - ids.p50),
        note: 'workload means, not the single item above',
      });
    }
  }
  return out;
}

export const SUBJECT_MBS1 = 'engine (maxBatchSize 1)';

async function underLoad(subject: Subject, work: Workload, callers: number, budget: ThroughputBudget) {
  try {
    return await closedLoop(subject, work.items, callers, budget);
  } finally {
    await subject.close();
  }
}

function row(study: string, plan: AblationPlan, config: string, workload: string, concurrency: number, p50: number, p99: number,
  rps: number | null, meanBatch: number | null): AblationRow {
  return { study, model: plan.model.target.name, config, workload, concurrency, p50, p99, rps, meanBatch, vsBaseline: null };
}

/** The first row is the baseline: rps studies divide by its requests/s, p50 studies divide its p50 by theirs. */
function withBaseline(rows: AblationRow[], by: 'rps' | 'p50'): AblationRow[] {
  const [base] = rows;
  return rows.map((r) => ({ ...r, vsBaseline: by === 'rps' ? ratio(r.rps ?? NaN, base.rps ?? NaN) : ratio(base.p50, r.p50) }));
}

function byName(workloads: Workload[], name: Workload['name']): Workload {
  const w = workloads.find((x) => x.name === name);
  if (!w) throw new Error(`no ${name} workload`);
  return w;
}
