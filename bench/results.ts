// The rows a run produces; report.ts turns them into markdown, JSON and a chart.
import type { MachineInfo } from './machine.js';
import type { Percentiles } from './stats.js';

export type Input = 'text' | 'ids';

/** Who was measured on what. */
export interface SubjectKey {
  model: string;
  workload: string;
  subject: string;
  input: Input;
}

export interface LatencyRow extends SubjectKey, Percentiles {
  /** Mean tokens per request, special tokens included. */
  tokens: number;
  /** Peer p50 / engine p50 on the same model, workload and input kind (> 1: the engine is faster); null on engine rows. */
  engineSpeedup: number | null;
}

export interface ThroughputRow extends SubjectKey, Percentiles {
  concurrency: number;
  rps: number;
  meanBatch: number | null;
  errors: number;
  /** Engine requests/s / peer requests/s at the same concurrency and input kind; null on engine rows. */
  engineSpeedup: number | null;
}

export interface OverheadRow {
  model: string;
  workload: string;
  tokens: number;
  threads: number;
  allowSpinning: boolean;
  /** Bare ONNX Runtime C++ Session::Run on ready tensors. */
  bare: Percentiles;
  /** Engine.run(ids, null) on the same ids, one request at a time. */
  engine: Percentiles;
  /** (engine p50 - bare p50) / bare p50, in percent. */
  overheadPct: number;
  /** The engine's per-request copies timed in C++: int32 ids -> int64 tensors, logits out (microseconds, p50). */
  copyUs: number;
}

/** One configuration of one study (batching, bucketing, threads, copies), with what it is compared to. */
export interface AblationRow {
  study: string;
  model: string;
  config: string;
  workload: string;
  concurrency: number;
  p50: number;
  p99: number;
  rps: number | null;
  meanBatch: number | null;
  /** This row's headline figure over the study's baseline row (rps ratio under load, p50 ratio at batch 1). */
  vsBaseline: number | null;
  note?: string;
}

/** One GPU row: a contestant on a provider at a number of callers, the bare batched Run, or why there is none. */
export interface ProviderRow {
  model: string;
  precision: 'fp32' | 'fp16' | '-';
  provider: string;
  /** 'engine', 'onnxruntime-node', 'bare Run (batch N)', or '-' on an unavailable row. */
  subject: string;
  callers: number | null;
  status: 'measured' | 'unavailable' | 'failed';
  reason?: string;
  p50?: number;
  p99?: number;
  /** Requests/s; rows/s for the bare batched Run. */
  rps?: number;
  meanBatch?: number | null;
  /** Engine requests/s over the bare batched Run's rows/s on the same model and provider (the goal: >= 0.8). */
  shareOfBare?: number;
}

/** The sub-10 ms targets at batch 1: reported, never asserted. */
export interface TargetRow {
  model: string;
  workload: string;
  tokens: number;
  p50: number;
  p99: number;
  p50Pass: boolean;
  p99Pass: boolean;
}

export interface GoalRow {
  goal: string;
  model: string;
  measured: number | null;
  target: string;
  met: boolean | null;
}

export interface ModelRow {
  name: string;
  file: string;
  status: 'measured' | 'skipped' | 'failed';
  note?: string;
}

export interface Settings {
  quick: boolean;
  intraOpThreads: number;
  allowSpinning: boolean;
  latencyMs: number;
  durationMs: number;
  warmupMs: number;
  concurrency: number[];
  perBucket: number;
  texts: string;
}

export interface BenchResult {
  startedAt: string;
  elapsedS: number;
  machine: MachineInfo;
  settings: Settings;
  models: ModelRow[];
  latency: LatencyRow[];
  throughput: ThroughputRow[];
  overhead: OverheadRow[];
  ablations: AblationRow[];
  providers: ProviderRow[];
  targets: TargetRow[];
  goals: GoalRow[];
  notes: string[];
}
