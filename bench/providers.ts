// GPU rows: on each GPU provider that loads, the engine against onnxruntime-node on the same provider (fp32 and fp16,
// 1/64/256 callers), and the bare batched ONNX Runtime Run of the same model as the limit, with the engine's share
// of it. A provider that does not load gets one row saying why.
import { binding } from '../lib/binding.js';
import { preloadCudaLibraries } from '../lib/cuda-libs.js';
import { Engine, GPU_BATCH_DEFAULTS } from '../lib/engine.js';
import { openModel, type ModelView } from './model-view.js';
import type { ModelTarget, SkippedModel } from './models.js';
import { bareBatchedRun, type BareRun } from './overhead.js';
import { engineFromText } from './peers/engine.js';
import { ortNodePeer } from './peers/ort-node.js';
import type { Subject, ThreadSettings } from './peers/subject.js';
import type { ProviderRow } from './results.js';
import { closedLoop, type ThroughputBudget } from './throughput.js';
import { buildWorkloads, typicalItem, type Item } from './workloads.js';

export const GPU_PROVIDERS = ['cuda', 'tensorrt'] as const;
export type GpuProvider = (typeof GPU_PROVIDERS)[number];
export const GPU_CALLERS = [1, 64, 256];

export interface GpuPlan {
  targets: ModelTarget[];
  skipped: SkippedModel[];
  sentences: string[];
  perBucket: number;
  threads: ThreadSettings;
  throughput: ThroughputBudget;
  callers: number[];
  ortNode: boolean;
  bareBench: string | null;
  /** Rows in the bare batched Run (default: the engine's GPU maxBatchSize). */
  batch?: number;
  providers?: readonly GpuProvider[];
  log: (message: string) => void;
  // Seams (tests stub them): whether a provider loads (null) or why not, the contestants, the bare batched Run.
  probe?: (provider: GpuProvider, modelFile: string) => Promise<string | null>;
  contestants?: (model: ModelView, provider: GpuProvider) => Promise<{ subjects: Subject[]; notes: string[] }>;
  bare?: (bin: string, model: ModelView, provider: GpuProvider, item: Item, batch: number) => Promise<BareRun>;
}

export async function measureGpu(plan: GpuPlan): Promise<{ rows: ProviderRow[]; notes: string[] }> {
  const rows: ProviderRow[] = [];
  const notes: string[] = [];
  const probe = plan.probe ?? probeProvider;
  const contestants = plan.contestants ?? ((model, provider) => openContestants(model, provider, plan));
  const bare = plan.bare ?? bareOnGpu;
  const batch = plan.batch ?? GPU_BATCH_DEFAULTS.maxBatchSize;
  for (const provider of plan.providers ?? GPU_PROVIDERS) {
    const why = plan.targets.length ? await probe(provider, plan.targets[0].modelFile) : 'no GPU model to measure';
    if (why) {
      rows.push({ model: '(every model)', precision: '-', provider, subject: '-', callers: null, status: 'unavailable', reason: why });
      continue;
    }
    for (const s of plan.skipped) rows.push({ model: s.name, precision: '-', provider, subject: '-', callers: null, status: 'unavailable', reason: s.reason });
    for (const target of plan.targets) {
      const precision = target.precision ?? '-';
      const failed = (subject: string, err: unknown) =>
        rows.push({ model: target.name, precision, provider, subject, callers: null, status: 'failed', reason: firstLine((err as Error).message) });
      const model = openModel(target);
      const medium = buildWorkloads(model.tokenizer, plan.sentences, plan.perBucket).find((w) => w.name === 'medium')!;
      let limit: BareRun | null = null;
      if (plan.bareBench) {
        plan.log(`GPU ${provider} ${target.name}: bare Run, batch ${batch}`);
        try {
          limit = await bare(plan.bareBench, model, provider, typicalItem(medium.items), batch);
          rows.push({ model: target.name, precision, provider, subject: `bare Run (batch ${batch})`, callers: null, status: 'measured', p50: limit.p50, p99: limit.p99, rps: limit.rowsPerS });
        } catch (err) {
          failed(`bare Run (batch ${batch})`, err);
        }
      }
      let opened: { subjects: Subject[]; notes: string[] };
      try {
        opened = await contestants(model, provider);
      } catch (err) {
        failed('engine', err);
        continue;
      }
      notes.push(...opened.notes);
      try {
        // Callers outermost, as in the CPU rows: drift in background load falls on every contestant alike.
        for (const callers of plan.callers) {
          for (const subject of opened.subjects) {
            plan.log(`GPU ${provider} ${target.name}: ${callers} callers ${subject.name}`);
            try {
              const t = await closedLoop(subject, medium.items, callers, plan.throughput);
              if (t.errors) notes.push(`GPU ${provider} ${target.name} ${subject.name} at ${callers} callers: ${t.errors} errors, first: ${t.firstError}`);
              rows.push({
                model: target.name, precision, provider, subject: subject.name, callers, status: 'measured', p50: t.p50, p99: t.p99, rps: t.rps,
                meanBatch: t.meanBatch, shareOfBare: subject.name.startsWith('engine') && limit ? t.rps / limit.rowsPerS : undefined,
              });
            } catch (err) {
              failed(subject.name, err);
            }
          }
        }
      } finally {
        for (const s of opened.subjects) await s.close();
      }
    }
  }
  return { rows, notes };
}

