// The loadtest's markdown, goals and chart. Ratios are HTTP over in-process at the same load in the same run.
import type { MachineInfo } from '../../bench/machine.js';
import { table } from '../../bench/report.js';
import { ratio } from '../../bench/stats.js';
import { renderPng, type ChartPanel } from '../../report/chart.js';

export interface LoadRow {
  mode: 'closed' | 'open';
  subject: 'in-process' | 'http';
  /** Connections (closed) or requests/s offered (open). */
  load: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Failed requests; for HTTP also non-2xx answers and timeouts. */
  errors: number;
  /** Event-loop delay of the process that runs the engine (the server for HTTP), sampled every 1 ms. */
  lagP99Ms: number;
  lagMaxMs: number;
  /** Which repetition of the point (0-based). */
  repeat: number;
}

export interface LoadtestResult {
  startedAt: string;
  machine: MachineInfo;
  model: string;
  texts: string;
  durationMs: number;
  warmupMs: number;
  repeat: number;
  meanTokens: number;
  rows: LoadRow[];
}

export const GOALS = { connections: 64, throughput: 0.9, p99: 2, lagMs: 10 };

export function median(xs: readonly number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

type Fields = Omit<LoadRow, 'mode' | 'subject' | 'load' | 'repeat'>;
const FIELDS: (keyof Fields)[] = ['rps', 'p50', 'p90', 'p99', 'max', 'errors', 'lagP99Ms', 'lagMaxMs'];

/** Per load: each side's median over the repeats, and the median of the ratios paired within each repeat. */
export function pairs(r: LoadtestResult, mode: LoadRow['mode']) {
  const loads = [...new Set(r.rows.filter((x) => x.mode === mode).map((x) => x.load))];
  return loads.map((load) => {
    const of = (s: LoadRow['subject']) => r.rows.filter((x) => x.mode === mode && x.subject === s && x.load === load);
    const side = (rows: LoadRow[]) => (rows.length ? Object.fromEntries(FIELDS.map((k) => [k, median(rows.map((x) => x[k]))])) as Fields : undefined);
    const inProcRows = of('in-process');
    const httpRows = of('http');
    const paired = (k: 'rps' | 'p99') => median(httpRows.map((h) => ratio(h[k], inProcRows.find((i) => i.repeat === h.repeat)?.[k]) ?? NaN));
    return { load, inProc: side(inProcRows), viaHttp: side(httpRows), rpsRatio: paired('rps'), p99Ratio: paired('p99'), repeats: httpRows.length };
  });
}

export function goals(r: LoadtestResult) {
  const at = pairs(r, 'closed').find((p) => p.load === GOALS.connections);
  const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : null);
  const throughput = finite(at?.rpsRatio);
  const p99 = finite(at?.p99Ratio);
  const lag = finite(at?.viaHttp?.lagP99Ms);
  return [
    { goal: `HTTP req/s / in-process req/s at ${GOALS.connections} connections`, measured: throughput, target: `>= ${GOALS.throughput}`, met: throughput === null ? null : throughput >= GOALS.throughput },
    { goal: `HTTP p99 / in-process p99 at ${GOALS.connections} connections`, measured: p99, target: `<= ${GOALS.p99}`, met: p99 === null ? null : p99 <= GOALS.p99 },
    { goal: `server event-loop lag p99 (ms) at ${GOALS.connections} connections`, measured: lag, target: `< ${GOALS.lagMs}`, met: lag === null ? null : lag < GOALS.lagMs },
  ];
}

const f = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));

export function markdown(r: LoadtestResult): string {
  const m = r.machine;
  const row = (x: Fields | undefined) => (x ? [f(x.rps, 0), f(x.p50), f(x.p90), f(x.p99), String(x.errors), f(x.lagP99Ms)] : ['-', '-', '-', '-', '-', '-']);
  const head = ['req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'errors', 'loop lag p99 ms'];
  const section = (mode: LoadRow['mode'], label: string) => table(
    [label, ...head.map((h) => `in-process ${h}`), ...head.map((h) => `HTTP ${h}`), 'req/s ratio', 'p99 ratio'],
    pairs(r, mode).map(({ load, inProc, viaHttp, rpsRatio, p99Ratio }) => [String(load), ...row(inProc), ...row(viaHttp), f(rpsRatio), f(p99Ratio)]),
  );
  return [
    `# onnx-textclf service load test (${r.startedAt})`,
    '',
    table(['', ''], [
      ['machine', `${m.cpuModel}: ${m.physicalCores} cores, ${m.logicalCores} logical, ${m.memoryGiB} GiB; ${m.os}; Node ${m.node}; ORT ${m.ortEngine}`],
      ['load', `1-min load average ${m.loadAverage} at start; training in background: ${m.backgroundTraining.length ? 'yes' : 'no'}`],
      ['model', `${r.model}; ${r.meanTokens.toFixed(1)} tokens per text on average (texts: ${r.texts})`],
      ['method', `${r.durationMs / 1000} s per point after ${r.warmupMs / 1000} s warm-up, in-process and HTTP interleaved per point, every point ` +
        `measured ${r.repeat} time(s): each cell is the median over the repeats, each ratio the median of the ratios paired within a repeat. HTTP: POST /predict ` +
        'to `npm run serve` in a child process on 127.0.0.1; closed loop by autocannon (whole-millisecond latencies), open loop by ' +
        'a fixed schedule with latency from the scheduled send. In-process: classify() with the same callers or schedule. ' +
        'Loop lag: the event-loop delay of the process running the engine (the server, via /metrics; or the caller), 1 ms sampling included'],
    ]),
    '',
    '## Goals',
    '',
    table(['goal', 'measured', 'target', 'met'], goals(r).map((g) => [g.goal, f(g.measured), g.target, g.met === null ? 'n/a' : g.met ? 'yes' : 'no'])),
    '',
    '## Closed loop (connections = in-process callers)',
    '',
    section('closed', 'connections'),
    '',
    '## Open loop (requests/s offered)',
    '',
    section('open', 'rate'),
    '',
  ].join('\n');
}

export async function plot(r: LoadtestResult, file: string): Promise<void> {
  const series = (mode: LoadRow['mode'], value: (x: Fields) => number) => (['in-process', 'http'] as const).map((s, i) => ({
    name: s === 'http' ? 'HTTP (npm run serve)' : 'engine in-process', colorIndex: i,
    points: pairs(r, mode).flatMap((p): [number, number][] => {
      const side = s === 'http' ? p.viaHttp : p.inProc;
      return side ? [[p.load, value(side)]] : [];
    }),
  }));
  const panels: ChartPanel[] = [
    { title: `${r.model}: throughput, closed loop`, xLabel: 'connections / callers', yLabel: 'requests/s', xLog: true, series: series('closed', (x) => x.rps) },
    { title: 'p99 latency, closed loop', xLabel: 'connections / callers', yLabel: 'p99 ms', xLog: true, yLog: true, series: series('closed', (x) => x.p99) },
    { title: 'p99 latency, open loop', xLabel: 'requests/s offered', yLabel: 'p99 ms', yLog: true, series: series('open', (x) => x.p99) },
    { title: 'event-loop lag p99 of the engine\'s process', xLabel: 'connections / callers', yLabel: 'ms', xLog: true, series: series('closed', (x) => x.lagP99Ms) },
  ];
  await renderPng(panels, file, { columns: 2, width: 1400 });
}
