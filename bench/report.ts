// Turns the rows into what a reader compares: ratios, targets and goals, then a markdown report and JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SUBJECT_MBS1 } from './ablations.js';
import type { ModelChoice } from './models.js';
import { SUBJECT_INLINE } from './providers.js';
import type { BenchResult, GoalRow, LatencyRow, ProviderRow, TargetRow, ThroughputRow } from './results.js';
import { ratio } from './stats.js';

/** The sub-10 ms targets and the issue's goals. */
export const TARGET_MS = 10;
export const GOAL_SPEEDUP = 1.8; // issue 12 raised it from 1.5
export const GOAL_OVERHEAD_PCT = 5;
export const GOAL_OVERHEAD_MS = 0.1; // issue 12: within 5 % "or 0.1 ms" (5 % of a 2 ms Run is 0.1 ms)
export const GOAL_CALLERS = 64;
export const GPU_GOAL_SHARE = 0.8;
export const GPU_GOAL_CALLERS = 256;

const ENGINE_FOR: Record<'text' | 'ids', string> = { text: 'engine', ids: 'engine (ids)' };
/** The throughput rows of bare C++ Runs of `batch` rows: one on every thread, or `runs` at once on one thread each.
 * The better of the two is the most requests/s batching reaches on the machine. */
export const bareSubject = (batch: number, threads: number, runs = 1) =>
  runs === 1 ? `bare C++ Run, batch ${batch}, ${threads} thread${threads === 1 ? '' : 's'}` : `bare C++ Runs, batch ${batch}, ${runs} at once, 1 thread each`;
export const isBare = (subject: string) => subject.startsWith('bare C++ Run');

/** Fills the ratios (each peer against the engine fed the same kind of input), the targets and the goals. */
export function finalize(result: BenchResult): BenchResult {
  const isEngine = (s: string) => s === 'engine' || s === 'engine (ids)';
  for (const r of result.latency) {
    const engine = result.latency.find((e) => e.model === r.model && e.workload === r.workload && e.subject === ENGINE_FOR[r.input]);
    r.engineSpeedup = isEngine(r.subject) ? null : ratio(r.p50, engine?.p50);
  }
  for (const r of result.throughput) {
    const engine = result.throughput.find((e) => e.model === r.model && e.concurrency === r.concurrency && e.subject === ENGINE_FOR[r.input]);
    r.engineSpeedup = isEngine(r.subject) ? null : ratio(engine?.rps, r.rps);
  }
  result.targets = targets(result.latency);
  result.goals = goals(result);
  return result;
}

function targets(latency: LatencyRow[]): TargetRow[] {
  return latency
    .filter((r) => r.subject === 'engine')
    .map((r) => ({ model: r.model, workload: r.workload, tokens: r.tokens, p50: r.p50, p99: r.p99, p50Pass: r.p50 < TARGET_MS, p99Pass: r.p99 < TARGET_MS }));
}

