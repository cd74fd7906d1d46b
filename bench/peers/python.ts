// Peer: ONNX Runtime from Python, run out of process on the same ONNX file and token ids (ort_python.py).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LatencyRow, ThroughputRow } from '../results.js';
import { summarize } from '../stats.js';
import type { Workload } from '../workloads.js';
import type { ThreadSettings } from './subject.js';

export interface PythonJob {
  model: string;
  modelFile: string;
  workloads: Workload[];
  latencyWorkloads: string[];
  throughputWorkload: string;
  concurrency: number[];
  latencyMs: number;
  warmupMs: number;
  durationMs: number;
  threads: ThreadSettings;
}

interface PythonOutput {
  version: string;
  latency: { workload: string; samples: number[] }[];
  throughput: { concurrency: number; perCaller: number; elapsedMs: number; samples: number[] }[];
}

export type PythonResult =
  | { ok: true; version: string; latency: LatencyRow[]; throughput: ThroughputRow[] }
  | { ok: false; reason: string };

/** Which interpreter: --python, then $BENCH_PYTHON, then python3. */
export function pythonPath(flag?: string): string {
  return flag ?? process.env.BENCH_PYTHON ?? 'python3';
}

/** The onnxruntime version `python` can import, or why it cannot. */
export function probePython(python: string): { ok: true; version: string } | { ok: false; reason: string } {
  const probe = spawnSync(python, ['-c', 'import onnxruntime, numpy; print(onnxruntime.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.error) return { ok: false, reason: `${python}: ${probe.error.message}` };
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split('\n').at(-1) ?? `exit ${probe.status}`;
    return { ok: false, reason: `${python} cannot import onnxruntime (${last}); pass --python <venv>/bin/python or set BENCH_PYTHON` };
  }
  return { ok: true, version: probe.stdout.trim() };
}

export async function runPython(python: string, job: PythonJob): Promise<PythonResult> {
  const probe = probePython(python);
  if (!probe.ok) return probe;
  const script = findScript();
  if (!script) return { ok: false, reason: 'bench/peers/ort_python.py not found beside the bench' };
  const payload = {
    model: job.modelFile,
    threads: job.threads.intraOpThreads,
    spinning: job.threads.allowSpinning,
    latencyMs: job.latencyMs,
    warmupMs: job.warmupMs,
    durationMs: job.durationMs,
    workloads: job.workloads.map((w) => ({ name: w.name, ids: w.items.map((i) => Array.from(i.ids)) })),
    latencyWorkloads: job.latencyWorkloads,
    throughput: { workload: job.throughputWorkload, concurrency: job.concurrency },
  };
  let out: PythonOutput;
  try {
    out = JSON.parse(await exec(python, [script], JSON.stringify(payload))) as PythonOutput;
  } catch (err) {
    return { ok: false, reason: `the Python peer failed: ${(err as Error).message}` };
  }
  const name = `onnxruntime (Python ${out.version})`;
  const byName = new Map<string, Workload>(job.workloads.map((w) => [w.name, w]));
  const tokens = (w: string) => meanTokens(byName.get(w)!);
  return {
    ok: true,
    version: out.version,
    latency: out.latency.map((l) => ({
      model: job.model, workload: l.workload, subject: name, input: 'ids', tokens: tokens(l.workload), engineSpeedup: null, ...summarize(l.samples),
    })),
    throughput: out.throughput.map((t) => ({
      model: job.model, workload: job.throughputWorkload, subject: name, input: 'ids', concurrency: t.concurrency,
      rps: t.samples.length / (t.elapsedMs / 1000), meanBatch: 1, errors: 0, engineSpeedup: null, ...summarize(t.samples),
    })),
  };
}

export function meanTokens(w: Workload): number {
  return w.items.reduce((s, i) => s + i.ids.length, 0) / w.items.length;
}

function findScript(): string | undefined {
  // From bench/peers (vitest runs the sources) or dist/bench/peers (the compiled bench).
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [path.join(here, 'ort_python.py'), path.resolve(here, '../../../bench/peers/ort_python.py')].find((f) => existsSync(f));
}

function exec(cmd: string, args: string[], stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`exit ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`))));
    child.stdin.end(stdin);
  });
}
