// Tokenizing on worker threads (the `tokenizerThreads` load option), so the JS thread only hands texts over and
// takes ids back: on a GPU the JS thread, mostly the tokenizer, was the ceiling. Texts submitted in the same tick
// travel in one message per thread, and the ids come back in one transferred buffer.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EngineError, InputTooLongError, ModelLoadError } from './errors.js';

export interface PoolSetup {
  dir: string;
  modelFile?: string;
  maxTokens?: number;
}

export interface PoolRequest {
  texts: string[];
  truncate: Uint8Array;
}

export interface PoolReply {
  /** Every text's ids end to end; text i ends at ends[i]. */
  ids: Int32Array;
  ends: Uint32Array;
  truncated: Uint8Array;
  errors: { index: number; name: string; message: string; tokens?: number; maxTokens?: number }[];
}

export interface PooledEncoding {
  ids: Int32Array;
  truncated: boolean;
}

interface Waiter {
  resolve: (e: PooledEncoding) => void;
  reject: (err: Error) => void;
}

/** The compiled worker: beside this file in dist/lib, or dist/lib from the sources (tests run lib/*.ts). */
function workerFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const file = [path.join(here, 'tokenize-worker.js'), path.resolve(here, '../dist/lib/tokenize-worker.js')].find((f) => existsSync(f));
  if (!file) throw new ModelLoadError('tokenizerThreads needs the compiled dist/lib/tokenize-worker.js: run `npm run build`');
  return file;
}

export class TokenizerPool {
  private readonly workers: { worker: Worker; waiting: Waiter[][] }[] = [];
  private outbox: { text: string; truncate: boolean; waiter: Waiter }[] = [];
  private scheduled = false;
  private next = 0;
  private pending = 0;
  private closed = false;

  constructor(setup: PoolSetup, threads: number) {
    const file = workerFile();
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(file, { workerData: setup });
      const entry = { worker, waiting: [] as Waiter[][] };
      worker.on('message', (reply: PoolReply) => this.settle(entry.waiting.shift()!, reply));
      worker.on('error', (err) => this.fail(entry, err));
      worker.unref(); // only pending texts keep the process alive (see track)
      this.workers.push(entry);
    }
  }

  encode(text: string, truncate: boolean): Promise<PooledEncoding> {
    if (this.closed) return Promise.reject(new EngineError('ERR_DISPOSED', 'the tokenizer pool is closed'));
    return new Promise((resolve, reject) => {
      this.outbox.push({ text, truncate, waiter: { resolve, reject } });
      this.track(1);
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  /** One message per thread with its share of this tick's texts. */
  private flush(): void {
    this.scheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    const share = Math.ceil(batch.length / this.workers.length);
    for (let start = 0; start < batch.length; start += share) {
      const part = batch.slice(start, start + share);
      const entry = this.workers[this.next++ % this.workers.length];
      entry.waiting.push(part.map((p) => p.waiter));
      const request: PoolRequest = { texts: part.map((p) => p.text), truncate: Uint8Array.from(part, (p) => (p.truncate ? 1 : 0)) };
      entry.worker.postMessage(request);
    }
  }

  private settle(waiters: Waiter[], reply: PoolReply): void {
    const errors = new Map(reply.errors.map((e) => [e.index, e]));
    waiters.forEach((w, i) => {
      const e = errors.get(i);
      if (e) {
        w.reject(e.name === 'InputTooLongError' ? new InputTooLongError(e.message, e.tokens, e.maxTokens) : new EngineError('ERR_INVALID_INPUT', e.message));
      } else {
        w.resolve({ ids: reply.ids.subarray(i ? reply.ends[i - 1] : 0, reply.ends[i]), truncated: reply.truncated[i] === 1 });
      }
    });
    this.track(-waiters.length);
  }

  private fail(entry: { waiting: Waiter[][] }, err: Error): void {
    for (const waiters of entry.waiting.splice(0)) {
      for (const w of waiters) w.reject(new ModelLoadError(`tokenizer thread failed: ${err.message}`, { cause: err }));
      this.track(-waiters.length);
    }
  }

  private track(delta: number): void {
    const was = this.pending;
    this.pending += delta;
    if (was === 0 && this.pending > 0) for (const w of this.workers) w.worker.ref();
    if (was > 0 && this.pending === 0) for (const w of this.workers) w.worker.unref();
  }
}
