// npm run setup-gpu against fake wheels (a zip with the three library names and a METADATA): extraction,
// idempotence, --remove, version refusal, and the message when pip is absent. No GPU, no network.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { GPU_SETUP_FILE, readGpuSetup } from '../lib/cuda-libs.js';
import { describeMissing, dlopenedByCuda, missingLibraries, PROVIDER_FILES } from '../scripts/gpu/missing.js';
import { setupGpu, type SetupOptions } from '../scripts/setup-gpu.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'setup-gpu-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const REQUIRES = ['numpy>=1.21.6', 'nvidia-cuda-nvrtc~=13.0; extra == "cuda"', 'nvidia-cuda-runtime~=13.0; extra == "cuda"',
  'nvidia-cufft~=12.0; extra == "cuda"', 'nvidia-curand~=10.0; extra == "cuda"', 'nvidia-cudnn-cu13~=9.0; extra == "cudnn"'];

/** A minimal zip (deflated entries, as pip's wheels are) holding `files`. */
function zip(file: string, files: Record<string, string>): string {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = deflateRawSync(Buffer.from(text));
    const n = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(text.length, 22);
    local.writeUInt16LE(n.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(8, 10);
    cd.writeUInt32LE(data.length, 20);
    cd.writeUInt32LE(text.length, 24);
    cd.writeUInt16LE(n.length, 28);
    cd.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    central.push(cd, n);
    offset += 30 + n.length + data.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(file, Buffer.concat([...locals, cdBuf, end]));
  return file;
}

function fakeWheel(version: string, name = 'onnxruntime-gpu'): string {
  const files: Record<string, string> = {
    [`onnxruntime_gpu-${version}.dist-info/METADATA`]: `Metadata-Version: 2.4\nName: ${name}\nVersion: ${version}\n` +
      REQUIRES.map((r) => `Requires-Dist: ${r}\n`).join(''),
  };
  for (const lib of Object.values(PROVIDER_FILES)) files[`onnxruntime/capi/${lib}`] = `fake ${lib} ${version}`;
  return zip(path.join(tmp, `onnxruntime_gpu-${version}-${name}.whl`), files);
}

function run(overrides: Partial<SetupOptions>) {
  const libDir = overrides.libDir ?? mkdtempSync(path.join(tmp, 'lib-'));
  const lines: string[] = [];
  // No ldd answer and an empty loader cache: every linked library counts as missing, from the built-in list.
  const code = setupGpu({ libDir, ortVersion: '1.30.0', python: '/nonexistent/python', log: (l) => lines.push(l),
    check: { ldd: () => null, cache: () => new Set() }, ...overrides });
  return { code, libDir, text: lines.join('\n') };
}

describe('setup-gpu', () => {
  const wheel = fakeWheel('1.30.0');

  it('extracts the three provider libraries beside the library and records what it did', () => {
    const { code, libDir, text } = run({ wheel });
    expect(code).toBe(0);
    for (const lib of Object.values(PROVIDER_FILES)) expect(readFileSync(path.join(libDir, lib), 'utf8')).toBe(`fake ${lib} 1.30.0`);
    const setup = readGpuSetup(libDir)!;
    expect(setup).toMatchObject({ ortVersion: '1.30.0', files: Object.values(PROVIDER_FILES) });
    expect(setup.requiresDist).toContain('nvidia-cufft~=12.0; extra == "cuda"');
    // Each missing library with its package, pinned as the wheel's METADATA pins it.
    expect(text).toMatch(/libcudart\.so\.13 .*pip: nvidia-cuda-runtime~=13\.0/);
    expect(text).toMatch(/libcufft\.so\.12 .*pip: nvidia-cufft~=12\.0/);
    expect(text).toMatch(/libcudnn\.so\.9 .*pip: nvidia-cudnn-cu13~=9\.0/);
    expect(text).toMatch(/libcublasLt\.so\.13 .*pip: nvidia-cublas~=13\.0/);
    expect(text).toMatch(/libcuda\.so\.1 .*NVIDIA driver/);
    expect(text).toMatch(/fix: \/nonexistent\/python -m pip install .*'nvidia-curand~=10\.0'/);
  });

  it('is idempotent: a second run leaves the files and downloads nothing; --force with a wheel extracts again', () => {
    const { libDir } = run({ wheel });
    const again = run({ libDir }); // no wheel and no pip: would fail if it tried to download
    expect(again.code).toBe(0);
    expect(again.text).toMatch(/already in/);
    expect(run({ libDir, wheel, force: true }).code).toBe(0);
    expect(readFileSync(path.join(libDir, PROVIDER_FILES.cuda), 'utf8')).toBe(`fake ${PROVIDER_FILES.cuda} 1.30.0`);
  });

  it('--remove deletes exactly what it put there (--ort-node copies included), and a second --remove has nothing to do', () => {
    const peer = mkdtempSync(path.join(tmp, 'peer-'));
    const { libDir } = run({ wheel, linkInto: peer });
    expect(readFileSync(path.join(peer, PROVIDER_FILES.cuda), 'utf8')).toBe(`fake ${PROVIDER_FILES.cuda} 1.30.0`);
    writeFileSync(path.join(libDir, 'libonnxruntime.so.1'), 'the engine library');
    const removed = run({ libDir, remove: true });
    expect(removed.code).toBe(0);
    for (const f of [...Object.values(PROVIDER_FILES), GPU_SETUP_FILE]) expect(existsSync(path.join(libDir, f))).toBe(false);
    for (const f of Object.values(PROVIDER_FILES)) expect(existsSync(path.join(peer, f))).toBe(false);
    expect(existsSync(path.join(libDir, 'libonnxruntime.so.1'))).toBe(true);
    expect(run({ libDir, remove: true }).text).toMatch(/nothing to remove/);
  });

  it('refuses a wheel of another version or another package, extracting nothing', () => {
    for (const bad of [fakeWheel('1.29.0'), fakeWheel('1.30.0', 'onnxruntime')]) {
      const { code, libDir, text } = run({ wheel: bad });
      expect(code).toBe(1);
      expect(text).toMatch(/refusing .*bundles ONNX Runtime 1\.30\.0.*onnxruntime-gpu==1\.30\.0/);
      expect(existsSync(path.join(libDir, PROVIDER_FILES.cuda))).toBe(false);
    }
    expect(run({ wheel: path.join(tmp, 'missing.whl') }).text).toMatch(/cannot read/);
  });

  it('says what to do when pip is absent: no Python, or a Python without pip', () => {
    const noPython = run({});
    expect(noPython.code).toBe(1);
    expect(noPython.text).toMatch(/needs pip .*\/nonexistent\/python cannot be run.*--wheel FILE/);
    const fake = path.join(tmp, 'python-without-pip');
    writeFileSync(fake, '#!/bin/sh\necho "/usr/bin/python3: No module named pip" >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    const noPip = run({ python: fake });
    expect(noPip.code).toBe(1);
    expect(noPip.text).toMatch(/has no pip \(.*No module named pip\).*apt-get install python3-pip.*pip download --no-deps onnxruntime-gpu==1\.30\.0/);
  });
});

describe('missing-library check', () => {
  it('reads ldd\'s "not found" lines and adds the libraries the CUDA provider opens at run time', () => {
    const libDir = run({ wheel: fakeWheel('1.30.0') }).libDir;
    const ldd = (file: string) => file.endsWith(PROVIDER_FILES.cuda)
      ? '\tlibcublasLt.so.13 => not found\n\tlibcudart.so.13 => /x/libcudart.so.13 (0x1)\n\tlibcuda.so.1 => not found\n'
      : '\tlibnvinfer.so.10 => not found\n';
    const missing = missingLibraries({ libDir, searchDirs: [], requiresDist: REQUIRES, ldd, cache: () => new Set(['libcufft.so.12']) });
    expect(missing.map((m) => `${m.provider} ${m.soname}`)).toEqual(
      ['cuda libcublasLt.so.13', 'cuda libcuda.so.1', 'cuda libnvrtc.so.13', 'cuda libcudnn.so.9', 'tensorrt libnvinfer.so.10']);
    expect(missing.find((m) => m.soname === 'libcuda.so.1')?.pip).toBeNull();
    expect(describeMissing([], null)).toEqual(['every library the GPU providers link can be found']);
  });

  it('takes the run-time libraries from the wheel\'s extras', () => {
    expect(dlopenedByCuda(REQUIRES)).toEqual(['libnvrtc.so.13', 'libcufft.so.12', 'libcudnn.so.9']);
  });
});
