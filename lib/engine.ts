// A typed handle on one native engine (session + batcher): AbortSignal and deadline handling live here.
import { binding, type IoInfo, type NativeEngine, type NativeEngineOptions, type NativeRunOutput } from './binding.js';
import { preloadCudaLibraries } from './cuda-libs.js';
import { AbortError, DeadlineExceededError, DisposedError, invalidOption } from './errors.js';

export type ExecutionProvider = 'cpu' | 'cuda' | 'tensorrt';

export interface EngineOptions {
  /** 'cpu' (default), 'cuda' or 'tensorrt'. GPU providers throw ProviderUnavailableError where absent. */
  executionProvider?: ExecutionProvider;
  deviceId?: number;
  /** ONNX Runtime intra-op threads; 0 or unset: one per physical core. */
  intraOpThreads?: number;
  interOpThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Let ONNX Runtime's threads spin between ops (lower latency, busier cores). Default true. The spinning outlasts a
   * run, so where several engines share a small machine set false: a classifier called in turn with another engine
   * took 1.3x its lone p50 and 1.8x its p90 with spinning, 1.1x without (2 cores, README "Performance", 2026-12-07).
   */
  allowSpinning?: boolean;
  /** Most requests in one model run. Default 32 on CPU, 128 on cuda/tensorrt (see GPU_BATCH_DEFAULTS). */
  maxBatchSize?: number;
  /** Most padded tokens (longest x count) in one model run. Default 16384 on CPU, 65536 on cuda/tensorrt. */
  maxBatchTokens?: number;
  /** How long the first request of a batch may wait for others. Default 0: never wait. */
  maxWaitMs?: number;
  /** Queued requests beyond this are rejected with OverloadedError. Default 4096. */
  maxQueue?: number;
  /** Sort each round by length so short texts are not padded to long ones. Default true. */
  lengthBucketing?: boolean;
  /**
   * Worker threads, each running its own batch, so several batches are in flight. Default 1. With more than one
   * and no `intraOpThreads`, each run gets cores / workers threads, except on a CPU a batch that starts alone (no
   * other batch running, nothing queued), which runs on a second session on every core: a lone request is as fast
   * as with one worker, at the memory of a second session (see `stats().loneBatches`). With `allowSpinning: false`
   * it kept the one-worker batch-1 p50 and p99 and served 1.11x-1.17x the requests/s at 64 callers (README, 2026-12-06).
   */
  workers?: number;
  /**
   * Microseconds an idle worker polls the queue before it sleeps, so a request arriving meanwhile skips the thread
   * wake-up. Default 0 (see bench/README.md, the hop study, for what it was measured to pay).
   */
  workerSpinUs?: number;
  /**
   * When a request finds the engine idle, it waits for the end of the current event-loop turn (setImmediate); if it
   * is still alone then, it runs on the JS thread itself (as onnxruntime-node's session.run does), skipping the
   * worker's two thread hops; requests that arrived in the same turn, or while a batch runs, go to the batcher as
   * before. Lowers one caller's latency; blocks the event loop for that one run. Default false.
   */
  inlineWhenIdle?: boolean;
  /**
   * Folders holding CUDA/cuDNN/TensorRT libraries (libcudart.so.13, ...) to load before a GPU provider, besides
   * TEXTCLF_CUDA_LIB_DIRS and the nvidia-* pip wheels `npm run setup-gpu` found. Not needed on LD_LIBRARY_PATH.
   */
  cudaLibraryDirs?: string[];
}

/**
 * GPU batch defaults. Measured on an H200 (the H200 reference run of 2026-11-30, batch-size sweep, 256 callers):
 * maxBatchSize 32 left BERT-base fp16 at 6,852 req/s and 128 reached 18,253 (MiniLM-L6 fp16: 14,871 -> 18,047),
 * with the lowest p99; beyond 128 the JS thread, not the device, is the limit. 65,536 tokens lets 128 rows of up to
 * 512 tokens run together, so the row cap binds, not the token budget. CPU defaults stay 32 / 16,384.
 */
