// serve/ through Fastify's inject: every route, every error code and status, overload then recovery, the
// Prometheus text, and 2,000 malformed requests that must all get a 4xx. Tiny random-weight fixtures.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seeded } from '../bench/stats.js';
import { loadClassifier, softmax, type Classifier } from '../lib/index.js';
import { STATUS } from '../serve/errors.js';
import { buildServer } from '../serve/server.js';
import { fixture, fixturesDir } from './helpers.js';

const defaultModel = path.join(fixturesDir, '..', '..', 'models', 'sentiment-minilm-l6');

const long = 'word '.repeat(400);
let app: FastifyInstance;

beforeAll(async () => {
  app = buildServer({
    models: { sentiment: fixture('tiny-bert'), tagger: fixture('tiny-bert-tagger'), joint: fixture('tiny-joint') },
    maxInputs: 8,
    bodyLimit: 4096,
  }, 'silent');
  await app.ready();
});
afterAll(() => app.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': 'application/json', ...headers } });

function expectError(res: { statusCode: number; json(): any }, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(res.json()).toMatchObject({ code, error: expect.any(String) });
  expect(STATUS[code as keyof typeof STATUS]).toBe(status);
}

describe('routes', () => {
  it('GET /health, /ready, /info', async () => {
    expect((await app.inject('/health')).json()).toEqual({ status: 'ok' });
    expect((await app.inject('/ready')).json()).toEqual({ status: 'ready', models: ['sentiment', 'tagger', 'joint'] });
    const info = (await app.inject('/info')).json();
    expect(info.models.map((m: { name: string; kind: string }) => `${m.name}:${m.kind}`)).toEqual(['sentiment:classifier', 'tagger:tagger', 'joint:parser']);
    expect(info.models[0].labels).toEqual(['NEGATIVE', 'POSITIVE']);
    expect(info.models[2].heads.map((h: { name: string }) => h.name)).toEqual(['intent', 'slots']);
    expect(info.providers).toContain('CPUExecutionProvider');
    expect(info.versions).toMatchObject({ node: process.version, onnxruntime: expect.any(String), fastify: expect.stringMatching(/^5\./) });
  });

  it('POST /predict answers as TEI: one text -> labels best first; a batch -> one list per text', async () => {
    const one = (await post('/predict', { inputs: 'I love it' })).json();
    expect(one.map((p: { label: string }) => p.label).sort()).toEqual(['NEGATIVE', 'POSITIVE']);
    expect(one[0].score).toBeGreaterThanOrEqual(one[1].score);
    expect(one[0].score + one[1].score).toBeCloseTo(1, 6);
    const batch = (await post('/predict', { inputs: ['I love it', ['terrible.']] })).json();
    expect(batch).toHaveLength(2);
    expect(batch[0]).toEqual(one); // same text, same answer, whatever else was in the request
    const direct = await (await loadClassifier(fixture('tiny-bert'))).classify('terrible.');
    expect(batch[1][0]).toEqual({ label: direct.label, score: direct.score });
  });

  it('POST /predict raw_scores gives the logits (softmax of them = the probabilities); truncate defaults to false', async () => {
    const probs = (await post('/predict', { inputs: 'so so' })).json();
    const raw = (await post('/predict', { inputs: 'so so', raw_scores: true })).json();
    const byLabel = (list: { label: string; score: number }[]) => ['NEGATIVE', 'POSITIVE'].map((l) => list.find((p) => p.label === l)!.score);
    const p = softmax(byLabel(raw), 1);
    expect(p[0]).toBeCloseTo(byLabel(probs)[0], 5);
    expectError(await post('/predict', { inputs: long }), 413, 'ERR_INPUT_TOO_LONG');
    expect((await post('/predict', { inputs: long, truncate: true })).statusCode).toBe(200);
  });

  it('POST /v1/classify passes the options and mirrors the input shape', async () => {
    const one = (await post('/v1/classify', { inputs: 'great', top_k: 1 })).json();
    expect(one).toMatchObject({ label: expect.any(String), tokens: expect.any(Number), truncated: false, timing: { batchSize: expect.any(Number) } });
    expect(one.scores).toHaveLength(1);
    const abstain = (await post('/v1/classify', { inputs: ['great', 'awful'], threshold: 1 })).json();
    expect(abstain.map((r: { label: unknown }) => r.label)).toEqual([null, null]);
    expect((await post('/v1/classify', { model: 'sentiment', inputs: long })).json().truncated).toBe(true);
  });

  it('POST /v1/parse and /v1/tag answer with spans and offsets', async () => {
    const text = 'play daft punk on spotify';
    const parsed = (await post('/v1/parse', { inputs: text })).json();
    expect(parsed.intent.scores).toHaveLength(3);
    for (const s of parsed.slots) expect(text.slice(s.start, s.end)).toBe(s.value);
    expect((await post('/v1/parse', { inputs: [text], threshold: { intent: 1 } })).json()[0].intent.label).toBeNull();
    const tagged = (await post('/v1/tag', { inputs: [text, 'x'] })).json();
    expect(tagged).toHaveLength(2);
    for (const s of tagged[0].slots) expect(text.slice(s.start, s.end)).toBe(s.value);
  });
});

describe('errors as { error, code }', () => {
  it('400 for malformed JSON, wrong types, bad options and unknown fields', async () => {
    expectError(await post('/v1/classify', '{"inputs":'), 400, 'ERR_BAD_REQUEST');
    expectError(await post('/v1/classify', { inputs: 5 }), 400, 'ERR_BAD_REQUEST'); // not coerced to "5"
    expectError(await post('/v1/classify', { inputs: ['a', 3] }), 400, 'ERR_BAD_REQUEST');
    expectError(await post('/v1/classify', { inputs: [] }), 400, 'ERR_BAD_REQUEST');
    expectError(await post('/v1/classify', { inputs: 'a', top_k: 0 }), 400, 'ERR_BAD_REQUEST');
    expectError(await post('/v1/classify', { inputs: 'a', topk: 1 }), 400, 'ERR_BAD_REQUEST');
    expectError(await post('/predict', { inputs: 'a', raw_scores: 'yes' }), 400, 'ERR_BAD_REQUEST');
    expectError(await post('/predict', { inputs: [['a', 'b']] }), 400, 'ERR_BAD_REQUEST'); // pairs: no pair input
    expectError(await post('/predict', ''), 400, 'ERR_BAD_REQUEST');
    expectError(await post('/v1/parse', { inputs: 'a', threshold: { nohead: 0.5 } }), 400, 'ERR_INVALID_OPTION');
  });

  it('404 for an unknown route or model, 413 for a large body, 415 for another media type, 422 for too many inputs', async () => {
    expectError(await app.inject('/nope'), 404, 'ERR_NOT_FOUND');
    expectError(await post('/v1/classify', { model: 'nope', inputs: 'a' }), 404, 'ERR_UNKNOWN_MODEL');
    expectError(await post('/v1/tag', { model: 'sentiment', inputs: 'a' }), 404, 'ERR_UNKNOWN_MODEL');
    expectError(await post('/v1/classify', { inputs: 'x'.repeat(5000) }), 413, 'ERR_BODY_TOO_LARGE');
    expectError(await post('/v1/classify', 'inputs=a', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    expectError(await post('/v1/classify', { inputs: Array(9).fill('a') }), 422, 'ERR_TOO_MANY_INPUTS');
    expectError(await post('/predict', { inputs: Array(9).fill('a') }), 422, 'ERR_TOO_MANY_INPUTS');
  });

  it('504 when a request cannot start before its deadline', async () => {
    const slow = buildServer({ models: { s: { dir: fixture('tiny-bert'), load: { maxBatchSize: 1 } } } }, 'silent');
    try {
      const res = await slow.inject({ method: 'POST', url: '/v1/classify', payload: { inputs: Array(32).fill(long), timeout_ms: 0.001 } });
      expectError(res, 504, 'ERR_DEADLINE_EXCEEDED');
    } finally {
      await slow.close();
    }
  });

  it('503 + Retry-After when the queue is full, then normal service', async () => {
    // The real default model, not the tiny fixture: its worker must not drain a batch-1 queue as fast as inject fills it.
    const clf: Classifier = await loadClassifier(defaultModel, { maxQueue: 4, maxBatchSize: 1 });
    const small = buildServer({ models: { s: clf } }, 'silent');
    try {
      const burst = await Promise.all(Array.from({ length: 64 }, () => small.inject({ method: 'POST', url: '/predict', payload: { inputs: long, truncate: true } })));
      const overloaded = burst.filter((r) => r.statusCode === 503);
      expect(overloaded.length).toBeGreaterThan(0);
      expect(burst.every((r) => r.statusCode === 200 || r.statusCode === 503)).toBe(true);
      for (const r of overloaded) {
        expect(r.headers['retry-after']).toBe('1');
        expect(r.json().code).toBe('ERR_OVERLOADED');
      }
      const after = await small.inject({ method: 'POST', url: '/predict', payload: { inputs: 'fine again' } });
      expect(after.statusCode).toBe(200);
      const metrics = (await small.inject('/metrics')).body;
      expect(metrics).toMatch(new RegExp(`textclf_http_requests_total\\{route="/predict",method="POST",status="503"\\} ${overloaded.length}\\b`));
    } finally {
      await small.close();
      await clf.dispose(); // handed in, so the caller's to free
    }
  });

  it('503 ERR_NOT_READY while models load in the background', async () => {
    let loaded!: () => void;
    const done = new Promise<void>((r) => (loaded = r));
    const lazy = buildServer({ models: { s: fixture('tiny-bert') }, loadInBackground: true, onLoaded: () => loaded() }, 'silent');
    try {
      await lazy.ready();
      const early = await lazy.inject('/ready');
      if (early.statusCode !== 200) expectError(early, 503, 'ERR_NOT_READY'); // loading may already be done
      await done;
      expect((await lazy.inject('/ready')).statusCode).toBe(200);
    } finally {
      await lazy.close();
    }
  });
});

describe('docs', () => {
  it('docs/errors.md lists every code the service answers with, and its status', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const http = doc.slice(doc.indexOf('## Over HTTP'));
    for (const [code, status] of Object.entries(STATUS)) {
      const row = http.split('\n').find((l) => l.startsWith('| ') && l.includes(`\`${code}\``));
      expect(row, code).toBeDefined();
      expect(row).toContain(`| ${status}`);
    }
  });
});

describe('/metrics', () => {
  it('is valid Prometheus text with the service metrics', async () => {
    await post('/v1/classify', { inputs: ['a', 'b'] });
    await post('/v1/classify', '{');
    const res = await app.inject('/metrics');
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(res.body);
    for (const name of ['textclf_http_requests_total', 'textclf_http_request_duration_seconds_bucket', 'textclf_queue_depth', 'textclf_batch_size_bucket',
      'textclf_tokens_per_request_bucket', 'textclf_model_info', 'textclf_queue_seconds_sum', 'nodejs_eventloop_lag_p99_seconds', 'process_resident_memory_bytes']) {
      expect(samples.some((s) => s.name === name), name).toBe(true);
    }
    const bad = samples.find((s) => s.name === 'textclf_http_requests_total' && s.labels.route === '/v1/classify' && s.labels.status === '400');
    expect(bad?.value).toBeGreaterThanOrEqual(1);
    expect(samples.filter((s) => s.name === 'textclf_model_info').map((s) => s.labels.model).sort()).toEqual(['joint', 'sentiment', 'tagger']);
  });
});

describe('fuzz', () => {
  it('2,000 random or malformed bodies and headers get only 4xx, and the server lives', async () => {
    const random = seeded(1234);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 2000; i++) {
      const res = await app.inject(malformed(random, i));
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode < 400 || res.statusCode >= 500) throw new Error(`request ${i} got ${res.statusCode}: ${res.body.slice(0, 200)}`);
      expect(res.json().code).toMatch(/^ERR_/);
    }
    expect(statuses.size).toBeGreaterThan(2);
    expect((await app.inject('/health')).statusCode).toBe(200);
    expect((await post('/predict', { inputs: 'still here' })).statusCode).toBe(200);
  });
});

