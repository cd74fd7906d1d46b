// `npm run loadtest`: the service under HTTP load next to the engine in-process, same model, same texts, same run.
// Closed loop (autocannon, 1/16/64/256 connections) and open loop (fixed rates); markdown on stdout, --json, --plot.
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { machineInfo } from '../../bench/machine.js';
import { closedLoop } from '../../bench/throughput.js';
import { buildWorkloads, loadSentences, type Item } from '../../bench/workloads.js';
import { writeJson } from '../../eval/report.js';
import { loadClassifier, type Classifier } from '../../lib/index.js';
import { metric, startServer, type ServerChild } from './child.js';
import { openLoop } from './open-loop.js';
import { markdown, median, plot, type LoadRow, type LoadtestResult } from './report.js';

const USAGE = `usage: npm run loadtest -- [options]
  --model DIR          model folder (default models/sentiment-minilm-l6)
  --duration S         seconds per measured point (default 5), after --warmup S (default 1)
  --connections LIST   closed-loop connections / in-process callers (default 1,16,64,256)
  --rates LIST         open-loop requests/s (default: 25 %, 50 %, 75 % of the in-process rate at 64 callers)
  --repeat N           measure every point N times, in-process and HTTP interleaved (default 1); the report
                       gives medians and the median of the paired ratios (use 3+ on a shared machine)
  --threads N          intraOpThreads for both (default: physical cores)
  --spinning           allowSpinning for both (default off, as npm run serve)
  --texts FILE         sentences to build ~34-token inputs from (default: $BENCH_TEXTS or the SST-2 dev set)
  --json FILE, --plot FILE
  --help`;

