// Everything measured on one model: latency at batch 1, throughput under N callers, the peers, the C++ floor and
// (for the main model) the studies of what pays.
import { bucketingStudy, deriveBatching, deriveCopies, SUBJECT_MBS1, threadStudy, waitStudy, type AblationPlan } from './ablations.js';
import { measureInterleaved } from './latency.js';
import { openModel, type ModelView } from './model-view.js';
import type { ModelTarget } from './models.js';
import { bareBatchedRun, medianOverhead } from './overhead.js';
import { engineEmbed, isEmbedder, ortNodeEmbed, transformersJsEmbed } from './peers/embed.js';
import { engineFromIds, engineFromText } from './peers/engine.js';
import { ortNodePeer } from './peers/ort-node.js';
import { meanTokens, runPython } from './peers/python.js';
import type { Subject, ThreadSettings } from './peers/subject.js';
import { transformersJsPeer } from './peers/transformers-js.js';
import { bareSubject, GOAL_CALLERS } from './report.js';
import type { BenchResult, Settings } from './results.js';
import { alternatingLoops } from './throughput.js';
import { buildWorkloads, typicalItem, type Workload } from './workloads.js';

export interface SuitePlan {
  settings: Settings;
  latencyWorkloads: Workload['name'][];
  /** Workloads whose first item is also run through the bare C++ program. */
  overheadWorkloads: Workload['name'][];
  throughputWorkload: Workload['name'];
  peers: { ortNode: boolean; transformersJs: boolean; python: string | null };
  bareBench: string | null;
  /** Run the studies (bucketing, threads, maxWaitMs) on this model. */
  studies: boolean;
  log: (message: string) => void;
}

