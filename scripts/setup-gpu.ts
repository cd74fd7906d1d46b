// `npm run setup-gpu`: put ONNX Runtime's GPU provider libraries beside the engine's libonnxruntime.so.1, taken from
// the onnxruntime-gpu wheel of exactly the bundled version, then say which CUDA libraries are still missing.
// At install time: TEXTCLF_GPU=1 npm install (scripts/install-gpu.sh; TEXTCLF_GPU_ARGS passes e.g. --wheel FILE).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ortLibraryDir } from '../lib/binding.js';
import { cudaLibraryDirs, GPU_SETUP_FILE, readGpuSetup, type GpuSetup } from '../lib/cuda-libs.js';
import { describeMissing, missingLibraries, PROVIDER_FILES, type CheckInput } from './gpu/missing.js';
import { parseMetadata, Wheel } from './gpu/wheel.js';

const USAGE = `usage: npm run setup-gpu -- [options]
  --wheel FILE    use this onnxruntime-gpu wheel instead of downloading it (machines without PyPI access)
  --python PATH   Python whose pip downloads the wheel and whose site-packages hold nvidia-* wheels
                  (default: $TEXTCLF_PYTHON, then .venv/bin/python, then python3)
  --force         extract again even when the libraries are in place
  --ort-node      also copy them beside onnxruntime-node's own library (the bench's GPU peer; gpu-check.sh uses it)
  --remove        delete what setup-gpu put beside the library
  --help`;

export interface SetupOptions {
  /** Where libonnxruntime.so.1 lives (ortLibraryDir()). */
  libDir: string;
  /** The onnxruntime-node version the engine bundles. */
  ortVersion: string;
  wheel?: string;
  python: string;
  force?: boolean;
  remove?: boolean;
  /** Also copy the libraries into this folder (onnxruntime-node's library folder). */
  linkInto?: string;
  log: (line: string) => void;
  /** For tests: the ldd and loader-cache probes of the missing-library check. */
  check?: Pick<CheckInput, 'ldd' | 'cache'>;
}

const LIBS = Object.values(PROVIDER_FILES);

