// Execution providers: cpu is measured everywhere else; cuda and tensorrt get a row when they load, or why not.
import { Engine } from '../lib/engine.js';
import { measureLatency, type LatencyBudget } from './latency.js';
import type { ModelView } from './model-view.js';
import { engineFromText } from './peers/engine.js';
import type { ThreadSettings } from './peers/subject.js';
import type { ProviderRow } from './results.js';
import { closedLoop, type ThroughputBudget } from './throughput.js';
import type { Workload } from './workloads.js';

export const GPU_PROVIDERS = ['cuda', 'tensorrt'] as const;

export async function measureProviders(model: ModelView, medium: Workload, threads: ThreadSettings, latency: LatencyBudget,
  throughput: ThroughputBudget, callers: number): Promise<ProviderRow[]> {
  const rows: ProviderRow[] = [];
  for (const provider of GPU_PROVIDERS) {
    try {
      // Loading is the test: ProviderUnavailableError says which library is missing.
      await new Engine(model.target.modelFile, { executionProvider: provider }).dispose();
    } catch (err) {
      rows.push({ model: model.target.name, provider, status: 'unavailable', reason: `${(err as Error).name}: ${firstLine((err as Error).message)}` });
      continue;
    }
    const subject = engineFromText(model, { ...threads, executionProvider: provider });
    try {
      const lat = await measureLatency(subject, medium.items, latency);
      const load = await closedLoop(subject, medium.items, callers, throughput);
      rows.push({ model: model.target.name, provider, status: 'measured', p50: lat.p50, p99: lat.p99, rps: load.rps });
    } finally {
      await subject.close();
    }
  }
  return rows;
}

/** The engine's message without its advice, plus the loader's own complaint from ONNX Runtime's detail. */
function firstLine(message: string): string {
  const detail = message.indexOf(' Detail: ');
  const head = (detail > 0 ? message.slice(0, detail) : message).replace(/ Use executionProvider .*$/, '');
  const tail = detail > 0 ? message.slice(detail).match(/[^\s/]+\.so[^:]*: cannot open shared object file[^\n]*/)?.[0] : undefined;
  return tail ? `${head} (${tail})` : head;
}
