// Finding pip-installed NVIDIA libraries and loading them by absolute path (lib/cuda-libs.ts), on fake folders.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { binding } from '../lib/binding.js';
import { cudaLibraryDirs, pipRequirement, preloadCudaLibraries, preloadList, sourceOf, wheelLibraryDirs } from '../lib/cuda-libs.js';
import { Engine, GPU_BATCH_DEFAULTS, withProviderDefaults } from '../lib/engine.js';
import { fixture } from './helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cuda-libs-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function touch(dir: string, ...files: string[]): string {
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(path.join(dir, f), '');
  return dir;
}

// The layout pip leaves: CUDA 13 wheels share nvidia/cu13/lib, cuDNN has nvidia/cudnn/lib, TensorRT tensorrt_libs/.
const site = path.join(tmp, 'site-packages');
touch(path.join(site, 'nvidia/cu13/lib'), 'libcudart.so.13', 'libcublas.so.13', 'libcublasLt.so.13', 'libcublas.so', 'libcurand.so.10');
touch(path.join(site, 'nvidia/cudnn/lib'), 'libcudnn.so.9', 'libcudnn_graph.so.9', 'libcudnn_ops.so.9');
touch(path.join(site, 'nvidia/cufft/lib'), 'libcufft.so.12');
touch(path.join(site, 'nvidia/empty/lib'));
touch(path.join(site, 'tensorrt_libs'), 'libnvinfer.so.10');
const envDir = touch(path.join(tmp, 'env'), 'libcudart.so.13');
const optionDir = touch(path.join(tmp, 'option'), 'libcudart.so.13', 'libcudart.so.13.0.96');

describe('CUDA library discovery', () => {
  it('lists the library folders of nvidia-* and TensorRT wheels in a site-packages, skipping empty ones', () => {
    expect(wheelLibraryDirs([site, path.join(tmp, 'absent')])).toEqual(
      ['nvidia/cu13/lib', 'nvidia/cudnn/lib', 'nvidia/cufft/lib', 'tensorrt_libs'].map((d) => path.join(site, d)));
  });

  it('puts the load option first, then TEXTCLF_CUDA_LIB_DIRS, then the recorded wheels, without repeats', () => {
    const dirs = cudaLibraryDirs({ option: [optionDir], env: `${envDir}${path.delimiter}${optionDir}`, setup: { sitePackages: [site] } });
    expect(dirs.slice(0, 3)).toEqual([optionDir, envDir, path.join(site, 'nvidia/cu13/lib')]);
    expect(cudaLibraryDirs({})).toEqual([]);
  });

  it('orders libraries so each comes after what it links, takes the soname file, and the first folder wins', () => {
    const list = preloadList(cudaLibraryDirs({ option: [optionDir], env: envDir, setup: { sitePackages: [site] } }));
    const names = list.map((p) => path.relative(tmp, p));
    expect(names).toEqual([
      'option/libcudart.so.13',
      'site-packages/nvidia/cu13/lib/libcublasLt.so.13',
      'site-packages/nvidia/cu13/lib/libcublas.so.13',
      'site-packages/nvidia/cu13/lib/libcurand.so.10',
      'site-packages/nvidia/cufft/lib/libcufft.so.12',
      'site-packages/nvidia/cudnn/lib/libcudnn_graph.so.9',
      'site-packages/nvidia/cudnn/lib/libcudnn_ops.so.9',
      'site-packages/nvidia/cudnn/lib/libcudnn.so.9',
      'site-packages/tensorrt_libs/libnvinfer.so.10',
    ]);
  });

  it('names the package of a library, pinned by the wheel where it pins it', () => {
    expect(sourceOf('libcublasLt.so.13')?.pip).toBe('nvidia-cublas');
    expect(sourceOf('libcuda.so.1')?.pip).toBeNull();
    expect(sourceOf('libfoo.so.1')).toBeNull();
    expect(pipRequirement('libcufft.so.12', ['nvidia-cufft~=12.0; extra == "cuda"'])).toBe('nvidia-cufft~=12.0');
    expect(pipRequirement('libcublas.so.13')).toBe('nvidia-cublas~=13.0');
  });
});

describe('preloading', () => {
  it('dlopens by absolute path and reports failures instead of throwing', () => {
    const libz = ['/lib/x86_64-linux-gnu/libz.so.1', '/usr/lib/x86_64-linux-gnu/libz.so.1', '/lib64/libz.so.1'].find((f) => existsSync(f));
    const real = libz ? [libz] : [];
    const outcomes = binding.preloadLibraries([...real, path.join(site, 'nvidia/cu13/lib/libcudart.so.13')]);
    if (libz) expect(outcomes[0]).toEqual({ path: libz, ok: true });
    expect(outcomes.at(-1)).toMatchObject({ ok: false, error: expect.stringMatching(/libcudart\.so\.13/) });
    expect(() => binding.preloadLibraries([1 as unknown as string])).toThrow(TypeError);
  });

  it('preloads what the folders hold (a real library under a CUDA soname loads; empty files fail, reported)', () => {
    const libz = ['/lib/x86_64-linux-gnu/libz.so.1', '/usr/lib/x86_64-linux-gnu/libz.so.1'].find((f) => existsSync(f));
    const dir = touch(path.join(tmp, 'preload'), 'libcublas.so.13');
    if (libz) symlinkSync(libz, path.join(dir, 'libcudart.so.13'));
    const report = preloadCudaLibraries([dir]);
    expect(report.dirs[0]).toBe(dir);
    const byName = Object.fromEntries(report.outcomes.map((o) => [path.basename(o.path), o.ok]));
    expect(byName['libcublas.so.13']).toBe(false);
    if (libz) expect(byName['libcudart.so.13']).toBe(true);
    expect(preloadCudaLibraries([dir])).toBe(report); // once per set of folders
  });

  it('GPU sessions default to the batch sizes the H200 runs supported; CPU and explicit values are untouched', () => {
    expect(withProviderDefaults({ executionProvider: 'cuda' })).toMatchObject(GPU_BATCH_DEFAULTS);
    expect(withProviderDefaults({ executionProvider: 'tensorrt', maxBatchSize: 16, maxBatchTokens: undefined }))
      .toMatchObject({ maxBatchSize: 16, maxBatchTokens: GPU_BATCH_DEFAULTS.maxBatchTokens });
    expect(withProviderDefaults({ executionProvider: 'cpu' })).toEqual({ executionProvider: 'cpu' });
    expect(withProviderDefaults({})).toEqual({});
  });

  it('validates the cudaLibraryDirs option', () => {
    expect(() => new Engine(fixture('tiny-bert/model.onnx'), { executionProvider: 'cuda', cudaLibraryDirs: 'dir' as never }))
      .toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/options\.cudaLibraryDirs/) }));
  });
});