export async function benchModel(target: ModelTarget, sentences: string[], plan: SuitePlan, result: BenchResult): Promise<void> {
  const { settings, log } = plan;
  const threads: ThreadSettings = { intraOpThreads: settings.intraOpThreads, allowSpinning: settings.allowSpinning };
  const model = openModel(target);
  if (model.liftedFrom !== null) {
    result.notes.push(`${target.name}: tokenizer_config caps texts at ${model.liftedFrom} tokens (classify() truncates there); ` +
      `the bench lifts the cap to ${model.tokenizer.maxTokens} for every contestant so that 'long' means ~128 tokens.`);
  }
  const workloads = buildWorkloads(model.tokenizer, sentences, settings.perBucket);
  const work = (name: Workload['name']) => workloads.find((w) => w.name === name)!;
  const latencyBudget = { timeMs: settings.latencyMs, warmupMs: Math.min(settings.warmupMs, settings.latencyMs) };
  const throughputBudget = { durationMs: settings.durationMs, warmupMs: settings.warmupMs };

  log(`${target.name}: loading contestants`);
  const subjects = await openSubjects(model, threads, plan, result);
  try {
    // Every contestant of a workload in alternating blocks: the one-caller ratios then hold on a machine whose load
    // drifts between phases (each still gets about the latency budget).
    const latencySubjects = subjects.filter((s) => s.name !== SUBJECT_MBS1);
    for (const name of plan.latencyWorkloads) {
      log(`${target.name}: latency ${name}, ${latencySubjects.map((s) => s.name).join(' / ')} in alternating blocks`);
      await attempt(result, `${target.name} latency ${name}`, async () => {
        const stats = await measureInterleaved(latencySubjects, work(name).items, latencyBudget);
        latencySubjects.forEach((subject, k) => result.latency.push({
          model: target.name, workload: name, subject: subject.name, input: subject.input, tokens: meanTokens(work(name)), engineSpeedup: null, ...stats[k],
        }));
      });
    }
    const items = work(plan.throughputWorkload).items;
    // Concurrency outermost, and the contestants of one concurrency in alternating rounds (alternatingLoops):
    // background load drifts, and this spreads the drift over every contestant alike.
    for (const concurrency of settings.concurrency) {
      const loops = await alternatingLoops(subjects, items, concurrency, throughputBudget,
        (subject, round) => log(`${target.name}: ${concurrency} callers ${subject.name} (round ${round + 1})`));
      loops.forEach((t, k) => {
        const subject = subjects[k];
        if (t instanceof Error) return void result.notes.push(`${target.name} ${subject.name} at ${concurrency} callers failed: ${t.message.split('\n')[0]}`);
        if (t.errors) result.notes.push(`${target.name} ${subject.name} at ${concurrency} callers: ${t.errors} errors, first: ${t.firstError}`);
        result.throughput.push({
          model: target.name, workload: plan.throughputWorkload, subject: subject.name, input: subject.input, concurrency,
          rps: t.rps, meanBatch: t.meanBatch, errors: t.errors, engineSpeedup: null,
          p50: t.p50, p90: t.p90, p99: t.p99, max: t.max, mean: t.mean, samples: t.samples,
        });
      });
    }
  } finally {
    for (const s of subjects) await s.close();
  }

  // The limit of batching on this machine: Runs of the batch the engine ran under load, every row a text of the
  // workload's mean length (padding, which the engine pays, is not in it), no engine, no JS; one Run on every thread,
  // and one Run per thread at once on one thread each (two single-thread Runs got through 207 rows/s where one Run on
  // both threads got 175: 2026-12-06, 2-core VM). No batching engine serves more requests/s than the better of them.
  const engineUnderLoad = result.throughput.find((r) => r.model === target.name && r.subject === 'engine' && r.concurrency === GOAL_CALLERS);
  if (plan.bareBench && engineUnderLoad?.meanBatch) {
    const batch = Math.round(engineUnderLoad.meanBatch);
    const item = typicalItem(work(plan.throughputWorkload).items);
    const runs = threads.intraOpThreads;
    log(`${target.name}: bare C++ Runs of ${batch} rows, the limit of batching`);
    await attempt(result, `${target.name} bare batched Run`, async () => {
      const bare = (t: ThreadSettings) => bareBatchedRun(plan.bareBench!, model, item, batch, { threads: t, iterations: 20 });
      const limits = [{ subject: bareSubject(batch, runs), parts: [await bare(threads)] }];
      if (runs > 1) {
        const parts = await Promise.all(Array.from({ length: runs }, () => bare({ ...threads, intraOpThreads: 1 })));
        limits.push({ subject: bareSubject(batch, 1, runs), parts });
      }
      for (const { subject, parts } of limits) {
        const slowest = parts.reduce((a, b) => (a.p50 > b.p50 ? a : b));  // per-Run times of the slowest process
        const { rowsPerS: _, ...perRun } = slowest;
        result.throughput.push({
          model: target.name, workload: plan.throughputWorkload, subject, input: 'ids', concurrency: GOAL_CALLERS,
          rps: parts.reduce((sum, p) => sum + p.rowsPerS, 0), meanBatch: batch, errors: 0, engineSpeedup: null, ...perRun,
        });
      }
    });
  }

  if (plan.peers.python && !isEmbedder(model)) {
    log(`${target.name}: onnxruntime from Python`);
    const py = await runPython(plan.peers.python, {
      model: target.name, modelFile: target.modelFile, workloads, latencyWorkloads: plan.latencyWorkloads,
      throughputWorkload: plan.throughputWorkload, concurrency: settings.concurrency, latencyMs: settings.latencyMs,
      warmupMs: settings.warmupMs, durationMs: settings.durationMs, threads,
    });
    if (py.ok) result.latency.push(...py.latency), result.throughput.push(...py.throughput);
    else result.notes.push(`${target.name}: Python peer skipped: ${py.reason}`);
  }

  if (plan.bareBench) {
    for (const name of plan.overheadWorkloads) {
      log(`${target.name}: engine vs bare C++ Run, ${name}`);
      await attempt(result, `${target.name} overhead ${name}`, async () => {
        result.overhead.push((await medianOverhead(plan.bareBench!, model, work(name), threads, latencyBudget)).row);
      });
    }
  }
  result.ablations.push(...deriveBatching(result.throughput, target.name));
  result.ablations.push(...deriveCopies(result.overhead.filter((o) => o.model === target.name), result.latency));

  if (plan.studies) {
    const study: AblationPlan = { model, workloads, threads, latency: latencyBudget, throughput: throughputBudget, callers: 64, log };
    for (const run of [bucketingStudy, threadStudy, waitStudy]) {
      await attempt(result, `${target.name} ${run.name}`, async () => void result.ablations.push(...(await run(study))));
    }
  }
}

/** The engine (three ways; an embedder's embed() two) and the in-process peers; a peer that cannot load becomes a note. */
async function openSubjects(model: ModelView, threads: ThreadSettings, plan: SuitePlan, result: BenchResult): Promise<Subject[]> {
  const embedder = isEmbedder(model);
  // An embedder: embed() against peers that pool and normalise as its folder says (the other peers classify).
  const subjects: Subject[] = embedder
    ? [engineEmbed(model, threads), engineEmbed(model, { ...threads, maxBatchSize: 1 }, SUBJECT_MBS1)]
    : [engineFromText(model, threads), engineFromIds(model, threads), engineFromText(model, { ...threads, maxBatchSize: 1 }, SUBJECT_MBS1)];
  const peers: [string, boolean, () => Promise<Subject>][] = [
    ['onnxruntime-node', plan.peers.ortNode, () => (embedder ? ortNodeEmbed(model, threads) : ortNodePeer(model, threads))],
    ['transformers.js', plan.peers.transformersJs, () => (embedder ? transformersJsEmbed(model, threads) : transformersJsPeer(model, threads))],
  ];
  for (const [name, wanted, open] of peers) {
    if (!wanted) continue;
    try {
      subjects.push(await open());
    } catch (err) {
      result.notes.push(`${model.target.name}: ${name} skipped: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return subjects;
}

/** Runs one measurement; a failure is recorded as a note and the run goes on. */
async function attempt(result: BenchResult, what: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    result.notes.push(`${what} failed: ${(err as Error).message.split('\n')[0]}`);
  }
}
