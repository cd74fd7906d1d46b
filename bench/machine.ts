// Facts about this machine and the software under test, for the report header.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { binding } from '../lib/binding.js';

export interface MachineInfo {
  cpuModel: string;
  logicalCores: number;
  physicalCores: number;
  /** The vector-ISA flags that matter to ONNX Runtime's kernels (avx2, avx512*, avx_vnni, amx*, fma, f16c). */
  simd: string[];
  memoryGiB: number;
  os: string;
  node: string;
  /** The ONNX Runtime the engine's addon loaded (binding.buildInfo()). */
  ortEngine: string;
  ortNode: string | null;
  transformersJs: string | null;
  tinybench: string | null;
  /** 1-minute load average when the bench started: other work on the cores makes every number slower and noisier. */
  loadAverage: number;
  /** Other processes whose command line mentions training (they share the cores). */
  backgroundTraining: string[];
}

const SIMD = /^(avx2|avx512\w*|avx_vnni\w*|avx512_vnni|amx\w*|fma|f16c|sse4_2)$/;

export function machineInfo(): MachineInfo {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const field = (name: string) => cpuinfo.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim();
  const flags = (field('flags') ?? '').split(/\s+/).filter((f) => SIMD.test(f));
  return {
    cpuModel: field('model name') ?? os.cpus()[0]?.model ?? 'unknown',
    logicalCores: os.availableParallelism(),
    physicalCores: physicalCores(cpuinfo),
    simd: [...new Set(flags)].sort(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    ortEngine: binding.buildInfo().ortVersion,
    ortNode: packageVersion('onnxruntime-node'),
    transformersJs: packageVersion('@huggingface/transformers'),
    tinybench: packageVersion('tinybench'),
    loadAverage: Math.round(os.loadavg()[0] * 100) / 100,
    backgroundTraining: trainingProcesses(),
  };
}

/** Distinct (physical id, core id) pairs; falls back to the logical count where /proc/cpuinfo lacks them. */
function physicalCores(cpuinfo: string): number {
  const cores = new Set<string>();
  for (const block of cpuinfo.split(/\n\s*\n/)) {
    const phys = block.match(/^physical id\s*:\s*(\d+)/m)?.[1];
    const core = block.match(/^core id\s*:\s*(\d+)/m)?.[1];
    if (phys !== undefined && core !== undefined) cores.add(`${phys}:${core}`);
  }
  return cores.size || os.availableParallelism();
}

/** The installed version of a package, read from its package.json (found by walking up from its entry point). */
function packageVersion(name: string): string | null {
  try {
    let dir = path.dirname(createRequire(import.meta.url).resolve(name));
    for (; dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const file = path.join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? null;
    }
  } catch {
    // not installed
  }
  return null;
}

function trainingProcesses(): string[] {
  try {
    const out = execFileSync('pgrep', ['-af', 'train'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n').filter((l) => l.trim() && !/pgrep/.test(l)).map((l) => l.replace(/^\d+\s+/, '').slice(0, 120));
  } catch {
    return []; // pgrep exits 1 when nothing matches, or is missing
  }
}
