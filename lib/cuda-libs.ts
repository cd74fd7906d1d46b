// Finding the CUDA, cuDNN and TensorRT libraries a GPU provider needs, and loading them by absolute path before the
// provider loads, so pip-installed nvidia-* wheels work without LD_LIBRARY_PATH (what PyTorch does for its own).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { binding, ortLibraryDir, type PreloadOutcome } from './binding.js';

/** What `npm run setup-gpu` leaves beside libonnxruntime.so.1 (read by the engine and by `npm run doctor`). */
export const GPU_SETUP_FILE = 'textclf-gpu.json';

export interface GpuSetup {
  ortVersion: string;
  wheel: string;
  /** Provider libraries it extracted (file names inside ortLibraryDir()). */
  files: string[];
  /** The Python whose site-packages may hold nvidia-* wheels, and those folders. */
  python: string | null;
  sitePackages: string[];
  /** The wheel's Requires-Dist lines, e.g. `nvidia-cufft~=12.0; extra == "cuda"`. */
  requiresDist: string[];
  /** Copies of the files made elsewhere (setup-gpu --ort-node), removed with them. */
  links?: string[];
}

/** Who provides a library: its soname stem, the pip package and the system (NVIDIA apt repository) package. */
export interface LibrarySource {
  /** File name stem: `libcublasLt` matches libcublasLt.so.13. */
  stem: string;
  pip: string | null;
  system: string;
  /** Which provider needs it. */
  for: 'cuda' | 'tensorrt' | 'both';
}

/**
 * In dependency order: a library comes after the ones it links, so one pass loads them all (setup-gpu checks the
 * rest). Versions come from the wheel's Requires-Dist where it names the package, else from the soname's major.
 * libcuda.so.1 is the driver's and never preloaded from a wheel.
 */
export const LIBRARY_SOURCES: LibrarySource[] = [
  { stem: 'libnvJitLink', pip: 'nvidia-nvjitlink', system: 'libnvjitlink-13-0', for: 'both' },
  { stem: 'libnvrtc', pip: 'nvidia-cuda-nvrtc', system: 'cuda-nvrtc-13-0', for: 'cuda' },
  { stem: 'libcudart', pip: 'nvidia-cuda-runtime', system: 'cuda-cudart-13-0', for: 'both' },
  { stem: 'libcublasLt', pip: 'nvidia-cublas', system: 'libcublas-13-0', for: 'both' },
  { stem: 'libcublas', pip: 'nvidia-cublas', system: 'libcublas-13-0', for: 'both' },
  { stem: 'libcurand', pip: 'nvidia-curand', system: 'libcurand-13-0', for: 'cuda' },
  { stem: 'libcufft', pip: 'nvidia-cufft', system: 'libcufft-13-0', for: 'cuda' },
  // cuDNN 9 is split; libcudnn.so.9 opens the others by soname, which then resolve to the preloaded copies.
  ...['libcudnn_graph', 'libcudnn_engines_precompiled', 'libcudnn_engines_runtime_compiled', 'libcudnn_heuristic',
    'libcudnn_ops', 'libcudnn_cnn', 'libcudnn_adv', 'libcudnn'].map((stem) => ({ stem, pip: 'nvidia-cudnn-cu13', system: 'libcudnn9-cuda-13', for: 'both' as const })),
  { stem: 'libnvinfer', pip: 'tensorrt-cu13-libs', system: 'libnvinfer10', for: 'tensorrt' },
  { stem: 'libnvinfer_plugin', pip: 'tensorrt-cu13-libs', system: 'libnvinfer-plugin10', for: 'tensorrt' },
  { stem: 'libnvonnxparser', pip: 'tensorrt-cu13-libs', system: 'libnvonnxparsers10', for: 'tensorrt' },
];

const DRIVER: LibrarySource = { stem: 'libcuda', pip: null, system: 'the NVIDIA driver (e.g. nvidia-driver-580 / libnvidia-compute-580)', for: 'both' };

/** The source of a soname (`libcublasLt.so.13`), or null for a library we know nothing about. */
export function sourceOf(soname: string): LibrarySource | null {
  const stem = soname.replace(/\.so(\..*)?$/, '');
  if (stem === DRIVER.stem) return DRIVER;
  return LIBRARY_SOURCES.find((s) => s.stem === stem) ?? null;
}