function goals(result: BenchResult): GoalRow[] {
  const rows: GoalRow[] = [];
  const models = [...new Set(result.throughput.map((r) => r.model))];
  for (const model of models) {
    for (const peer of ['onnxruntime-node', 'transformers.js']) {
      const row = result.throughput.find((r) => r.model === model && r.subject === peer && r.concurrency === GOAL_CALLERS);
      const measured = row?.engineSpeedup ?? null;
      const bare = result.throughput.filter((r) => r.model === model && isBare(r.subject) && r.concurrency === GOAL_CALLERS);
      const limit = bare.length && row ? ratio(Math.max(...bare.map((r) => r.rps)), row.rps) : null;
      rows.push({
        goal: `engine requests/s >= ${GOAL_SPEEDUP}x ${peer} at ${GOAL_CALLERS} callers (CPU${limit === null ? '' :
          `; bare batched Runs, the most batching reaches here, ${limit.toFixed(2)}x`})`,
        model, measured, target: `>= ${GOAL_SPEEDUP}x`, met: measured === null ? null : measured >= GOAL_SPEEDUP,
      });
    }
  }
  for (const peer of result.latency.filter((r) => r.subject === 'onnxruntime-node' && r.input === 'text' && r.engineSpeedup !== null)) {
    rows.push({
      goal: `engine p50 <= onnxruntime-node p50 at one caller (CPU, ${peer.workload} texts; measured: peer p50 / engine p50)`,
      model: peer.model, measured: peer.engineSpeedup, target: '>= 1.00x', met: peer.engineSpeedup! >= 1,
    });
  }
  for (const r of result.providers.filter((p) => p.subject.startsWith('engine') && p.callers === GPU_GOAL_CALLERS && p.shareOfBare !== undefined)) {
    rows.push({
      goal: `${r.subject} requests/s >= ${GPU_GOAL_SHARE * 100} % of the bare batched Run at ${GPU_GOAL_CALLERS} callers (${r.provider}, ${r.precision})`,
      model: r.model, measured: r.shareOfBare!, target: `>= ${GPU_GOAL_SHARE}x`, met: r.shareOfBare! >= GPU_GOAL_SHARE,
    });
  }
  const oneCaller = (p: ProviderRow) => (p.subject === 'engine' || p.subject === SUBJECT_INLINE) && p.callers === 1 && p.status === 'measured';
  for (const r of result.providers.filter(oneCaller)) {
    const peer = result.providers.find((p) => p.model === r.model && p.provider === r.provider && p.subject === 'onnxruntime-node' && p.callers === 1);
    if (!peer?.p50 || !r.p50) continue;
    rows.push({
      goal: `${r.subject} p50 <= onnxruntime-node p50 at one caller (${r.provider}, ${r.precision}; measured: peer p50 / engine p50)`,
      model: r.model, measured: peer.p50 / r.p50, target: '>= 1.00x', met: r.p50 <= peer.p50,
    });
  }
  for (const o of result.overhead) {
    const overMs = o.engine.p50 - o.bare.p50;
    rows.push({
      goal: `Engine.run p50 within ${GOAL_OVERHEAD_PCT} % or ${GOAL_OVERHEAD_MS} ms of a bare C++ Run (batch 1, ${o.workload}, ${o.tokens} tokens; ` +
        `measured: ${overMs.toFixed(3)} ms)`,
      model: o.model, measured: o.overheadPct, target: `<= ${GOAL_OVERHEAD_PCT} % or <= ${GOAL_OVERHEAD_MS} ms`,
      met: o.overheadPct <= GOAL_OVERHEAD_PCT || overMs <= GOAL_OVERHEAD_MS,
    });
  }
  return rows;
}

