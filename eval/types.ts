// The shapes an evaluation run produces: what tasks return, what report.ts prints and --json writes.
import type { ReadOptions } from '../datasets/index.js';
import type { LongOptions } from '../lib/postprocess/chunks.js';
import type { ClassScores, CoveragePoint, ReliabilityBin, SpanScores } from './metrics.js';

export interface ModelInfo {
  dir: string;
  /** manifest.json's name, else the folder's name. */
  name: string;
  /** The ONNX file the engine ran. */
  file: string;
  bytes: number;
  sha256: string;
  /** id2label, in class-id order. */
  labels: string[];
  /** The calibration temperature from config.json (1 when it has none). */
  temperature: number;
}

export interface DataInfo {
  dir: string;
  files: { file: string; sha256: string }[];
}

export interface ClassificationMetrics {
  /** The task's labels; every per-class array and the confusion matrix follow this order. */
  labels: string[];
  /** Multi-label data: see multiLabelMetrics in classification.ts for what each metric means then. */
  multiLabel?: boolean;
  accuracy: number;
  macroF1: number;
  /** Binary: the positive class's score. Multiclass: mean one-vs-rest over the classes present in the gold labels. */
  auroc: number;
  /** 'macro-labels': multi-label, the mean of each label's binary AUROC. */
  aurocKind: 'binary' | 'macro-ovr' | 'macro-labels';
  aurocPositive?: string;
  perClass: (ClassScores & { label: string })[];
  /** confusion[gold][predicted]. */
  confusion: number[][];
  /** Top-class ECE with temperature 1 ("before") and with the model's fitted temperature ("after"). */
  ece: { before: number; after: number; temperature: number; bins: number };
  reliability: { before: ReliabilityBin[]; after: ReliabilityBin[] };
  /** Accuracy when abstaining below a threshold (on the calibrated score) at set coverage levels. */
  coverage: (CoveragePoint & { target: number })[];
  /** The same at every 1 % of coverage, for plotting. */
  coverageCurve: (CoveragePoint & { target: number })[];
}

export interface TimingReport {
  /** Sequential single-text calls (batch 1). */
  latency: { n: number; p50Ms: number; p99Ms: number; meanMs: number };
  /** Every text submitted at once; the engine batches them. */
  throughput: { n: number; seconds: number; textsPerSecond: number };
}

export interface CompareReport {
  file: string;
  /** The model path the Python run recorded, if any. */
  pythonModel?: string;
  /** Sentences present in both. */
  n: number;
  agree: number;
  agreement: number;
  /** Rows whose gold label in the Python file differs from ours: non-zero means the two runs read different rows. */
  goldMismatch: number;
  /** max |softmax(python logits) - engine probabilities at temperature 1|, when the file has logits. */
  maxProbDiff?: number;
  /** max |centred python logits - centred engine log-probabilities| (logits up to a per-row constant). */
  maxLogitDiff?: number;
  disagreements: { index: number; text: string; engine: string; python: string }[];
}

/** One system (a multi-head model, or several single-task models called together) on an intent/slot task. */
export interface SystemReport {
  name: string;
  dirs: string[];
  /** Accuracy per sequence field the system answers (intent, scenario; group, category). */
  accuracy: Record<string, number>;
  /** Macro-F1 per field, over the classes in the gold labels. */
  macroF1?: Record<string, number>;
  /** Mean model windows per text (long: 'chunks'; a dual system counts both models' windows). */
  meanChunks?: number;
  /** Texts of about 1,000 tokens (20NG), one at a time. */
  longDocs?: TimingReport['latency'] & { minTokens: number; maxTokens: number };
  /** Slot spans by exact match on whitespace words (seqeval semantics), with per-type scores. */
  slots?: SpanScores & { perType: Record<string, SpanScores> };
  /** Every field right (and, with slots, every span right). */
  sentenceAccuracy: number;
  latency: TimingReport['latency'];
  /** All utterances through `callers` concurrent callers. */
  throughput: TimingReport['throughput'];
}

export interface EvalResult {
  task: string;
  split: string;
  n: number;
  date: string;
  command: string;
  provider: string;
  /** --max-batch-size, when given. */
  maxBatchSize?: number;
  data: DataInfo;
  model: ModelInfo;
  classification: ClassificationMetrics;
  timing: TimingReport;
  compare?: CompareReport;
  /** SNIPS / MASSIVE: each system's metrics and timings from the same run (the first is --model). */
  intentSlots?: { callers: number; systems: SystemReport[] };
}

/** One evaluated example, in data order: what --compare needs. */
export interface EvalRow {
  text: string;
  gold: number;
  /** The engine's probabilities at temperature 1, in the model's label order. */
  modelProbs: number[];
}

export interface EvalRun {
  result: EvalResult;
  rows: EvalRow[];
}

export interface TaskContext {
  modelDir: string;
  /** Another ONNX file for the same folder (LoadOptions.modelFile). */
  modelFile?: string;
  /** --data: the data root or the task's own folder; default ../shared/data from the repo root. */
  data?: string;
  split: string;
  /** custom: how to read the --data file (format, columns). */
  dataOptions?: ReadOptions;
  /** Evaluate only the first `limit` examples. */
  limit?: number;
  /** How classify/parse read texts longer than the window (--long, --window, --stride, --aggregate). */
  long?: LongOptions;
  /** 20NG: parts of each post to strip (--strip headers,footers,quotes). */
  strip?: string[];
  /** Single-task model folders to compare --model against (--dual a,b). */
  dual?: string[];
  /** Engine cap on one model run (default: the engine's); 1 makes every result independent of its neighbours. */
  maxBatchSize?: number;
  /** How many texts the batch-1 latency pass times. */
  latencyTexts: number;
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
  /** The command line, recorded in the result. */
  command: string;
}

/** One benchmark: how to read its data and how to predict with the engine. Registered in tasks/index.ts. */
export interface EvalTask {
  name: string;
  description: string;
  splits: readonly string[];
  defaultSplit: string;
  /** A published reference accuracy for the README table, if there is one. */
  reference?: { name: string; accuracy: number; source: string };
  evaluate(ctx: TaskContext): Promise<EvalRun>;
}
