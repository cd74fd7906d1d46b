// --plot: reliability diagram before/after temperature, accuracy vs coverage, and where the confidences fall.
import { renderPng, type ChartPanel } from '../report/chart.js';
import type { ReliabilityBin } from './metrics.js';
import { fixed } from './report.js';
import type { EvalResult } from './types.js';

/** The diagonal from 1/k (the lowest possible top-class confidence) to 1, with enough points for round ticks. */
const perfect = (classes: number): [number, number][] =>
  Array.from({ length: 11 }, (_, i) => 1 / classes + (i / 10) * (1 - 1 / classes)).map((v) => [v, v]);

const binPoints = (bins: readonly ReliabilityBin[]): [number, number][] => bins.filter((b) => b.count > 0).map((b) => [b.confidence, b.accuracy]);

export function evalPanels(r: EvalResult): ChartPanel[] {
  const c = r.classification;
  const calibrated = c.ece.temperature !== 1;
  const before = `temperature 1${calibrated ? '' : ' (config.json has none)'}: ECE ${fixed(c.ece.before, 3)}`;
  const after = `fitted temperature ${fixed(c.ece.temperature, 2)}: ECE ${fixed(c.ece.after, 3)}`;
  const both = <T>(f: (bins: readonly ReliabilityBin[]) => T) => [
    { name: before, points: f(c.reliability.before) },
    ...(calibrated ? [{ name: after, points: f(c.reliability.after) }] : []),
  ];
  // Bins wholly below 1/k cannot hold a top-class confidence; the rest are labelled by their centre in %.
  const possible = (b: ReliabilityBin) => b.hi > 1 / c.labels.length;
  const share = (bins: readonly ReliabilityBin[]): [number, number][] =>
    bins.filter(possible).map((b) => [Math.round(50 * (b.lo + b.hi)), (100 * b.count) / r.n]);
  return [
    {
      title: `Reliability: ${r.model.name}, ${r.task}/${r.split}`,
      xLabel: 'mean top-class confidence in bin',
      yLabel: 'accuracy in bin',
      series: [...both(binPoints), { name: 'perfect calibration', points: perfect(c.labels.length) }],
    },
    {
      title: 'Accuracy vs coverage (abstain below a threshold)',
      xLabel: 'coverage (% of examples answered)',
      yLabel: 'accuracy on answered (%)',
      series: [{ name: `calibrated top score, n = ${r.n}`, points: c.coverageCurve.map((p) => [100 * p.coverage, 100 * p.accuracy]) }],
    },
    {
      title: `Top-class confidence histogram (${c.ece.bins} bins)`,
      xLabel: 'bin centre (confidence, %)',
      yLabel: '% of examples',
      kind: 'bar',
      series: both(share),
    },
  ];
}

export function plotResult(r: EvalResult, file: string): Promise<void> {
  return renderPng(evalPanels(r), file, { columns: 3, width: 1800 });
}