export function writeJson(result: BenchResult, file: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, JSON.stringify(result, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
}

/** The whole report as markdown: header of machine facts, then one table per question. */
export function markdown(result: BenchResult): string {
  const m = result.machine;
  const s = result.settings;
  const out: string[] = [
    `# onnx-textclf benchmark (${s.quick ? 'quick' : 'full'} run, ${result.startedAt})`,
    '',
    table(['machine', ''], [
      ['CPU', `${m.cpuModel}: ${m.physicalCores} cores, ${m.logicalCores} logical, ${m.memoryGiB} GiB`],
      ['SIMD', m.simd.join(' ') || 'none found'],
      ['OS / Node', `${m.os} / ${m.node}`],
      ['ONNX Runtime', `engine ${m.ortEngine}; onnxruntime-node ${m.ortNode ?? '-'}; transformers.js ${m.transformersJs ?? '-'}`],
      ['load', `1-min load average ${m.loadAverage} at start; training in background: ${m.backgroundTraining.length ? `yes (${m.backgroundTraining.length} processes)` : 'no'}`],
      ['settings', `intraOpThreads ${s.intraOpThreads}, allowSpinning ${s.allowSpinning} for every contestant; latency ${s.latencyMs} ms per row, ` +
        `throughput ~${s.durationMs} ms per row after ${s.warmupMs} ms warm-up; texts: ${s.texts}`],
    ]),
    '',
  ];
  if (!result.latency.length && !result.throughput.length) {
    // --gpu-only or --ablation: the GPU rows or the study, their goals and the notes.
    if (result.ablations.length) out.push(...ablationSection(result));
    else out.push(...goalSection(result), ...gpuSection(result));
    out.push(...notesSection(result));
    return out.join('\n');
  }
  out.push(
    'Speedup columns: how many times faster the engine is than that row (> 1: engine faster), against the engine fed the same kind of input ' +
      '(text: tokenized inside the timed call; ids: pre-tokenized).',
    '',
    `## Targets at batch 1 (engine, text in; reported, not asserted: < ${TARGET_MS} ms)`,
    '',
    table(['model', 'workload', 'tokens', 'p50 ms', 'p99 ms', `p50 < ${TARGET_MS} ms`, `p99 < ${TARGET_MS} ms`],
      result.targets.map((t) => [t.model, t.workload, fmt(t.tokens, 0), ms(t.p50), ms(t.p99), pass(t.p50Pass), pass(t.p99Pass)])),
    '',
    ...goalSection(result),
    '## Latency at batch 1 (one caller, ms)',
    '',
    table(['model', 'workload', 'tokens', 'subject', 'input', 'p50', 'p90', 'p99', 'max', 'n', 'engine speedup (p50)'],
      sortLatency(result.latency).map((r) => [r.model, r.workload, fmt(r.tokens, 0), r.subject, r.input, ms(r.p50), ms(r.p90), ms(r.p99), ms(r.max), String(r.samples), times(r.engineSpeedup)])),
    '',
    `## Throughput under concurrent callers (closed loop, ${result.throughput[0]?.workload ?? 'medium'} texts)`,
    '',
    'The bare C++ Run rows are the limit of batching on this machine: ONNX Runtime alone running the batch the engine ran at ' +
      `${GOAL_CALLERS} callers, one text of the workload's mean length repeated, over and over, on every thread or as one Run per thread ` +
      "at once (req/s = rows/s; p50/p99 per Run); their speedup column is the share of them the engine fed ids reaches.",
    '',
    table(['model', 'callers', 'subject', 'input', 'req/s', 'p50 ms', 'p99 ms', 'mean batch', 'engine speedup (req/s)'],
      sortThroughput(result.throughput).map((r) => [r.model, String(r.concurrency), r.subject, r.input, fmt(r.rps, 0), ms(r.p50), ms(r.p99),
        r.meanBatch === null ? '-' : fmt(r.meanBatch, 1), times(r.engineSpeedup)])),
    '',
    '## Engine overhead: Engine.run(ids) vs a bare ONNX Runtime C++ Run on the same ids (batch 1)',
    '',
    result.overhead.length
      ? table(['model', 'workload', 'tokens', 'threads', 'spinning', 'bare Run p50', 'Engine.run p50', 'overhead', 'bare p99', 'engine p99', 'copies (µs)'],
        result.overhead.map((o) => [o.model, o.workload, String(o.tokens), String(o.threads), String(o.allowSpinning), ms(o.bare.p50), ms(o.engine.p50),
          pct(o.overheadPct), ms(o.bare.p99), ms(o.engine.p99), fmt(o.copyUs, 1)]))
      : '_not measured: build/Release/ort_bare_bench is missing (run `bash scripts/build-native.sh`)_',
    '',
    ...ablationSection(result),
    ...gpuSection(result),
    ...notesSection(result),
  );
  return out.join('\n');
}

function ablationSection(result: BenchResult): string[] {
  return [
    '## What pays (one switch at a time; vs baseline: req/s ratio under load, p50 ratio at batch 1, share of bare Run for copies)',
    '',
    table(['study', 'model', 'config', 'workload', 'callers', 'p50 ms', 'p99 ms', 'req/s', 'mean batch', 'vs baseline', 'note'],
      result.ablations.map((a) => [a.study, a.model, a.config, a.workload, String(a.concurrency), ms(a.p50), ms(a.p99),
        a.rps === null ? '-' : fmt(a.rps, 0), a.meanBatch === null ? '-' : fmt(a.meanBatch, 1), times(a.vsBaseline), a.note ?? ''])),
    '',
  ];
}

function goalSection(result: BenchResult): string[] {
  return [
    '## Goals',
    '',
    table(['goal', 'model', 'measured', 'target', 'met'],
      result.goals.map((g) => [g.goal, g.model, /within .* %/.test(g.goal) ? pct(g.measured) : times(g.measured), g.target, g.met === null ? 'n/a' : pass(g.met)])),
    '',
  ];
}

function notesSection(result: BenchResult): string[] {
  return [
    '## Models and notes',
    '',
    ...result.models.map((x) => `- ${x.name}: ${x.status}${x.note ? ` (${x.note})` : ''}`),
    ...result.notes.map((n) => `- ${n}`),
    '',
    `Finished in ${fmt(result.elapsedS, 0)} s.`,
    '',
  ];
}

const GPU_MODELS_NOTE = "GPU rows' models: ";

/** Which models the GPU rows measure (or would, where no provider loads) and which are missing, with why. */
export function gpuModelsNote(choice: ModelChoice): string {
  const missing = choice.skipped.map((s) => `${s.name} (${s.reason})`);
  return `${GPU_MODELS_NOTE}${choice.targets.map((t) => t.name).join(', ') || 'none'}${missing.length ? `; not available: ${missing.join('; ')}` : ''}`;
}

/** One line for scripts/gpu-check.sh's summary: rows measured and the GPU goals missed, or why nothing was measured. */
export function gpuSummary(result: BenchResult): string {
  const measured = result.providers.filter((p) => p.status === 'measured');
  if (!measured.length) {
    const why = [...new Set(result.providers.map((p) => `${p.provider}: ${p.reason}`))].join('; ') || 'no GPU rows';
    const ready = result.notes.find((n) => n.startsWith(GPU_MODELS_NOTE))?.slice(GPU_MODELS_NOTE.length).split('; not available')[0];
    return `no GPU row measured (${why}); models ready for the rows: ${ready ?? 'unknown'}`;
  }
  const failed = result.providers.filter((p) => p.status === 'failed').length;
  const gpuGoals = result.goals.filter((g) => /\((cuda|tensorrt), /.test(g.goal));
  const missed = gpuGoals.filter((g) => g.met === false)
    .map((g) => `${g.model} ${g.goal.match(/\((\w+), /)![1]} ${g.goal.includes('one caller') ? 'batch-1 p50 vs onnxruntime-node' : `${g.goal.split(' requests/s')[0]} share`} ${times(g.measured)}`);
  return `${measured.length} rows measured on ${new Set(measured.map((p) => p.model)).size} models${failed ? `, ${failed} failed` : ''}; ` +
    `GPU goals met ${gpuGoals.length - missed.length}/${gpuGoals.length}${missed.length ? `; missed: ${missed.join(', ')}` : ''}`;
}

/** GPU rows: measured contestants and bare Runs, or one row per provider saying why it did not load. */
export function gpuSection(result: BenchResult): string[] {
  return [
    '## GPU: engine vs onnxruntime-node on the same provider; the bare batched Run is the limit',
    '',
    table(['model', 'precision', 'provider', 'subject', 'callers', 'p50 ms', 'p99 ms', 'req/s (bare: rows/s)', 'mean batch', 'engine share of bare Run', 'status'],
      result.providers.map((p) => [p.model, p.precision, p.provider, p.subject, p.callers === null ? '-' : String(p.callers), ms(p.p50), ms(p.p99),
        fmt(p.rps, 0), p.meanBatch == null ? '-' : fmt(p.meanBatch, 1), p.shareOfBare === undefined ? '-' : `${(p.shareOfBare * 100).toFixed(0)} %`,
        p.status === 'measured' ? 'measured' : `${p.status}: ${p.reason}`])),
    '',
  ];
}

const SUBJECT_ORDER = (s: string) => (s === 'engine' ? 0 : s === SUBJECT_MBS1 ? 1 : s === 'engine (ids)' ? 2 : isBare(s) ? 4 : 3);

/** Models in the order they were measured, then short/medium/long, then the engine rows before the peers. */
function sortLatency(rows: LatencyRow[]): LatencyRow[] {
  const models = [...new Set(rows.map((r) => r.model))];
  const workloads = ['short', 'medium', 'long', 'mixed'];
  return [...rows].sort((a, b) => models.indexOf(a.model) - models.indexOf(b.model) ||
    workloads.indexOf(a.workload) - workloads.indexOf(b.workload) || SUBJECT_ORDER(a.subject) - SUBJECT_ORDER(b.subject));
}

/** Models in the order they were measured, then callers, then the engine rows before the peers. */
function sortThroughput(rows: ThroughputRow[]): ThroughputRow[] {
  const models = [...new Set(rows.map((r) => r.model))];
  return [...rows].sort((a, b) => models.indexOf(a.model) - models.indexOf(b.model) || a.concurrency - b.concurrency ||
    SUBJECT_ORDER(a.subject) - SUBJECT_ORDER(b.subject));
}

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

function fmt(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return v.toFixed(Math.abs(v) < 1 ? 3 : Math.abs(v) < 100 ? 2 : 0);
}

function times(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '-' : `${v.toFixed(2)}x`;
}

function pct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '-' : `${v >= 0 ? '+' : ''}${v.toFixed(1)} %`;
}

function pass(ok: boolean): string {
  return ok ? 'pass' : 'FAIL';
}
