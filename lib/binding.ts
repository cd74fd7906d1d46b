// The only place that loads the native addon; it types what the addon exports.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { errorFromCode } from './errors.js';
import { packageRoot } from './package-root.js';
import type { WordPieceSetup } from './wordpiece.js';

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
  /** One request run alone, synchronously, on the calling thread; throws what run() rejects with. */
  runNow(ids: Int32Array, typeIds: Int32Array | null): NativeRunOutput;
  /** Nothing queued, running or awaiting settling. */
  idle(): boolean;
  /** Between these, queued requests wait, so they start in the same round (the batcher's workers do not race JS). */
  pauseRounds(): void;
  resumeRounds(): void;
  cancel(id: number, error: Error): boolean;
  stats(): { queued: number; running: number; peakRunning: number; pending: number; batches: number; requests: number; loneBatches: number };
  dispose(): Promise<void>;
}

/** One library `preloadLibraries` tried: loaded, or the loader's complaint. */
export interface PreloadOutcome {
  path: string;
  ok: boolean;
  error?: string;
}

/** native/wordpiece_wrap.h: encode returns null where the JS tokenizer must answer; status[0] = 1 when truncated. */
export interface NativeWordPiece {
  encode(text: string, limit: number, truncate: boolean): Int32Array | null;
  /** Words [bounds[2i], bounds[2i+1]): their id counts, then their ids (no special tokens, at most budget each). */
  encodeWords(text: string, bounds: Int32Array, budget: number): Int32Array | null;
}

interface Binding {
  Engine: new (modelPath: string, options: NativeEngineOptions) => NativeEngine;
  WordPiece: new (setup: WordPieceSetup & { status: Int32Array }) => NativeWordPiece;
  setErrorFactory(factory: (code: string, message: string) => Error): void;
  availableProviders(): string[];
  buildInfo(): { cuda: boolean; tensorrt: boolean; ortApiVersion: number; ortVersion: string };
  /** dlopen(path, RTLD_NOW | RTLD_GLOBAL) each absolute path in order; never unloaded. */
  preloadLibraries(paths: string[]): PreloadOutcome[];
  /** Appends a GPU provider to throw-away session options: loads its library, creates no session. */
  probeProvider(provider: 'cuda' | 'tensorrt', deviceId: number): { ok: boolean; error?: string };
}

const requireNative = createRequire(import.meta.url);
/** scripts/ort-location.cjs: plain CommonJS, so CMake and the install script ask the same code before dist/ exists. */
const ortLocation: { ortLibraryFile(): string; ortVersion(): string } =
  requireNative(path.join(packageRoot, 'scripts/ort-location.cjs'));

/**
 * The folder holding the libonnxruntime the engine actually loads: onnxruntime-node's own platform folder
 * (node_modules/onnxruntime-node/bin/napi-v6/<platform>/<arch>, wherever the package manager put it). Neither the
 * prebuilt addon nor the source build carries a copy: loadAddon() loads this library first (through
 * onnxruntime-node's binding beside it) and the addon's `libonnxruntime.so.1` binds to it by soname, so the process
 * holds one ONNX Runtime, shared with onnxruntime-node if the application uses that too. ONNX Runtime loads its
 * execution-provider libraries (libonnxruntime_providers_shared.so, _cuda.so, _tensorrt.so) from beside itself, so
 * GPU setup puts them in this folder, whichever addon runs.
 */
export function ortLibraryDir(): string {
  return path.dirname(ortLocation.ortLibraryFile());
}

/** What scripts/prepare.sh records beside a prebuilt addon. */
interface PrebuildInfo {
  file: string;
  onnxruntimeNode: string;
}

const rebuildHint = 'build it from source: approve its install script (`npm install-scripts approve onnx-textclf`, or ' +
  'pnpm approve-builds), then `npm rebuild onnx-textclf --build-from-source` (`npm run build` in a checkout); that ' +
  'needs cmake and a C++17 compiler, see the README, "Use it in your project"';

/**
 * A source build (build/Release, made by `npm install` in a checkout or with --build-from-source) wins, as with
 * node-gyp-build; else the prebuilt for this platform (prebuilds/<platform>-<arch>, prebuildify's layout), when it
 * was built against the installed onnxruntime-node.
 */
function findAddon(): string {
  const source = path.join(packageRoot, 'build/Release/engine.node');
  if (existsSync(source)) return source;
  const dir = path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
  const infoFile = path.join(dir, 'prebuild.json');
  if (!existsSync(infoFile)) {
    throw new Error(`onnx-textclf has no engine.node for ${process.platform}-${process.arch}: ${rebuildHint}`);
  }
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as PrebuildInfo;
  const installed = ortLocation.ortVersion();
  if (info.onnxruntimeNode !== installed) {
    throw new Error(`onnx-textclf's prebuilt engine.node is for onnxruntime-node ${info.onnxruntimeNode} but ` +
      `${installed} is installed: ${rebuildHint}`);
  }
  return path.join(dir, info.file);
}

function loadAddon(): Binding {
  requireNative(path.join(ortLibraryDir(), 'onnxruntime_binding.node'));
  const file = findAddon();
  try {
    return requireNative(file);
  } catch (err) {
    throw new Error(`onnx-textclf could not load ${file} (${(err as Error).message}): ${rebuildHint}`, { cause: err });
  }
}

export const binding: Binding = loadAddon();
binding.setErrorFactory(errorFromCode);