/** 0 when the provider libraries are in place (or removed), 1 when it refused or failed; says why either way. */
export function setupGpu(o: SetupOptions): number {
  if (o.remove) return remove(o);
  const state = readGpuSetup(o.libDir);
  const inPlace = state?.ortVersion === o.ortVersion && LIBS.every((f) => existsSync(path.join(o.libDir, f)));
  if (inPlace && !o.force && !o.wheel) {
    o.log(`the onnxruntime-gpu ${o.ortVersion} provider libraries are already in ${o.libDir} (--force extracts again)`);
    // The Python may have changed (or gained nvidia-* wheels in a new site-packages): record it again.
    report(o, link(o, record(o.libDir, { ...state!, python: o.python, sitePackages: sitePackages(o.python) })));
    return 0;
  }
  let tmp: string | null = null;
  try {
    let wheelFile = o.wheel;
    if (!wheelFile) {
      tmp = mkdtempSync(path.join(os.tmpdir(), 'textclf-gpu-'));
      const got = download(o, tmp);
      if (typeof got !== 'string') {
        o.log(got.error);
        return 1;
      }
      wheelFile = got;
    }
    const extracted = extract(o, wheelFile);
    if ('error' in extracted) {
      o.log(extracted.error);
      return 1;
    }
    report(o, link(o, extracted));
    return 0;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

function download(o: SetupOptions, dir: string): string | { error: string } {
  const spec = `onnxruntime-gpu==${o.ortVersion}`;
  const offline = `On a machine with PyPI access run \`pip download --no-deps ${spec}\` and pass the file here with --wheel FILE.`;
  const probe = spawnSync(o.python, ['-m', 'pip', '--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? `${o.python} cannot be run (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message})` : `${o.python} has no pip (${(probe.stderr || probe.stdout).trim().split('\n').pop()})`;
    return { error: `setup-gpu needs pip to fetch ${spec}: ${why}. Install pip (e.g. apt-get install python3-pip), or ` +
      `point --python / TEXTCLF_PYTHON at a Python that has it. ${offline}` };
  }
  // The provider libraries are the same in every cpXY wheel: ask for one by platform, whatever Python runs pip.
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  o.log(`downloading ${spec} with ${o.python} -m pip (about 250 MB; the wheel is not installed)`);
  const r = spawnSync(o.python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--platform', `manylinux_2_28_${arch}`,
    '--python-version', '3.12', '--implementation', 'cp', spec, '-d', dir], { stdio: ['ignore', 'inherit', 'inherit'] });
  const whl = readdirSync(dir).find((f) => f.endsWith('.whl'));
  if (r.status !== 0 || !whl) return { error: `pip download ${spec} failed (exit ${r.status}). ${offline}` };
  return path.join(dir, whl);
}

function extract(o: SetupOptions, wheelFile: string): GpuSetup | { error: string } {
  let wheel: Wheel;
  try {
    wheel = new Wheel(wheelFile);
  } catch (err) {
    return { error: `cannot read ${wheelFile}: ${(err as Error).message}` };
  }
  try {
    const meta = parseMetadata(wheel.metadata());
    if (meta.name.toLowerCase() !== 'onnxruntime-gpu' || meta.version !== o.ortVersion) {
      return { error: `refusing ${path.basename(wheelFile)}: it is ${meta.name || 'an unnamed wheel'} ${meta.version}, but the engine ` +
        `bundles ONNX Runtime ${o.ortVersion} (onnxruntime-node); provider libraries must come from onnxruntime-gpu==${o.ortVersion}` };
    }
    for (const name of LIBS) {
      const entry = wheel.find((n) => n.endsWith(`/capi/${name}`));
      if (!entry) return { error: `${path.basename(wheelFile)} has no onnxruntime/capi/${name}` };
      const target = path.join(o.libDir, name);
      // Write beside, then rename: a process that has the old file mapped keeps its copy intact.
      writeFileSync(`${target}.part`, wheel.read(entry));
      chmodSync(`${target}.part`, 0o755);
      renameSync(`${target}.part`, target);
      o.log(`extracted ${name} (${(entry.size / 1e6).toFixed(1)} MB) -> ${o.libDir}`);
    }
    return record(o.libDir, {
      ortVersion: o.ortVersion, wheel: path.basename(wheelFile), files: LIBS, python: o.python,
      sitePackages: sitePackages(o.python), requiresDist: meta.requiresDist,
    });
  } finally {
    wheel.close();
  }
}

/**
 * With --ort-node: copies of the extracted files in onnxruntime-node's folder, recorded so --remove finds them.
 * Copies, not symlinks: the loader maps one file (inode) once per process, and each ONNX Runtime copy needs its own
 * provider bridge (the H200 reference run used copies).
 */
function link(o: SetupOptions, setup: GpuSetup): GpuSetup {
  if (!o.linkInto) return setup;
  const links = new Set(setup.links ?? []);
  for (const name of LIBS) {
    const at = path.join(o.linkInto, name);
    rmSync(at, { force: true });
    copyFileSync(path.join(o.libDir, name), at);
    links.add(at);
  }
  o.log(`copied the provider libraries into ${o.linkInto}`);
  return record(o.libDir, { ...setup, links: [...links] });
}

function record(libDir: string, setup: GpuSetup): GpuSetup {
  writeFileSync(path.join(libDir, GPU_SETUP_FILE), JSON.stringify(setup, null, 2) + '\n');
  return setup;
}

/** Prints what the providers still cannot find; never fails (the CPU keeps working). */
function report(o: SetupOptions, setup: GpuSetup | null): void {
  const searchDirs = cudaLibraryDirs({ env: process.env.TEXTCLF_CUDA_LIB_DIRS, setup });
  if (searchDirs.length) o.log(`CUDA library folders the engine will preload from: ${searchDirs.join(', ')}`);
  const missing = missingLibraries({ libDir: o.libDir, searchDirs, requiresDist: setup?.requiresDist ?? [], ...o.check });
  for (const line of describeMissing(missing, setup?.python ?? o.python)) o.log(line);
  o.log('check the result with `npm run doctor`');
}

function remove(o: SetupOptions): number {
  const state = readGpuSetup(o.libDir);
  const files = [...new Set([...(state?.files ?? []), ...LIBS, GPU_SETUP_FILE])];
  const removed = files.filter((f) => existsSync(path.join(o.libDir, f)));
  for (const f of removed) rmSync(path.join(o.libDir, f));
  for (const l of state?.links ?? []) rmSync(l, { force: true });
  o.log(removed.length ? `removed ${removed.join(', ')} from ${o.libDir}` : `nothing to remove in ${o.libDir}`);
  return 0;
}

/** The site-packages folders of `python` (where pip puts nvidia-* wheels), or none when it cannot say. */
function sitePackages(python: string): string[] {
  const code = 'import json,site; print(json.dumps(site.getsitepackages() + [site.getusersitepackages()]))';
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8' });
  try {
    return r.status === 0 ? (JSON.parse(r.stdout) as string[]) : [];
  } catch {
    return [];
  }
}

/** --python, then $TEXTCLF_PYTHON, then the repository's .venv, then python3. */
export function choosePython(root: string, flag?: string): string {
  const venv = path.join(root, '.venv/bin/python');
  return flag ?? process.env.TEXTCLF_PYTHON ?? (existsSync(venv) ? venv : 'python3');
}

/** The folder holding package.json, from scripts/ (sources) or dist/scripts/ (compiled). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && dir !== path.dirname(dir)) dir = path.dirname(dir);
  return dir;
}

export function bundledOrtVersion(): string {
  return (JSON.parse(readFileSync(ortNodePackageJson(), 'utf8')) as { version: string }).version;
}

/** Where onnxruntime-node keeps its own libonnxruntime.so.1 (for --ort-node). */
function ortNodeLibraryDir(): string {
  return path.join(path.dirname(ortNodePackageJson()), 'bin/napi-v6', process.platform, process.arch);
}

function ortNodePackageJson(): string {
  return createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
}

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv, strict: true,
      options: {
        wheel: { type: 'string' }, python: { type: 'string' }, force: { type: 'boolean' }, remove: { type: 'boolean' },
        'ort-node': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) return process.stdout.write(`${USAGE}\n`), 0;
  return setupGpu({
    libDir: ortLibraryDir(), ortVersion: bundledOrtVersion(), wheel: values.wheel, python: choosePython(packageRoot(), values.python),
    force: values.force, remove: values.remove, linkInto: values['ort-node'] ? ortNodeLibraryDir() : undefined, log: (line) => process.stdout.write(`[setup-gpu] ${line}\n`),
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    process.stderr.write(`[setup-gpu] ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
