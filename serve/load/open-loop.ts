// Open loop: requests leave on a fixed schedule whatever the answers do, and each latency counts from its
// scheduled send time, so a stalled server shows up as latency (no coordinated omission). Same code for the
// engine in-process and for HTTP.
import { summarize, type Percentiles } from '../../bench/stats.js';

export interface OpenLoopResult extends Percentiles {
  rate: number;
  /** Answers per second actually achieved over the phase. */
  rps: number;
  errors: number;
  firstError?: string;
}

export async function openLoop(send: (k: number) => Promise<void>, rate: number, durationMs: number): Promise<OpenLoopResult> {
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let k = 0; k < total; k++) {
    const due = start + (k * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(send(k).then(
      () => void latencies.push(performance.now() - due),
      (err: Error) => {
        errors++;
        firstError ??= err.message;
      },
    ));
  }
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - start) / 1000;
  return { rate, ...summarize(latencies), rps: latencies.length / elapsedS, errors, ...(firstError ? { firstError } : {}) };
}
