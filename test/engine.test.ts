// The batcher's contract: answers independent of batching, bounded queue, abort, deadline, dispose.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, loadClassifier } from '../lib/index.js';
import { fixture, maxAbsDiff, root } from './helpers.js';

const model = `${fixture('tiny-bert')}/model.onnx`;
const ids = (n: number) => Int32Array.from({ length: n }, (_, i) => (i === 0 ? 2 : i === n - 1 ? 3 : 100 + ((i * 37) % 1800)));

describe('dynamic batching', () => {
  it.each([1, 2])('2,000 concurrent classify calls settle with the same answers as one-by-one calls (workers: %i)', async (workers) => {
    const texts = Array.from({ length: 2000 }, (_, i) => `request ${i} ${'more words '.repeat(i % 13)}`);
    const serial = await loadClassifier(fixture('tiny-bert'), { maxBatchSize: 1 });
    const expected = [];
    for (const t of texts.slice(0, 200)) expected.push(await serial.classify(t));
    await serial.dispose();

    const clf = await loadClassifier(fixture('tiny-bert'), { maxBatchSize: 64, workers });
    const results = await Promise.all(texts.map((t) => clf.classify(t)));
    expect(Math.max(...results.map((r) => r.timing.batchSize))).toBeGreaterThan(1);
    for (let i = 0; i < expected.length; i++) {
      expect(results[i].label).toBe(expected[i].label);
      expect(maxAbsDiff(results[i].scores.map((s) => s.score), expected[i].scores.map((s) => s.score))).toBeLessThan(1e-5);
    }
    expect(results.every((r) => r.scores.length === 2)).toBe(true);
    expect(clf.engine.stats()).toMatchObject({ queued: 0, pending: 0, requests: 2000 });
    await clf.dispose();
  });

  it('groups requests by length so short ones are not padded to long ones', async () => {
    const engine = new Engine(model, { maxBatchSize: 64, maxWaitMs: 50 });
    const lengths = [5, 6, 5, 120, 7, 118, 6, 125];
    const outs = await Promise.all(lengths.map((n) => engine.run(ids(n), null)));
    const sizeOf = (n: number) => outs[lengths.indexOf(n)].batchSize;
    expect(sizeOf(5)).toBe(5); // the five short ones ran together
    expect(sizeOf(120)).toBe(3); // the three long ones ran together
    expect(engine.stats().batches).toBe(2);
    await engine.dispose();
  });

  it('with several workers, several batches are in flight at once', async () => {
    const engine = new Engine(model, { maxBatchSize: 4, workers: 2 });
    await Promise.all(Array.from({ length: 64 }, () => engine.run(ids(120), null)));
    // Counted natively when a round starts: polling `running` from JS missed the overlap on a loaded machine.
    expect(engine.stats().peakRunning).toBeGreaterThan(4); // more requests running than one batch can hold
    await engine.dispose();
  });

  it('a batch that starts alone runs on every core (a second session), a crowd on one thread per worker; same answers', async () => {
    const engine = new Engine(model, { maxBatchSize: 4, workers: 2 });
    const alone = [];
    for (let i = 0; i < 8; i++) alone.push(await engine.run(ids(20 + i), null));
    expect(engine.stats()).toMatchObject({ batches: 8, loneBatches: 8 });
    const crowd = await Promise.all(Array.from({ length: 64 }, (_, i) => engine.run(ids(20 + (i % 8)), null)));
    const { batches, loneBatches } = engine.stats();
    expect(batches - loneBatches).toBeGreaterThan(8); // most of the crowd's batches started beside another
    for (let i = 0; i < 64; i++) expect(maxAbsDiff(crowd[i].outputs.logits.data, alone[i % 8].outputs.logits.data)).toBeLessThan(1e-6);
    await engine.dispose();
  });
});

describe('workerSpinUs', () => {
  it('a spinning worker gives the same answers, disposes promptly, and the option is validated', async () => {
    const still = new Engine(model, { maxBatchSize: 1 });
    const spinning = new Engine(model, { maxBatchSize: 1, workerSpinUs: 500 });
    try {
      for (const n of [3, 9, 17]) {
        const [a, b] = await Promise.all([still.run(ids(n), null), spinning.run(ids(n), null)]);
        expect(maxAbsDiff(a.outputs.logits.data, b.outputs.logits.data)).toBe(0);
      }
    } finally {
      await Promise.all([still.dispose(), spinning.dispose()]);
    }
    expect(() => new Engine(model, { workerSpinUs: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/workerSpinUs/) }));
  });
});