export const GPU_BATCH_DEFAULTS = { maxBatchSize: 128, maxBatchTokens: 65536 } as const;

/** The options with the batch defaults of their provider filled in where unset (CPU: the native defaults). */
export function withProviderDefaults<T extends NativeEngineOptions>(options: T): T {
  if (options.executionProvider !== 'cuda' && options.executionProvider !== 'tensorrt') return options;
  return {
    ...options,
    maxBatchSize: options.maxBatchSize ?? GPU_BATCH_DEFAULTS.maxBatchSize,
    maxBatchTokens: options.maxBatchTokens ?? GPU_BATCH_DEFAULTS.maxBatchTokens,
  };
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Drop the request with DeadlineExceededError if it has not started running after this many ms. */
  timeoutMs?: number;
}

export type RunOutput = NativeRunOutput;

/** Where a request's time went; for texts split over several runs, the slowest run's figures. */
export interface Timing {
  queueMs: number;
  inferMs: number;
  batchSize: number;
}

export function timingOf(outputs: readonly RunOutput[]): Timing {
  if (outputs.length === 1) {
    const { queueMs, inferMs, batchSize } = outputs[0];
    return { queueMs, inferMs, batchSize };
  }
  return {
    queueMs: Math.max(...outputs.map((o) => o.queueMs)),
    inferMs: Math.max(...outputs.map((o) => o.inferMs)),
    batchSize: Math.max(...outputs.map((o) => o.batchSize)),
  };
}

let nextId = 1;

/** A request that found the engine idle, waiting for the end of the event-loop turn (inlineWhenIdle). */
interface Parked {
  ids: Int32Array;
  typeIds: Int32Array | null;
  options: RunOptions;
  parkedAt: number;
  resolve: (out: RunOutput) => void;
  reject: (error: unknown) => void;
}

export class Engine {
  private readonly native: NativeEngine;
  private disposed = false;
  private readonly inlineWhenIdle: boolean;
  // Requests of this event-loop turn that found the engine idle (null: none, no flush scheduled).
  private parked: Parked[] | null = null;
  // One abort listener per signal, however many requests share it (an array call passes one signal to all).
  private readonly bySignal = new WeakMap<AbortSignal, { ids: Set<number>; onAbort: () => void }>();
  readonly inputs: IoInfo[];
  readonly outputs: IoInfo[];
  readonly provider: string;
  readonly maxQueue: number;

  /** Loads an ONNX file. Throws ModelLoadError, ProviderUnavailableError or InvalidOptionError. */
  constructor(modelPath: string, options: EngineOptions & { padId?: number; maxTokens?: number } = {}) {
    const { cudaLibraryDirs, inlineWhenIdle = false, ...rest } = options;
    if (typeof inlineWhenIdle !== 'boolean') throw invalidOption('options.inlineWhenIdle', 'a boolean', inlineWhenIdle);
    this.inlineWhenIdle = inlineWhenIdle;
    if (cudaLibraryDirs !== undefined && !(Array.isArray(cudaLibraryDirs) && cudaLibraryDirs.every((d) => typeof d === 'string'))) {
      throw invalidOption('options.cudaLibraryDirs', 'an array of folder paths', cudaLibraryDirs);
    }
    if (rest.executionProvider === 'cuda' || rest.executionProvider === 'tensorrt') preloadCudaLibraries(cudaLibraryDirs);
    this.native = new binding.Engine(modelPath, withProviderDefaults(rest));
    const meta = this.native.metadata();
    this.inputs = meta.inputs;
    this.outputs = meta.outputs;
    this.provider = meta.provider;
    this.maxQueue = options.maxQueue ?? 4096;
  }

  /** Whether the model reads token_type_ids (BERT does; DistilBERT and MPNet do not). */
  get wantsTypeIds(): boolean {
    return this.inputs.some((i) => i.name === 'token_type_ids');
  }