function parseCli(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: 'models/sentiment-minilm-l6' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      connections: { type: 'string', default: '1,16,64,256' },
      rates: { type: 'string' },
      repeat: { type: 'string', default: '1' },
      threads: { type: 'string' },
      spinning: { type: 'boolean', default: false },
      texts: { type: 'string' },
      json: { type: 'string' },
      plot: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const list = (name: string, v: string | undefined) => {
    const xs = v?.split(',').map(Number);
    if (xs && !xs.every((x) => Number.isFinite(x) && x > 0)) throw new Error(`--${name} must list positive numbers, got ${v}`);
    return xs;
  };
  const num = (name: string, v: string) => {
    const x = Number(v);
    if (!(x > 0)) throw new Error(`--${name} must be a positive number, got ${v}`);
    return x;
  };
  return {
    ...values,
    durationMs: num('duration', values.duration!) * 1000,
    warmupMs: num('warmup', values.warmup!) * 1000,
    connections: list('connections', values.connections)!.map(Math.round),
    rates: list('rates', values.rates),
    repeat: Math.round(num('repeat', values.repeat!)),
    threads: values.threads === undefined ? undefined : num('threads', values.threads),
  };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** The in-process side: classify() on the same texts, event-loop lag of this process meanwhile. */
type Measured = Omit<LoadRow, 'repeat'>;

async function inProcessClosed(clf: Classifier, items: Item[], c: number, o: { durationMs: number; warmupMs: number }): Promise<Measured> {
  const subject = { name: 'in-process', input: 'text' as const, call: async (i: Item) => (await clf.classify(i.text)).timing.batchSize, close: async () => {} };
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  const r = await closedLoop(subject, items, c, o);
  lag.disable();
  return { mode: 'closed', subject: 'in-process', load: c, rps: r.rps, p50: r.p50, p90: r.p90, p99: r.p99, max: r.max, errors: r.errors, ...lagOf(lag) };
}

const lagOf = (h: { percentile(p: number): number; max: number }) => ({ lagP99Ms: h.percentile(99) / 1e6, lagMaxMs: h.max / 1e6 });

async function httpClosed(server: ServerChild, items: Item[], c: number, o: { durationMs: number; warmupMs: number }): Promise<Measured> {
  const requests = items.map((i) => ({ method: 'POST' as const, path: '/predict', body: JSON.stringify({ inputs: i.text, truncate: true }) }));
  const run = (seconds: number) => autocannon({
    url: server.base, connections: c, duration: seconds, method: 'POST', headers: { 'content-type': 'application/json' }, requests,
  });
  await run(o.warmupMs / 1000);
  await server.metrics(); // resets the server's event-loop lag histogram
  const r = await run(o.durationMs / 1000);
  const m = await server.metrics();
  return {
    mode: 'closed', subject: 'http', load: c, rps: r.requests.total / r.duration, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99,
    max: r.latency.max, errors: r.errors + r.timeouts + r.non2xx,
    lagP99Ms: 1000 * metric(m, 'nodejs_eventloop_lag_p99_seconds'), lagMaxMs: 1000 * metric(m, 'nodejs_eventloop_lag_max_seconds'),
  };
}

function httpSender(base: string, items: Item[]) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const bodies = items.map((i) => JSON.stringify({ inputs: i.text, truncate: true }));
  const send = (k: number) => new Promise<void>((resolve, reject) => {
    const req = http.request(`${base}/predict`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume().on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(bodies[k % bodies.length]);
  });
  return { send, close: () => agent.destroy() };
}

export async function main(argv: string[]): Promise<number> {
  const o = parseCli(argv);
  if (o.help) return (process.stdout.write(`${USAGE}\n`), 0);
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const load = { allowSpinning: o.spinning, ...(o.threads ? { intraOpThreads: o.threads } : {}) };
  log(`loading ${o.model} in-process and starting the server (127.0.0.1) …`);
  const clf = await loadClassifier(o.model, load);
  const sentences = loadSentences(o.texts);
  const items = buildWorkloads(clf.tokenizer, sentences.sentences, 64).find((w) => w.name === 'medium')!.items;
  const server = await startServer(['--model', o.model, ...(o.threads ? ['--threads', String(o.threads)] : []), ...(o.spinning ? ['--spinning'] : [])]);
  const rows: LoadRow[] = [];
  const budget = { durationMs: o.durationMs, warmupMs: o.warmupMs };
  try {
    for (let repeat = 0; repeat < o.repeat; repeat++) {
      for (const c of o.connections) {
        // Interleaved per point, so drift on a shared machine hits both sides alike.
        rows.push({ ...(await inProcessClosed(clf, items, c, budget)), repeat });
        rows.push({ ...(await httpClosed(server, items, c, budget)), repeat });
        log(`closed ${c}: in-process ${rows.at(-2)!.rps.toFixed(0)} req/s, http ${rows.at(-1)!.rps.toFixed(0)} req/s`);
      }
    }
    const refs = rows.filter((r) => r.subject === 'in-process' && r.load === 64);
    const ref = median((refs.length ? refs : rows.filter((r) => r.subject === 'in-process')).map((r) => r.rps));
    const rates = o.rates ?? [0.25, 0.5, 0.75].map((f) => Math.max(1, Math.round((f * ref) / 5) * 5));
    const sender = httpSender(server.base, items);
    for (let repeat = 0; repeat < o.repeat; repeat++) for (const rate of rates) {
      const lag = monitorEventLoopDelay({ resolution: 1 });
      lag.enable();
      const inProc = await openLoop(async (k) => void (await clf.classify(items[k % items.length].text)), rate, o.durationMs);
      lag.disable();
      rows.push({ mode: 'open', subject: 'in-process', load: rate, ...pick(inProc), ...lagOf(lag), repeat });
      await server.metrics();
      const viaHttp = await openLoop(sender.send, rate, o.durationMs);
      const m = await server.metrics();
      rows.push({ mode: 'open', subject: 'http', load: rate, ...pick(viaHttp),
        lagP99Ms: 1000 * metric(m, 'nodejs_eventloop_lag_p99_seconds'), lagMaxMs: 1000 * metric(m, 'nodejs_eventloop_lag_max_seconds'), repeat });
      log(`open ${rate}/s: in-process p99 ${inProc.p99.toFixed(1)} ms, http p99 ${viaHttp.p99.toFixed(1)} ms`);
    }
    sender.close();
  } finally {
    const code = await server.stop();
    if (code !== 0) log(`server exited with ${code}`);
    await clf.dispose();
  }
  const result: LoadtestResult = {
    startedAt, machine, model: o.model, texts: sentences.source, durationMs: o.durationMs, warmupMs: o.warmupMs, repeat: o.repeat,
    meanTokens: items.reduce((a, i) => a + i.ids.length, 0) / items.length, rows,
  };
  process.stdout.write(markdown(result));
  if (o.json) writeJson(o.json, result);
  if (o.plot) await plot(result, o.plot);
  return 0;
}

const pick = (r: { rps: number; p50: number; p90: number; p99: number; max: number; errors: number }) =>
  ({ rps: r.rps, p50: r.p50, p90: r.p90, p99: r.p99, max: r.max, errors: r.errors });

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n${USAGE}\n`);
  process.exit(1);
});