describe('inlineWhenIdle', () => {
  it('a lone request runs on the JS thread with the batched answer; requests of one turn still batch together', async () => {
    const batched = new Engine(model, { maxBatchSize: 1 });
    const inline = new Engine(model, { inlineWhenIdle: true, maxBatchSize: 64 });
    try {
      for (const n of [3, 9, 17]) {
        const a = await batched.run(ids(n), null);
        const b = await inline.run(ids(n), null);
        expect(b.batchSize).toBe(1);
        expect(maxAbsDiff(a.outputs.logits.data, b.outputs.logits.data)).toBe(0);
      }
      expect(inline.stats().requests).toBe(0); // none of them went through the batcher
      // Many turns: an idle worker once raced the flush and took each request alone (CI, 2026-12-06).
      for (let turn = 1; turn <= 50; turn++) {
        const together = await Promise.all([5, 6, 7, 8].map((n) => inline.run(ids(n), null)));
        expect(together.map((o) => o.batchSize)).toEqual([4, 4, 4, 4]);
        expect(inline.stats().requests).toBe(4 * turn);
      }
    } finally {
      await Promise.all([batched.dispose(), inline.dispose()]);
    }
  });

  it('typed errors, abort, deadline and dispose before the turn ends', async () => {
    expect(() => new Engine(model, { inlineWhenIdle: 'yes' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    const engine = new Engine(model, { inlineWhenIdle: true, maxTokens: 64 });
    await expect(engine.run(new Int32Array(0), null)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    await expect(engine.run(ids(65), null)).rejects.toMatchObject({ code: 'ERR_INPUT_TOO_LONG' });
    const controller = new AbortController();
    const aborted = engine.run(ids(5), null, { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    const late = engine.run(ids(5), null, { timeoutMs: 1 });
    const until = performance.now() + 5;
    while (performance.now() < until); // the turn outlasts the deadline
    await expect(late).rejects.toMatchObject({ code: 'ERR_DEADLINE_EXCEEDED' });
    expect((await engine.run(ids(5), null)).batchSize).toBe(1); // still serving
    const orphan = expect(engine.run(ids(5), null)).rejects.toMatchObject({ code: 'ERR_DISPOSED' });
    await engine.dispose();
    await orphan;
  });
});

describe('backpressure, abort, deadline', () => {
  it('rejects with OverloadedError when the queue is full, then keeps serving', async () => {
    // maxWaitMs holds the first batch open, so the queue fills deterministically.
    const engine = new Engine(model, { maxQueue: 4, maxBatchSize: 64, maxWaitMs: 200 });
    const settled = await Promise.allSettled(Array.from({ length: 10 }, () => engine.run(ids(8), null)));
    const rejected = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(4);
    expect(rejected).toHaveLength(6);
    for (const r of rejected) expect(r.reason).toMatchObject({ name: 'OverloadedError', code: 'ERR_OVERLOADED' });
    await expect(engine.run(ids(8), null)).resolves.toHaveProperty('outputs.logits');
    await engine.dispose();
  });

  it('an already-aborted signal rejects before anything is queued', async () => {
    const engine = new Engine(model);
    const reason = new Error('user left');
    await expect(engine.run(ids(8), null, { signal: AbortSignal.abort(reason) })).rejects.toMatchObject({ code: 'ERR_ABORTED', cause: reason });
    expect(engine.stats()).toMatchObject({ queued: 0, pending: 0, requests: 0 });
    await engine.dispose();
  });

  it('aborting a queued request drops it unrun and rejects at once with AbortError', async () => {
    // A long batch wait, so "at once" (well before the wait ends) holds on a loaded machine too.
    const engine = new Engine(model, { maxWaitMs: 3000, maxBatchSize: 64 });
    const controller = new AbortController();
    const aborted = engine.run(ids(8), null, { signal: controller.signal });
    const kept = engine.run(ids(8), null);
    setTimeout(() => controller.abort('changed my mind'), 10);
    const started = performance.now();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError', cause: 'changed my mind' });
    expect(performance.now() - started).toBeLessThan(1500);
    expect((await kept).batchSize).toBe(1);
    expect(engine.stats()).toMatchObject({ requests: 1, pending: 0 });
    await engine.dispose();
  });

  it('one signal shared by many requests, aborted while their batch runs: one listener, every promise settles, engine keeps serving', async () => {
    const engine = new Engine(model, { maxBatchSize: 64 });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    for (let round = 0; round < 20; round++) {
      const controller = new AbortController();
      const all = Promise.allSettled(Array.from({ length: 64 }, () => engine.run(ids(120), null, { signal: controller.signal })));
      await new Promise((r) => setImmediate(r));
      controller.abort();
      for (const s of await all) if (s.status === 'rejected') expect(s.reason).toMatchObject({ code: 'ERR_ABORTED' });
      // The cancelled batch's results still arrive from the worker while nothing is pending: dropped harmlessly.
      while (engine.stats().running > 0) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => setTimeout(r, 5));
      await expect(engine.run(ids(8), null)).resolves.toHaveProperty('outputs.logits');
    }
    process.off('warning', onWarning);
    // DEP0168: an exception escaped a Node-API callback (e.g. a reference released twice).
    expect(warnings.map((w) => `${w.name} ${(w as { code?: string }).code ?? ''}`)).toEqual([]);
    expect(engine.stats().pending).toBe(0);
    await engine.dispose();
  });

  it('a request whose deadline passes while queued is dropped with DeadlineExceededError', async () => {
    const engine = new Engine(model, { maxWaitMs: 100, maxBatchSize: 64 });
    const late = engine.run(ids(8), null, { timeoutMs: 5 });
    const patient = engine.run(ids(8), null, { timeoutMs: 10_000 });
    await expect(late).rejects.toMatchObject({ name: 'DeadlineExceededError', code: 'ERR_DEADLINE_EXCEEDED' });
    expect((await patient).batchSize).toBe(1);
    expect(engine.stats().requests).toBe(1);
    await engine.dispose();
  });
});

/** Runs `body` (TypeScript, with `lib` imported as the package) as its own process. */
function runScript(body: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engines-at-exit-'));
  const script = path.join(dir, 'exit.ts');
  writeFileSync(script, `import * as lib from ${JSON.stringify(path.join(root, 'lib/index.ts'))};\n${body}`);
  const r = spawnSync(path.join(root, 'node_modules/.bin/vite-node'), [script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  return r;
}

describe('dispose', () => {
  it('a process that exits with several engines never disposed exits cleanly (no abort at teardown)', () => {
    const r = runScript(`const a = await lib.loadClassifier(${JSON.stringify(fixture('tiny-bert'))});
const b = await lib.loadClassifier(${JSON.stringify(fixture('tiny-bert'))}, { workers: 2 });
await Promise.all([a.classify('one'), b.classify('two')]);
console.log('answered');
`);
    expect(r.stdout).toContain('answered');
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null }); // was SIGABRT with two engines
  });

  it('process.exit() while batches run lets them finish before ONNX Runtime unloads (no error from a Run cut short)', () => {
    // The committed static int8 model: its long batches are what ONNX Runtime's static destructors used to cut short.
    const r = runScript(`const model = ${JSON.stringify(path.join(root, 'models/sentiment-minilm-l6/model.onnx'))};
const ids = Int32Array.from({ length: 120 }, (_, i) => (i === 0 ? 101 : i === 119 ? 102 : 2000 + i));
const engines = [new lib.Engine(model, { maxBatchSize: 8 }), new lib.Engine(model, { maxBatchSize: 8, workers: 2 })];
for (const e of engines) for (let i = 0; i < 256; i++) e.run(ids, null).catch(() => {});
while (engines.every((e) => e.stats().running === 0)) await new Promise((r) => setImmediate(r));
console.log('exiting mid-batch');
process.exit(0);
`);
    expect(r.stdout).toContain('exiting mid-batch');
    expect(r.stderr).not.toMatch(/onnxruntime|Non-zero status/);
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null });
  });

  it.each([1, 3])('settles every promise in flight (result or DisposedError) and refuses new work (workers: %i)', async (workers) => {
    const engine = new Engine(model, { maxBatchSize: 8, workers });
    const inflight = Array.from({ length: 200 }, (_, i) => engine.run(ids(5 + (i % 50)), null));
    const disposed = engine.dispose();
    const settled = await Promise.allSettled(inflight);
    await disposed;
    const rejected = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
    for (const r of rejected) expect(r.reason).toMatchObject({ name: 'DisposedError', code: 'ERR_DISPOSED' });
    expect(rejected.length).toBeGreaterThan(0); // the queue was not empty when dispose came
    await expect(engine.run(ids(5), null)).rejects.toMatchObject({ code: 'ERR_DISPOSED' });
    await expect(engine.dispose()).resolves.toBeUndefined();
  });

  it('dispose while a batch runs lets that batch finish', async () => {
    const engine = new Engine(model, { maxBatchSize: 16, maxWaitMs: 0 });
    const all = Promise.allSettled(Array.from({ length: 64 }, () => engine.run(ids(120), null)));
    let running = 0;
    for (let spins = 0; running === 0 && spins < 100_000; spins++) {
      running = engine.stats().running;
      if (running === 0) await new Promise((r) => setImmediate(r));
    }
    expect(running).toBeGreaterThan(0);
    await engine.dispose();
    const settled = await all;
    const fulfilled = settled.filter((s) => s.status === 'fulfilled');
    expect(fulfilled.length).toBeGreaterThanOrEqual(running); // the round in flight finished
    for (const s of settled) if (s.status === 'rejected') expect(s.reason).toMatchObject({ code: 'ERR_DISPOSED' });
  });
});