/** `pip install` argument for a missing soname: the wheel's own pin where it has one (`nvidia-cufft~=12.0`). */
export function pipRequirement(soname: string, requiresDist: string[] = []): string | null {
  const source = sourceOf(soname);
  if (!source?.pip) return null;
  const pinned = requiresDist.map((r) => r.split(';')[0].trim()).find((r) => r.split(/[~=<>!\s]/)[0] === source.pip);
  if (pinned) return pinned;
  const major = soname.match(/\.so\.(\d+)/)?.[1];
  return major ? `${source.pip}~=${major}.0` : source.pip;
}

/** The folders beside a Python's site-packages where nvidia-* and TensorRT wheels put their libraries. */
export function wheelLibraryDirs(sitePackages: string[], list: (dir: string) => string[] = safeList): string[] {
  const dirs: string[] = [];
  for (const site of sitePackages) {
    const nvidia = path.join(site, 'nvidia');
    for (const pkg of list(nvidia).sort()) {
      for (const sub of ['lib', 'lib64']) {
        const dir = path.join(nvidia, pkg, sub);
        if (list(dir).length) dirs.push(dir);
      }
    }
    const trt = path.join(site, 'tensorrt_libs');
    if (list(trt).length) dirs.push(trt);
  }
  return dirs;
}

export interface DirSources {
  /** The `cudaLibraryDirs` load option. */
  option?: string[];
  /** TEXTCLF_CUDA_LIB_DIRS: folders separated by path.delimiter (':'). */
  env?: string;
  /** What setup-gpu recorded (the site-packages of the Python it ran). */
  setup?: Pick<GpuSetup, 'sitePackages'> | null;
}

/** Every folder to look in, in priority order: the option, the environment variable, then recorded pip wheels. */
export function cudaLibraryDirs(sources: DirSources, list: (dir: string) => string[] = safeList): string[] {
  const fromEnv = (sources.env ?? '').split(path.delimiter).filter(Boolean);
  const fromWheels = wheelLibraryDirs(sources.setup?.sitePackages ?? [], list);
  return [...new Set([...(sources.option ?? []), ...fromEnv, ...fromWheels].map((d) => path.resolve(d)))];
}

/**
 * Absolute paths to preload, in LIBRARY_SOURCES order: for each known library the first folder holding it wins,
 * taking the soname file (libcudart.so.13 rather than libcudart.so.13.0.96 or the libcudart.so dev link).
 */
export function preloadList(dirs: string[], list: (dir: string) => string[] = safeList): string[] {
  const out: string[] = [];
  for (const source of LIBRARY_SOURCES) {
    const pattern = new RegExp(`^${source.stem}\\.so\\.\\d+$`);
    for (const dir of dirs) {
      const hit = list(dir).filter((f) => pattern.test(f)).sort()[0];
      if (hit) {
        out.push(path.join(dir, hit));
        break;
      }
    }
  }
  return out;
}

/** What setup-gpu recorded beside the library, or null before it ran. */
export function readGpuSetup(dir: string = ortLibraryDir()): GpuSetup | null {
  const file = path.join(dir, GPU_SETUP_FILE);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as GpuSetup;
  } catch {
    return null;
  }
}

export interface PreloadReport {
  dirs: string[];
  outcomes: PreloadOutcome[];
}

const preloaded = new Map<string, PreloadReport>();

/**
 * Loads the CUDA libraries found in `option`, TEXTCLF_CUDA_LIB_DIRS and the recorded pip wheels, once per set of
 * folders per process. A library whose own dependency came later is retried until a pass loads nothing new.
 */
export function preloadCudaLibraries(option?: string[]): PreloadReport {
  const dirs = cudaLibraryDirs({ option, env: process.env.TEXTCLF_CUDA_LIB_DIRS, setup: readGpuSetup() });
  const key = dirs.join('\n');
  const known = preloaded.get(key);
  if (known) return known;
  let pending = preloadList(dirs);
  const loaded: PreloadOutcome[] = [];
  let failed: PreloadOutcome[] = [];
  while (pending.length) {
    const outcomes = binding.preloadLibraries(pending);
    loaded.push(...outcomes.filter((o) => o.ok));
    failed = outcomes.filter((o) => !o.ok);
    if (failed.length === pending.length) break;
    pending = failed.map((o) => o.path);
  }
  const report = { dirs, outcomes: [...loaded, ...failed] };
  preloaded.set(key, report);
  return report;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
