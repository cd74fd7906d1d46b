// The load test's arithmetic (medians, paired ratios, goals) and the open loop's clock, on synthetic inputs.
import { describe, expect, it } from 'vitest';
import { openLoop } from '../serve/load/open-loop.js';
import { goals, markdown, median, pairs, type LoadRow, type LoadtestResult } from '../serve/load/report.js';

const row = (subject: LoadRow['subject'], load: number, repeat: number, rps: number, p99: number, lagP99Ms = 1): LoadRow =>
  ({ mode: 'closed', subject, load, repeat, rps, p50: p99 / 2, p90: p99 / 1.2, p99, max: p99, errors: 0, lagP99Ms, lagMaxMs: lagP99Ms });

const result = (rows: LoadRow[]): LoadtestResult => ({
  startedAt: 'now', model: 'm', texts: 't', durationMs: 1000, warmupMs: 100, repeat: 3, meanTokens: 30, rows,
  machine: { cpuModel: 'cpu', logicalCores: 2, physicalCores: 2, simd: [], memoryGiB: 1, os: 'os', node: 'v20', ortEngine: '1', ortNode: null, transformersJs: null, tinybench: null, loadAverage: 0, backgroundTraining: [] },
});

describe('loadtest report', () => {
  it('medians per side, ratios paired within a repeat, goals at 64 connections', () => {
    const r = result([
      row('in-process', 64, 0, 100, 10), row('http', 64, 0, 95, 12, 4),
      row('in-process', 64, 1, 200, 10), row('http', 64, 1, 100, 30, 20), // a slow repeat for HTTP
      row('in-process', 64, 2, 50, 20), row('http', 64, 2, 48, 22, 6),
    ]);
    const [p] = pairs(r, 'closed');
    expect(p.inProc!.rps).toBe(100);
    expect(p.viaHttp!.rps).toBe(95);
    expect(p.rpsRatio).toBeCloseTo(0.95); // median of 0.95, 0.5, 0.96
    expect(p.p99Ratio).toBeCloseTo(1.2); // median of 1.2, 3, 1.1
    expect(goals(r).map((g) => g.met)).toEqual([true, true, true]);
    expect(markdown(r)).toContain('| 64 |');
    expect(median([3, 1, 2, NaN])).toBe(2);
  });

  it('a goal with nothing measured is n/a, not met', () => {
    expect(goals(result([row('in-process', 16, 0, 100, 10)])).map((g) => g.met)).toEqual([null, null, null]);
  });
});

describe('open loop', () => {
  it('keeps its schedule and counts latency from the scheduled send', async () => {
    // A server that answers every request 30 ms after it arrives, offered 200 requests/s for 250 ms.
    const r = await openLoop(() => new Promise((resolve) => setTimeout(resolve, 30)), 200, 250);
    expect(r.samples).toBe(50);
    expect(r.p50).toBeGreaterThanOrEqual(29);
    expect(r.errors).toBe(0);
    const failing = await openLoop(async (k) => { if (k % 2) throw new Error('no'); }, 1000, 20);
    expect(failing.errors).toBe(10);
    expect(failing.firstError).toBe('no');
  });
});
