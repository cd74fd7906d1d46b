// Which libraries the GPU provider libraries cannot find, and how to get each (shared by setup-gpu and doctor).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pipRequirement, sourceOf } from '../../lib/cuda-libs.js';

export const PROVIDER_FILES = {
  shared: 'libonnxruntime_providers_shared.so',
  cuda: 'libonnxruntime_providers_cuda.so',
  tensorrt: 'libonnxruntime_providers_tensorrt.so',
} as const;

/**
 * DT_NEEDED of the onnxruntime-gpu 1.30.0 provider libraries (readelf -d), for machines without ldd; ldd's answer,
 * which follows the real loader's search, is used where it can read the file.
 */
const NEEDED_FALLBACK: Record<'cuda' | 'tensorrt', string[]> = {
  cuda: ['libcublasLt.so.13', 'libcublas.so.13', 'libcurand.so.10', 'libcudart.so.13', 'libcuda.so.1'],
  tensorrt: ['libcublas.so.13', 'libnvinfer.so.10', 'libnvonnxparser.so.10', 'libcudart.so.13', 'libcudnn.so.9'],
};

export interface MissingLibrary {
  soname: string;
  provider: 'cuda' | 'tensorrt';
  /** `nvidia-cublas~=13.0`, or null where no pip package provides it (the driver). */
  pip: string | null;
  system: string;
  /** Opened at run time (not linked), so only a search finds its absence. */
  dlopened: boolean;
}

export interface CheckInput {
  libDir: string;
  /** Folders the engine preloads from (cudaLibraryDirs). */
  searchDirs: string[];
  requiresDist: string[];
  /** Runs ldd; injectable for tests. Returns null when ldd cannot be run or cannot read the file. */
  ldd?: (file: string, libraryPath: string) => string | null;
  /** Sonames the system loader cache knows (ldconfig -p); injectable for tests. */
  cache?: () => Set<string>;
}

/** Libraries opened by the CUDA provider at run time: the wheel's `cuda` and `cudnn` extras beyond what it links. */
export function dlopenedByCuda(requiresDist: string[]): string[] {
  const wanted: Record<string, string> = { 'nvidia-cuda-nvrtc': 'libnvrtc', 'nvidia-cufft': 'libcufft', 'nvidia-cudnn-cu13': 'libcudnn' };
  const out: string[] = [];
  for (const line of requiresDist) {
    const [spec, marker = ''] = line.split(';');
    if (!/extra == "(cuda|cudnn)"/.test(marker)) continue;
    const m = spec.trim().match(/^([A-Za-z0-9_.-]+)\s*~=\s*(\d+)/);
    if (m && wanted[m[1]]) out.push(`${wanted[m[1]]}.so.${m[2]}`);
  }
  return out;
}

/** What each present provider library cannot load, with the pip and system package that provides it. */
export function missingLibraries(input: CheckInput): MissingLibrary[] {
  const ldd = input.ldd ?? runLdd;
  const cache = (input.cache ?? ldconfigCache)();
  const libraryPath = [...input.searchDirs, input.libDir, ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)];
  const findable = (soname: string) => cache.has(soname) || libraryPath.some((d) => existsSync(path.join(d, soname)));
  const out: MissingLibrary[] = [];
  const add = (soname: string, provider: 'cuda' | 'tensorrt', dlopened: boolean) => {
    if (out.some((m) => m.soname === soname && m.provider === provider)) return;
    const source = sourceOf(soname);
    out.push({ soname, provider, pip: pipRequirement(soname, input.requiresDist), system: source?.system ?? 'unknown', dlopened });
  };
  for (const provider of ['cuda', 'tensorrt'] as const) {
    const file = path.join(input.libDir, PROVIDER_FILES[provider]);
    if (!existsSync(file)) continue;
    const report = ldd(file, libraryPath.join(':'));
    const notFound = report === null
      ? NEEDED_FALLBACK[provider].filter((s) => !findable(s))
      : [...report.matchAll(/^\s*(\S+) => not found/gm)].map((m) => m[1]);
    for (const soname of notFound) add(soname, provider, false);
    if (provider === 'cuda') {
      for (const soname of dlopenedByCuda(input.requiresDist)) if (!findable(soname)) add(soname, provider, true);
    }
  }
  return out;
}

/** Human lines: per provider, each missing library and where to get it, then one pip command for all of them. */
export function describeMissing(missing: MissingLibrary[], python: string | null): string[] {
  if (!missing.length) return ['every library the GPU providers link can be found'];
  const lines: string[] = [];
  for (const provider of ['cuda', 'tensorrt'] as const) {
    const mine = missing.filter((m) => m.provider === provider);
    if (!mine.length) continue;
    lines.push(`the ${provider} provider cannot find ${mine.length} librar${mine.length === 1 ? 'y' : 'ies'}:`);
    for (const m of mine) {
      const how = m.pip ? `pip: ${m.pip}; system: ${m.system}` : `${m.system} (not a pip package)`;
      lines.push(`  ${m.soname.padEnd(24)} ${how}${m.dlopened ? ' [opened at run time]' : ''}`);
    }
    const pips = [...new Set(mine.map((m) => m.pip).filter((p): p is string => p !== null))];
    if (pips.length) {
      lines.push(`  fix: ${python ?? 'python3'} -m pip install ${pips.map((p) => `'${p}'`).join(' ')}`);
      lines.push('       (the engine loads them from that Python\'s site-packages; no LD_LIBRARY_PATH needed)');
    }
  }
  lines.push('system packages come from NVIDIA\'s CUDA apt repository; folders elsewhere: TEXTCLF_CUDA_LIB_DIRS=dir1:dir2');
  return lines;
}

function runLdd(file: string, libraryPath: string): string | null {
  const r = spawnSync('ldd', [file], { encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: libraryPath } });
  if (r.error || r.status !== 0 || !r.stdout.includes('=>')) return null;
  return r.stdout;
}

function ldconfigCache(): Set<string> {
  for (const bin of ['ldconfig', '/sbin/ldconfig']) {
    const r = spawnSync(bin, ['-p'], { encoding: 'utf8' });
    if (!r.error && r.status === 0) return new Set([...r.stdout.matchAll(/^\s*(\S+) \(/gm)].map((m) => m[1]));
  }
  return new Set();
}
