// The only place that loads the native addon; it types what the addon exports.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { errorFromCode } from './errors.js';

export interface IoInfo {
  name: string;
  type: string;
  /** -1 where the dimension is dynamic. */
  shape: number[];
}

export interface OutputTensor {
  data: Float32Array;
  /** Batch dimension removed; per-token outputs are cut to the request's own tokens. */
  dims: number[];
}

export interface NativeRunOutput {
  outputs: Record<string, OutputTensor>;
  queueMs: number;
  inferMs: number;
  batchSize: number;
}

export interface NativeEngineOptions {
  executionProvider?: 'cpu' | 'cuda' | 'tensorrt';
  deviceId?: number;
  intraOpThreads?: number;
  interOpThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  allowSpinning?: boolean;
  padId?: number;
  maxBatchSize?: number;
  maxBatchTokens?: number;
  maxWaitMs?: number;
  maxQueue?: number;
  maxTokens?: number;
  lengthBucketing?: boolean;
  workers?: number;
  workerSpinUs?: number;
}

export interface NativeEngine {
  metadata(): { inputs: IoInfo[]; outputs: IoInfo[]; provider: string };
  run(id: number, ids: Int32Array, typeIds: Int32Array | null, timeoutMs: number): Promise<NativeRunOutput>;
  cancel(id: number, error: Error): boolean;
  stats(): { queued: number; running: number; pending: number; batches: number; requests: number };
  dispose(): Promise<void>;
}

/** One library `preloadLibraries` tried: loaded, or the loader's complaint. */
export interface PreloadOutcome {
  path: string;
  ok: boolean;
  error?: string;
}

interface Binding {
  Engine: new (modelPath: string, options: NativeEngineOptions) => NativeEngine;
  setErrorFactory(factory: (code: string, message: string) => Error): void;
  availableProviders(): string[];
  buildInfo(): { cuda: boolean; tensorrt: boolean; ortApiVersion: number; ortVersion: string };
  /** dlopen(path, RTLD_NOW | RTLD_GLOBAL) each absolute path in order; never unloaded. */
  preloadLibraries(paths: string[]): PreloadOutcome[];
  /** Appends a GPU provider to throw-away session options: loads its library, creates no session. */
  probeProvider(provider: 'cuda' | 'tensorrt', deviceId: number): { ok: boolean; error?: string };
}

function findAddon(): string {
  // Same relative layout from lib/ (tests run the sources) and from dist/lib/ (the compiled package).
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', '../..']) {
    const candidate = path.resolve(here, up, 'build/Release/engine.node');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('engine.node is not built: run `npm install` (or `npm run build`) in the package folder');
}

/**
 * The folder holding the engine's libonnxruntime.so.1 (today beside engine.node, found there through its RPATH
 * $ORIGIN). ONNX Runtime looks for its provider libraries (libonnxruntime_providers_*.so) in this same folder, so
 * `npm run setup-gpu` puts them here. The one place that knows where the library lives.
 */
export function ortLibraryDir(): string {
  return path.dirname(findAddon());
}

export const binding: Binding = createRequire(import.meta.url)(findAddon());
binding.setErrorFactory(errorFromCode);
