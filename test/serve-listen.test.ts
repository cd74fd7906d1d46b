// serve/ over real loopback sockets (127.0.0.1, port 0): a client that disconnects aborts its queued texts,
// garbage HTTP gets a 4xx, and SIGTERM with requests in flight drains them and exits 0 (a child process).
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClassifier, type Classifier } from '../lib/index.js';
import { buildServer } from '../serve/server.js';
import { fixture, root } from './helpers.js';

const long = 'word '.repeat(100);

function request(base: string, route: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('over loopback', () => {
  let clf: Classifier;
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    clf = await loadClassifier(fixture('tiny-bert'), { maxBatchSize: 1 });
    app = buildServer({ models: { s: clf }, maxInputs: 64 }, 'silent');
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await clf.dispose();
  });

  it('a client that disconnects aborts its queued work', async () => {
    const before = clf.engine.stats().requests;
    // Texts handed to the engine so far: run, or still pending (queued, running, or not yet delivered).
    const submitted = () => clf.engine.stats().requests + clf.engine.stats().pending - before;
    const fillers = Array.from({ length: 4 }, () => request(base, '/v1/classify', { inputs: Array(64).fill(long) }));
    await until(() => submitted() >= 4 * 64, 10_000);
    const victim = http.request(`${base}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    victim.on('error', () => {});
    victim.end(JSON.stringify({ inputs: Array(64).fill('the victim text') }));
    await until(() => submitted() >= 5 * 64, 10_000); // its texts are queued behind the fillers'
    victim.destroy();
    const results = await Promise.all(fillers);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await until(() => clf.engine.stats().queued === 0 && clf.engine.stats().running === 0, 10_000);
    const ranOfVictim = clf.engine.stats().requests - before - 4 * 64;
    expect(ranOfVictim).toBeLessThan(64);
    expect((await request(base, '/predict', { inputs: 'still serving' })).status).toBe(200);
  });

  it('garbage on the socket gets a 4xx and the server lives', async () => {
    const garbage = ['GARBAGE\r\n\r\n', 'POST /predict HTTP/1.1\r\nContent-Length: -5\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n',
      'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n{{{',
      `POST /predict HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`, '\x00\x01\x02\r\n\r\n'];
    const { port } = new URL(base);
    for (const bytes of garbage) {
      const answer = await new Promise<string>((resolve) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(bytes));
        let text = '';
        socket.setEncoding('latin1').on('data', (c) => (text += c)).on('close', () => resolve(text)).on('error', () => resolve(text));
      });
      expect(answer, JSON.stringify(bytes.slice(0, 40))).toMatch(/^HTTP\/1\.1 4\d\d /);
    }
    expect((await request(base, '/predict', { inputs: 'still serving' })).status).toBe(200);
  });
});

describe('SIGTERM', () => {
  it('drains the requests in flight, disposes the engines and exits 0', async () => {
    const child = spawn(path.join(root, 'node_modules/.bin/vite-node'),
      // The real default model, at batch 1: its 6 x 32 long texts take seconds, so SIGTERM surely finds work in flight.
      ['serve/cli.ts', '--model', path.join(root, 'models/sentiment-minilm-l6'), '--port', '0', '--max-batch-size', '1', '--grace-ms', '20000', '--log-level', 'warn'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(() => /listening on (http:\/\/\S+)/.test(stdout), 60_000);
    const base = stdout.match(/listening on (http:\/\/\S+)/)![1];
    let answered = 0;
    const inFlight = Array.from({ length: 6 }, () => request(base, '/v1/classify', { inputs: Array(32).fill(long) }).finally(() => answered++));
    // Every request reached the server: in flight (less the /metrics request asking) or already answered.
    const inFlightNow = async () => Number((await fetch(`${base}/metrics`).then((r) => r.text())).match(/^textclf_http_requests_in_flight (\d+)/m)?.[1]) - 1;
    for (let t = Date.now(); (await inFlightNow()) + answered < 6; ) if (Date.now() - t > 20_000) throw new Error('requests never reached the server');
    child.kill('SIGTERM');
    expect(answered).toBeLessThan(6); // the signal came with work in flight
    const results = await Promise.all(inFlight);
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    for (const r of results) expect(JSON.parse(r.body)).toHaveLength(32);
    expect(await exited).toBe(0);
    expect(stderr).toContain('drained; engines disposed');
    await expect(request(base, '/predict', { inputs: 'late' })).rejects.toThrow(/ECONNREFUSED/);
  });
});
