// `npm run soak`: a long run (default 1,000,000 HTTP requests) against `npm run serve` mixing good, malformed,
// oversized, too-many-input, aborted and overloading traffic; the server's RSS is sampled every 50,000 requests.
// Passes when RSS at the end is within +10 % of RSS after warm-up, every answer has the status its kind allows,
// and the server still answers and exits 0 on SIGTERM. Not CI: it takes minutes.
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { table } from '../../bench/report.js';
import { seeded } from '../../bench/stats.js';
import { get, startServer } from './child.js';

const USAGE = `usage: npm run soak -- [options]
  --requests N        total HTTP requests (default 1000000)
  --sample-every N    RSS sample interval in requests (default 50000; the first sample is the warm-up baseline)
  --concurrency N     client connections (default 32)
  --model DIR         default test/fixtures/tiny-bert (the tiny random-weight fixture: the service is under test)
  --nice N            run the server under nice N (default 10)
  --out FILE          also write the markdown report there
  --json FILE`;

interface Kind {
  name: string;
  weight: number;
  /** Statuses this kind may get; anything else is a failure. 503 only where the engine may be overloaded. */
  allowed: number[];
  request: (r: () => number) => { path: string; body: string; contentType?: string; abortAfterMs?: number };
}

const word = (r: () => number) => ['good', 'bad', 'film', 'plot', 'slow', 'warm', 'sharp', 'dull'][Math.floor(r() * 8)];
const sentence = (r: () => number, n: number) => Array.from({ length: n }, () => word(r)).join(' ');

const BURST = 64;

const KINDS: Kind[] = [
  { name: 'good /predict', weight: 45, allowed: [200, 503], request: (r) => ({ path: '/predict', body: JSON.stringify({ inputs: sentence(r, 3 + Math.floor(r() * 20)) }) }) },
  { name: 'good /v1/classify batch', weight: 15, allowed: [200, 503], request: (r) => ({ path: '/v1/classify', body: JSON.stringify({ inputs: Array.from({ length: 1 + Math.floor(r() * 8) }, () => sentence(r, 8)), top_k: 1 }) }) },
  { name: 'malformed JSON', weight: 8, allowed: [400], request: (r) => ({ path: '/predict', body: `{"inputs": "${sentence(r, 3)}"` }) },
  { name: 'wrong types', weight: 7, allowed: [400], request: (r) => ({ path: '/v1/classify', body: JSON.stringify({ inputs: [1, r()], top_k: 'x' }) }) },
  { name: 'oversized body', weight: 4, allowed: [413], request: () => ({ path: '/predict', body: JSON.stringify({ inputs: 'x'.repeat(20_000) }) }) },
  { name: 'too many inputs', weight: 4, allowed: [422], request: () => ({ path: '/v1/classify', body: JSON.stringify({ inputs: Array(9).fill('a') }) }) },
  { name: 'aborted by the client', weight: 5, allowed: [], request: (r) => ({ path: '/v1/classify', body: JSON.stringify({ inputs: Array(8).fill(sentence(r, 30)) }), abortAfterMs: r() * 3 }) },
  // Picked rarely, but each pick sends BURST requests at once: with the queue at 32, some get 503.
  { name: 'overload burst', weight: 0.5, allowed: [200, 503], request: (r) => ({ path: '/predict', body: JSON.stringify({ inputs: sentence(r, 4) }) }) },
];

interface Tally {
  sent: number;
  byKind: Record<string, Record<string, number>>;
  unexpected: { kind: string; status: string }[];
}

function send(base: string, agent: http.Agent, req: ReturnType<Kind['request']>): Promise<string> {
  return new Promise((resolve) => {
    const r = http.request(`${base}${req.path}`, { method: 'POST', agent, headers: { 'content-type': req.contentType ?? 'application/json' } }, (res) => {
      res.resume().on('end', () => resolve(String(res.statusCode))).on('error', () => resolve('response error'));
    });
    r.on('error', (err: NodeJS.ErrnoException) => resolve(req.abortAfterMs !== undefined ? 'aborted' : `client error ${err.code ?? err.message}`));
    r.end(req.body);
    if (req.abortAfterMs !== undefined) setTimeout(() => r.destroy(), req.abortAfterMs);
  });
}

