// `npm run doctor`: what this machine can run. ONNX Runtime version, which execution providers load and run, the
// GPU and driver (nvidia-smi), and for every library a GPU provider cannot find, the package that provides it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { binding, ortLibraryDir } from '../lib/binding.js';
import { preloadCudaLibraries, readGpuSetup, type GpuSetup } from '../lib/cuda-libs.js';
import { Engine, type ExecutionProvider } from '../lib/engine.js';
import { describeMissing, missingLibraries, PROVIDER_FILES, type MissingLibrary } from './gpu/missing.js';
import { bundledOrtVersion, packageRoot } from './setup-gpu.js';

const USAGE = `usage: npm run doctor -- [--json FILE] [--require cpu|cuda|tensorrt]
  --json FILE      also write the report as JSON
  --require NAME   exit 1 unless that provider loads and runs (scripts/gpu-check.sh uses --require cuda)`;

export interface ProviderStatus {
  provider: ExecutionProvider;
  /** The provider library (and what it links) loaded. */
  loads: boolean;
  /** A session on a small model was created and ran one request. */
  runs: boolean;
  error?: string;
}

export interface DoctorReport {
  ortVersion: string;
  onnxruntimeNode: string;
  libraryDir: string;
  setup: GpuSetup | null;
  gpus: { name: string; driver: string; memory: string }[];
  gpuNote: string | null;
  preload: { dirs: string[]; loaded: string[]; failed: { path: string; error: string }[] };
  providers: ProviderStatus[];
  missing: MissingLibrary[];
  model: string | null;
}

export async function diagnose(root: string): Promise<DoctorReport> {
  const libraryDir = ortLibraryDir();
  const setup = readGpuSetup(libraryDir);
  const smi = nvidiaSmi();
  const pre = preloadCudaLibraries();
  const model = ['test/fixtures/tiny-bert/model.onnx', 'models/sentiment-minilm-l6/model.onnx'].map((f) => path.join(root, f)).find((f) => existsSync(f)) ?? null;
  const providers: ProviderStatus[] = [];
  for (const provider of ['cpu', 'cuda', 'tensorrt'] as const) providers.push(await tryProvider(provider, model));
  return {
    ortVersion: binding.buildInfo().ortVersion,
    onnxruntimeNode: bundledOrtVersion(),
    libraryDir,
    setup,
    ...smi,
    preload: {
      dirs: pre.dirs,
      loaded: pre.outcomes.filter((o) => o.ok).map((o) => o.path),
      failed: pre.outcomes.filter((o) => !o.ok).map((o) => ({ path: o.path, error: o.error ?? '' })),
    },
    providers,
    missing: missingLibraries({ libDir: libraryDir, searchDirs: pre.dirs, requiresDist: setup?.requiresDist ?? [] }),
    model: model && path.relative(root, model),
  };
}

async function tryProvider(provider: ExecutionProvider, model: string | null): Promise<ProviderStatus> {
  if (provider !== 'cpu') {
    const probe = binding.probeProvider(provider, 0);
    if (!probe.ok) return { provider, loads: false, runs: false, error: detail(probe.error ?? '') };
  }
  if (!model) return { provider, loads: true, runs: false, error: 'no model file to try a run on' };
  let engine: Engine | null = null;
  try {
    engine = new Engine(model, { executionProvider: provider, maxQueue: 4 });
    await engine.run(Int32Array.from([1, 5, 7, 2]), null);
    return { provider, loads: true, runs: true };
  } catch (err) {
    return { provider, loads: true, runs: false, error: detail((err as Error).message) };
  } finally {
    await engine?.dispose();
  }
}

/** ONNX Runtime's own complaint, without the advice the engine adds for library users. */
function detail(message: string): string {
  const at = message.indexOf('Detail: ');
  const text = at >= 0 ? message.slice(at + 8) : message;
  const loader = text.match(/error: (\S+: cannot open shared object file[^\n]*)/)?.[1];
  return (loader ?? text).trim().split('\n')[0];
}

function nvidiaSmi(): Pick<DoctorReport, 'gpus' | 'gpuNote'> {
  const r = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8' });
  if (r.error) return { gpus: [], gpuNote: 'nvidia-smi not found: no NVIDIA driver on this machine (or not on PATH)' };
  if (r.status !== 0) return { gpus: [], gpuNote: `nvidia-smi failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}` };
  const gpus = r.stdout.trim().split('\n').filter(Boolean).map((line) => {
    const [name, driver, memory] = line.split(',').map((s) => s.trim());
    return { name, driver, memory };
  });
  return { gpus, gpuNote: gpus.length ? null : 'nvidia-smi lists no GPU' };
}

export function render(r: DoctorReport): string {
  const out: string[] = [];
  out.push(`ONNX Runtime ${r.ortVersion} (onnxruntime-node ${r.onnxruntimeNode}), library in ${r.libraryDir}`);
  const present = Object.values(PROVIDER_FILES).filter((f) => existsSync(path.join(r.libraryDir, f)));
  out.push(r.setup
    ? `GPU provider libraries: ${present.length}/3 present, from ${r.setup.wheel}`
    : `GPU provider libraries: ${present.length}/3 present; run \`npm run setup-gpu\` to fetch them`);
  out.push(r.gpus.length ? r.gpus.map((g) => `GPU: ${g.name}, driver ${g.driver}, ${g.memory}`).join('\n') : `GPU: none found (${r.gpuNote})`);
  if (r.preload.dirs.length) {
    out.push(`CUDA library folders: ${r.preload.dirs.join(', ')}`);
    out.push(`  preloaded ${r.preload.loaded.length}${r.preload.failed.length ? `, could not load ${r.preload.failed.length}:` : ''}`);
    for (const f of r.preload.failed) out.push(`    ${path.basename(f.path)}: ${f.error}`);
  } else {
    out.push('CUDA library folders: none (no nvidia-* pip wheels recorded by setup-gpu, TEXTCLF_CUDA_LIB_DIRS unset); the system loader path is used');
  }
  out.push(`providers (tried on ${r.model ?? 'no model'}):`);
  for (const p of r.providers) {
    const state = p.runs ? 'OK (loads and runs)' : p.loads ? 'loads, but a run failed' : 'unavailable';
    out.push(`  ${p.provider.padEnd(9)} ${state}${p.error ? `: ${p.error}` : ''}`);
  }
  if (present.length) out.push(...describeMissing(r.missing, r.setup?.python ?? null));
  return out.join('\n') + '\n';
}

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { json: { type: 'string' }, require: { type: 'string' }, help: { type: 'boolean' } } }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) return process.stdout.write(`${USAGE}\n`), 0;
  const report = await diagnose(packageRoot());
  process.stdout.write(render(report));
  if (values.json) {
    mkdirSync(path.dirname(path.resolve(values.json)), { recursive: true });
    writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
  }
  if (!values.require) return 0;
  const wanted = report.providers.find((p) => p.provider === values.require);
  return wanted?.runs ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    process.stderr.write(`[doctor] ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