/** A request that can never be valid: bad JSON, wrong types, unknown fields, bad options, odd headers. */
function malformed(random: () => number, i: number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const url = pick(['/predict', '/v1/classify', '/v1/parse', '/v1/tag']);
  const junk = () => Array.from({ length: Math.floor(random() * 40) }, () => String.fromCharCode(Math.floor(random() * 0x3000))).join('');
  const wrong = () => pick<unknown>([5, -1.5, true, null, {}, [], [1, 2], { a: 'b' }, [null], [['a', 'b', 'c']], 1e308]);
  const bodies = [
    () => `{"inputs": ${JSON.stringify(junk())}`, // cut short
    () => junk(),
    () => `{"inputs": "a",}`,
    () => JSON.stringify({ inputs: wrong() }),
    () => JSON.stringify({ text: 'a' }),
    () => JSON.stringify(wrong()),
    () => JSON.stringify({ inputs: 'a', [url === '/predict' ? 'truncate' : 'timeout_ms']: pick([-1, 'soon', null]) }),
    () => JSON.stringify({ inputs: 'a', model: pick(['', 'nope', 5]) }),
    () => JSON.stringify({ inputs: Array(9 + Math.floor(random() * 20)).fill('a') }),
    () => JSON.stringify({ inputs: 'x'.repeat(4097) }),
    () => '['.repeat(2000) + ']'.repeat(2000),
    () => '',
  ];
  const contentType = pick(['application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/xml', junk(), 'multipart/form-data; boundary=x']);
  const headers: Record<string, string> = { 'content-type': contentType, 'x-fuzz': String(i) };
  if (random() < 0.2) headers['accept'] = junk().replace(/[^\x20-\x7e]/g, '?');
  if (random() < 0.1) headers['content-encoding'] = pick(['gzip', 'br', 'identity, nonsense']);
  return { method: 'POST' as const, url, payload: pick(bodies)(), headers };
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Text exposition format 0.0.4: HELP/TYPE comments, then `name{label="value",...} number` lines. */
function parsePrometheus(text: string): Sample[] {
  const typed = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = line.match(/^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/);
    if (comment) {
      if (comment[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(comment[3]);
        typed.add(comment[2]);
      }
      continue;
    }
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|NaN|\+Inf|-Inf))$/);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    expect(typed.has(m[1]) || typed.has(family), `${m[1]} has a # TYPE line`).toBe(true);
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}