const rssOf = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)![1]) * 1024;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      requests: { type: 'string', default: '1000000' }, 'sample-every': { type: 'string', default: '50000' },
      concurrency: { type: 'string', default: '32' }, model: { type: 'string', default: 'test/fixtures/tiny-bert' },
      nice: { type: 'string', default: '10' }, out: { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return (process.stdout.write(`${USAGE}\n`), 0);
  const total = Number(values.requests);
  const every = Number(values['sample-every']);
  const concurrency = Number(values.concurrency);
  const startedAt = new Date().toISOString();
  // A small queue so bursts overload it (503), a small body limit and input cap for the 413/422 kinds.
  const server = await startServer(['--model', values.model!, '--max-queue', '32', '--max-inputs', '8', '--body-limit', '16384'], { nice: Number(values.nice) });
  const pid = server.process.pid!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency * 2 });
  const random = seeded(42);
  const weights = KINDS.reduce((a, k) => a + k.weight, 0);
  const pickKind = () => {
    let x = random() * weights;
    return KINDS.find((k) => (x -= k.weight) < 0) ?? KINDS[0];
  };
  const tally: Tally = { sent: 0, byKind: {}, unexpected: [] };
  const samples: { requests: number; rssMB: number; seconds: number }[] = [];
  const t0 = performance.now();
  const record = (kind: Kind, status: string) => {
    const counts = (tally.byKind[kind.name] ??= {});
    counts[status] = (counts[status] ?? 0) + 1;
    const ok = kind.allowed.length === 0 ? status === 'aborted' || /^\d+$/.test(status) : kind.allowed.includes(Number(status));
    if (!ok) tally.unexpected.push({ kind: kind.name, status });
  };
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const kind = pickKind();
      const n = kind.name === 'overload burst' ? Math.min(BURST, total - next) : 1;
      next += n;
      const statuses = await Promise.all(Array.from({ length: n }, () => send(server.base, agent, kind.request(random))));
      for (const s of statuses) record(kind, s);
      const before = tally.sent;
      tally.sent += n;
      if (Math.floor(tally.sent / every) > Math.floor(before / every)) {
        samples.push({ requests: tally.sent, rssMB: rssOf(pid) / 2 ** 20, seconds: (performance.now() - t0) / 1000 });
        process.stderr.write(`${tally.sent} requests, ${samples.at(-1)!.seconds.toFixed(0)} s, server RSS ${samples.at(-1)!.rssMB.toFixed(1)} MB\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  const health = (await get(`${server.base}/health`)).status;
  const good = await send(server.base, new http.Agent(), KINDS[0].request(random));
  const endRss = rssOf(pid) / 2 ** 20;
  const exitCode = await server.stop();
  const seconds = (performance.now() - t0) / 1000;
  const base = samples[0]?.rssMB ?? NaN;
  const growth = (endRss - base) / base;
  const rss = samples.map((x) => x.rssMB);
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const [head3, tail3] = [mid(rss.slice(0, 3)), mid(rss.slice(-3))];
  const checks = [
    ['RSS at the end within +10 % of RSS after warm-up (first sample)', `${base.toFixed(1)} -> ${endRss.toFixed(1)} MB (${(100 * growth).toFixed(1)} %)`, growth <= 0.1],
    // Not pass/fail, but what a single sample on a garbage-collected heap cannot show: the level and the trend.
    ['(info) median of the last 3 samples vs the first 3', `${head3.toFixed(1)} -> ${tail3.toFixed(1)} MB (${(100 * (tail3 / head3 - 1)).toFixed(1)} %)`, null],
    ['(info) RSS trend over all samples (least squares)', `${trend(samples).toFixed(2)} MB per 100,000 requests; range ${Math.min(...rss).toFixed(1)}-${Math.max(...rss).toFixed(1)} MB`, null],
    ['no status outside each kind\'s allowed set', `${tally.unexpected.length} unexpected`, tally.unexpected.length === 0],
    ['still answers: /health, then a good /predict', `${health}, ${good}`, health === 200 && good === '200'],
    ['SIGTERM: drained and exited 0', String(exitCode), exitCode === 0],
  ] as const;
  const md = [
    `# Soak: ${tally.sent.toLocaleString('en')} HTTP requests (${startedAt})`,
    '',
    `\`npm run soak -- ${argv.join(' ')}\` against \`npm run serve -- --model ${values.model} --max-queue 32 --max-inputs 8 --body-limit 16384\` ` +
      `(nice ${values.nice}), ${concurrency} client connections, ${seconds.toFixed(0)} s (${(tally.sent / seconds).toFixed(0)} req/s).`,
    '',
    table(['check', 'measured', 'pass'], checks.map(([c, m, ok]) => [c, m, ok === null ? '-' : ok ? 'yes' : 'no'])),
    '',
    '## Answers by kind of request',
    '',
    table(['kind', 'allowed', 'answers'], KINDS.map((k) => [k.name, k.allowed.join(', ') || 'any (client hangs up)',
      Object.entries(tally.byKind[k.name] ?? {}).sort().map(([s, n]) => `${s}: ${n}`).join(', ')])),
    '',
    '## Server RSS',
    '',
    table(['requests', 'seconds', 'RSS MB'], samples.map((s) => [String(s.requests), s.seconds.toFixed(0), s.rssMB.toFixed(1)])),
    ...(tally.unexpected.length ? ['', '## Unexpected', '', ...tally.unexpected.slice(0, 20).map((u) => `- ${u.kind}: ${u.status}`)] : []),
    '',
  ].join('\n');
  process.stdout.write(md);
  if (values.out) writeFileSync(values.out, md);
  if (values.json) writeFileSync(values.json, JSON.stringify({ startedAt, seconds, tally, samples, endRssMB: endRss, health, exitCode }, null, 2));
  return checks.every(([, , ok]) => ok !== false) ? 0 : 1;
}

/** Slope of RSS against requests, in MB per 100,000 requests. */
function trend(samples: { requests: number; rssMB: number }[]): number {
  const n = samples.length;
  if (n < 2) return NaN;
  const mx = samples.reduce((a, s) => a + s.requests, 0) / n;
  const my = samples.reduce((a, s) => a + s.rssMB, 0) / n;
  const num = samples.reduce((a, s) => a + (s.requests - mx) * (s.rssMB - my), 0);
  const den = samples.reduce((a, s) => a + (s.requests - mx) ** 2, 0);
  return (num / den) * 1e5;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n${USAGE}\n`);
  process.exit(1);
});