/** Loads the provider library, then a real session on the device: null when both work, else the loader's reason. */
export async function probeProvider(provider: GpuProvider, modelFile: string): Promise<string | null> {
  preloadCudaLibraries();
  const loads = binding.probeProvider(provider, 0);
  if (!loads.ok) return firstLine(loads.error ?? '');
  try {
    await new Engine(modelFile, { executionProvider: provider }).dispose();
    return null;
  } catch (err) {
    return `${(err as Error).name}: ${firstLine((err as Error).message)}`;
  }
}

/** The GPU rows' engine with inlineWhenIdle (report.ts gives it its own one-caller goal row). */
export const SUBJECT_INLINE = 'engine (inlineWhenIdle)';

async function openContestants(model: ModelView, provider: GpuProvider, plan: GpuPlan): Promise<{ subjects: Subject[]; notes: string[] }> {
  // The JS thread was the ceiling on an H200 (mostly tokenizing): the same engine with tokenizing on threads. At one
  // caller it was 0.2-0.4 ms behind onnxruntime-node: inlineWhenIdle skips the worker's two hops (~0.1-0.15 ms on CPU).
  const subjects = [engineFromText(model, { ...plan.threads, executionProvider: provider }),
    engineFromText(model, { ...plan.threads, executionProvider: provider, tokenizerThreads: 2 }, 'engine (tokenizerThreads 2)'),
    engineFromText(model, { ...plan.threads, executionProvider: provider, inlineWhenIdle: true }, SUBJECT_INLINE)];
  const notes: string[] = [];
  if (plan.ortNode) {
    try {
      subjects.push(await ortNodePeer(model, plan.threads, provider));
    } catch (err) {
      notes.push(`onnxruntime-node on ${provider} (${model.target.name}) skipped: ${firstLine((err as Error).message)}; ` +
        '`npm run setup-gpu -- --ort-node` links the provider libraries beside its library too');
    }
  }
  return { subjects, notes };
}

/** The bare batched Run on the provider; the CUDA folders the engine preloads go on the child's loader path. */
function bareOnGpu(bin: string, model: ModelView, provider: GpuProvider, item: Item, batch: number): Promise<BareRun> {
  const dirs = preloadCudaLibraries().dirs;
  const env = { ...process.env, LD_LIBRARY_PATH: [...dirs, process.env.LD_LIBRARY_PATH ?? ''].filter(Boolean).join(':') };
  return bareBatchedRun(bin, model, item, batch, { provider, env });
}

/** The engine's message without its advice, plus the loader's own complaint from ONNX Runtime's detail. */
export function firstLine(message: string): string {
  const detail = message.indexOf(' Detail: ');
  const head = (detail > 0 ? message.slice(0, detail) : message).replace(/ Use executionProvider .*$/, '');
  const tail = message.match(/[^\s/]+\.so[^:]*: cannot open shared object file[^\n]*/)?.[0];
  return (tail ? `${head} (${tail})` : head).split('\n')[0];
}
