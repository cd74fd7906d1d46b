// The bench's PNG: per model, latency percentiles at batch 1 and requests/s and p99 against concurrent callers.
import { renderPng, type ChartPanel, type Series } from '../report/chart.js';
import { SUBJECT_MBS1 } from './ablations.js';
import { isBare } from './report.js';
import type { BenchResult, ThroughputRow } from './results.js';

export function benchPanels(result: BenchResult, workload = 'medium'): ChartPanel[] {
  const models = [...new Set([...result.latency, ...result.throughput].map((r) => r.model))];
  // One order and one colour per subject in every panel, whichever peers a model has; the throughput-only
  // ablation goes last.
  const order = [...new Set([...result.latency, ...result.throughput].map((r) => r.subject))]
    .sort((a, b) => Number(a === SUBJECT_MBS1) - Number(b === SUBJECT_MBS1));
  const colorIndex = (subject: string) => order.indexOf(subject);
  return models.flatMap((model): ChartPanel[] => {
    const lat = result.latency.filter((r) => r.model === model && r.workload === workload);
    const load = result.throughput.filter((r) => r.model === model);
    const subjects = order.filter((s) => [...lat, ...load].some((r) => r.subject === s));
    const curve = (value: (r: ThroughputRow) => number): Series[] =>
      subjects.filter((s) => load.some((r) => r.subject === s)).map((s) => ({
        name: s, colorIndex: colorIndex(s), points: load.filter((r) => r.subject === s).map((r): [number, number] => [r.concurrency, value(r)]),
      }));
    return [
      {
        title: `${model}: latency at batch 1 (${workload})`, xLabel: 'percentile (100 = max)', yLabel: 'ms (log)', kind: 'bar', yLog: true,
        series: subjects.flatMap((s) => lat.filter((r) => r.subject === s))
          .map((r) => ({ name: r.subject, colorIndex: colorIndex(r.subject), points: [[50, r.p50], [90, r.p90], [99, r.p99], [100, r.max]] })),
      },
      { title: `${model}: throughput`, xLabel: 'concurrent callers', yLabel: 'requests/s', xLog: true, series: curve((r) => r.rps) },
      // A bare Run's p99 is per batch, not per request: it has no place among the callers' latencies.
      { title: `${model}: p99 under load`, xLabel: 'concurrent callers', yLabel: 'p99 ms', xLog: true, yLog: true, series: curve((r) => r.p99).filter((c) => !isBare(c.name)) },
    ];
  });
}

export async function plot(result: BenchResult, file: string): Promise<boolean> {
  const panels = benchPanels(result);
  if (panels.length === 0) return false;
  await renderPng(panels, file, { columns: 3, width: 1800 });
  return true;
}