  /** Queues one tokenized text; never throws, always settles. */
  run(ids: Int32Array, typeIds: Int32Array | null, options: RunOptions = {}): Promise<RunOutput> {
    const { signal, timeoutMs = 0 } = options;
    if (this.disposed) return Promise.reject(new DisposedError('engine is disposed; no new requests are accepted'));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
      return Promise.reject(invalidOption('options.timeoutMs', 'a number >= 0', timeoutMs));
    }
    if (this.inlineWhenIdle && (this.parked || this.native.idle())) return this.park(ids, typeIds, options);
    return this.submit(ids, typeIds, signal, timeoutMs);
  }

  private submit(ids: Int32Array, typeIds: Int32Array | null, signal: AbortSignal | undefined, timeoutMs: number): Promise<RunOutput> {
    const id = nextId++;
    const promise = this.native.run(id, ids, typeIds, timeoutMs);
    if (!signal) return promise;
    const watch = this.watch(signal);
    watch.ids.add(id);
    const settled = () => {
      watch.ids.delete(id);
      if (watch.ids.size > 0) return;
      signal.removeEventListener('abort', watch.onAbort);
      this.bySignal.delete(signal);
    };
    promise.then(settled, settled);
    return promise;
  }

  private park(ids: Int32Array, typeIds: Int32Array | null, options: RunOptions): Promise<RunOutput> {
    return new Promise((resolve, reject) => {
      if (!this.parked) {
        this.parked = [];
        setImmediate(() => this.flushParked());
      }
      this.parked.push({ ids, typeIds, options, parkedAt: performance.now(), resolve, reject });
    });
  }

  /** Alone and still idle: run now, on this thread. Otherwise the turn's requests go to the batcher together. */
  private flushParked(): void {
    const parked = this.parked!;
    this.parked = null;
    if (parked.length === 1 && !this.disposed && this.native.idle()) {
      const { ids, typeIds, options, parkedAt, resolve, reject } = parked[0];
      const { signal, timeoutMs = 0 } = options;
      const waited = performance.now() - parkedAt;
      if (signal?.aborted) return reject(abortError(signal));
      if (timeoutMs > 0 && waited > timeoutMs) {
        return reject(new DeadlineExceededError(`deadline exceeded after ${waited.toFixed(3)} ms in queue`));
      }
      try {
        const out = this.native.runNow(ids, typeIds);
        out.queueMs = waited;
        resolve(out);
      } catch (error) {
        reject(error);
      }
      return;
    }
    // Paused, or an idle worker may take the first request before the next is queued and run each alone.
    this.native.pauseRounds();
    try {
      for (const p of parked) {
        if (this.disposed) p.reject(new DisposedError('engine was disposed before this request ran'));
        else if (p.options.signal?.aborted) p.reject(abortError(p.options.signal));
        else this.submit(p.ids, p.typeIds, p.options.signal, p.options.timeoutMs ?? 0).then(p.resolve, p.reject);
      }
    } finally {
      this.native.resumeRounds();
    }
  }

  private watch(signal: AbortSignal) {
    let watch = this.bySignal.get(signal);
    if (!watch) {
      const ids = new Set<number>();
      const onAbort = () => {
        for (const id of [...ids]) this.native.cancel(id, abortError(signal));
      };
      watch = { ids, onAbort };
      this.bySignal.set(signal, watch);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    return watch;
  }

  /** Queue depth and requests running now; `peakRunning` is the most ever running at once (above `maxBatchSize`
   * only with several workers); `pending` awaits settling; `batches` and `requests` count since creation, and
   * `loneBatches` the batches that started with no other batch running and nothing queued. */
  stats() {
    return this.native.stats();
  }

  /** Rejects queued work with DisposedError, lets the batch in flight finish, then frees the session. */
  dispose(): Promise<void> {
    this.disposed = true;
    return this.native.dispose();
  }
}

function abortError(signal: AbortSignal): AbortError {
  return new AbortError('the request was aborted', { cause: signal.reason });
}

export function availableProviders(): string[] {
  return binding.availableProviders();
}
