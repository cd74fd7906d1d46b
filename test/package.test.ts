// The package as a consumer gets it: one `npm pack` (which runs `prepare`: dist/ and the prebuilt addon), then the
// tarball installed into fresh temporary projects, imported by name, classifying with the embedded default model.
// Each child reports which addon and which libonnxruntime its process mapped (/proc/self/maps), so a case cannot
// pass on the wrong binary. Slow by nature (the source build compiles the addon): minutes, not seconds.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../lib/package-root.js';

const PNPM = 'pnpm@12.21.0';
const MAX_PACKED_BYTES = 30e6;
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

// The outer `npm test` exports npm_* variables (config, lifecycle); the consumer's npm must not inherit them.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

/** Asynchronous, so the test worker keeps answering vitest while an install runs for a minute. */
async function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(cmd, args, { cwd, env: { ...cleanEnv, ...env }, maxBuffer: 64 << 20 });
    return stdout;
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: err });
  }
}

// Not on this registry: the pnpm case is skipped, and says so.
const pnpmVersion = await run('npx', ['--yes', PNPM, '--version'], tmpdir()).then((v) => v.trim(), () => null);

// What a consumer writes: import by name, classify with the embedded default.
const consumerScript = `
import { readFileSync } from 'node:fs';
import { loadClassifier, ortLibraryDir } from 'onnx-textclf';
const clf = await loadClassifier();
const results = await clf.classify(['A gorgeous, witty, seductive movie.', 'The plot is paper-thin and the jokes fall flat.']);
await clf.dispose();
const mapped = [...new Set(readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter(Boolean))];
console.log(JSON.stringify({
  labels: results.map((r) => r.label),
  ortLibraryDir: ortLibraryDir(),
  addon: mapped.filter((f) => f.includes('/onnx-textclf') && f.endsWith('.node')),
  ort: mapped.filter((f) => f.endsWith('/libonnxruntime.so.1')),
}));
`;

interface Consumed {
  labels: (string | null)[];
  ortLibraryDir: string;
  addon: string[];
  ort: string[];
}

describe.skipIf(!linuxX64)('installed as a dependency (linux-x64)', () => {
  let work: string;
  let tarball: string;
  let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'textclf-consumer-'));
    [packed] = JSON.parse(await run('npm', ['pack', '--json', '--pack-destination', work], packageRoot));
    tarball = path.join(work, packed.filename);
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** A fresh project: package.json (with `extra` fields), .npmrc skipping onnxruntime-node's CUDA download. */
  function project(name: string, extra: object = {}): string {
    const dir = path.join(work, name);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, ...extra }));
    writeFileSync(path.join(dir, '.npmrc'), 'onnxruntime-node-install=skip\n');
    writeFileSync(path.join(dir, 'consume.mjs'), consumerScript);
    return dir;
  }

  async function consume(dir: string): Promise<Consumed> {
    return JSON.parse(await run('node', ['consume.mjs'], dir));
  }

  function expectClassifiesWith(result: Consumed, addonFolder: string): void {
    expect(result.labels).toEqual(['positive', 'negative']);
    expect(result.addon).toHaveLength(1);
    expect(result.addon[0]).toContain(addonFolder);
    // One ONNX Runtime in the process, and it is the one ortLibraryDir() names (where GPU providers must go).
    expect(result.ort).toEqual([path.join(result.ortLibraryDir, 'libonnxruntime.so.1')]);
    expect(result.ortLibraryDir).toContain(path.join('onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64'));
  }

  it('is lean: dist, the prebuilt addon and the default model, no tests, fixtures, bench or other models', () => {
    const files = packed.files.map((f) => f.path);
    expect(packed.size).toBeLessThanOrEqual(MAX_PACKED_BYTES);
    expect(files).toEqual(expect.arrayContaining([
      'dist/lib/index.js', 'dist/lib/index.d.ts', 'prebuilds/linux-x64/node.napi.glibc.node',
      'models/sentiment-minilm-l6/model.onnx', 'CMakeLists.txt', 'native/session.cc', 'scripts/install.sh',
    ]));
    const stray = files.filter((f) => /^(test|bench|eval|report|lib|examples)\//.test(f) ||
      (f.startsWith('models/') && !f.startsWith('models/sentiment-minilm-l6/')) || f.endsWith('.map'));
    expect(stray).toEqual([]);
  });

  it('npm: install scripts blocked (npm 11 default), the prebuilt loads with no compiler involved', async () => {
    const dir = project('npm-prebuilt');
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], dir);
    expectClassifiesWith(await consume(dir), 'node_modules/onnx-textclf/prebuilds/linux-x64/');
  }, 300_000);

  it('npm --build-from-source: scripts allowed, the addon is compiled in the installed package', async () => {
    // allowScripts names the tarball's spec, as `npm install-scripts approve` writes it; headers come through the
    // ORT_INCLUDE_DIR override (this checkout's cache), since the repository's own install already fetched them.
    const dir = project('npm-source', { allowScripts: { [`file:${tarball}`]: true } });
    const include = (await run('bash', ['scripts/fetch-ort-headers.sh'], packageRoot)).trim();
    await run('nice', ['-n', '10', 'npm', 'install', '--prefer-offline', '--no-audit', '--no-fund', '--build-from-source', tarball],
      dir, { ORT_INCLUDE_DIR: include });
    expectClassifiesWith(await consume(dir), 'node_modules/onnx-textclf/build/Release/engine.node');
  }, 600_000);

  it.skipIf(!pnpmVersion)(`pnpm (${PNPM} through npx): the prebuilt loads from pnpm's store layout`, async () => {
    const dir = project('pnpm-prebuilt');
    // pnpm >= 11 fails an install with undecided dependency build scripts: decline both, as a consumer would.
    writeFileSync(path.join(dir, 'pnpm-workspace.yaml'), 'allowBuilds:\n  onnx-textclf: false\n  onnxruntime-node: false\n');
    await run('npx', ['--yes', PNPM, 'add', '--prefer-offline', tarball], dir);
    const result = await consume(dir);
    expectClassifiesWith(result, '/node_modules/.pnpm/');
    expect(result.addon[0]).toContain('/prebuilds/linux-x64/');
    expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).dependencies).toHaveProperty('onnx-textclf');
  }, 300_000);
});
