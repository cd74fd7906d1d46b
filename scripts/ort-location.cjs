// Where the ONNX Runtime library of the npm package onnxruntime-node lives for this platform: the one home of that
// answer for CMake, the install scripts and lib/binding.ts (plain CommonJS, so it runs before dist/ exists).
// Resolved with Node's own module resolution from this package's folder, so it follows wherever npm, pnpm or yarn
// put onnxruntime-node (hoisted beside us, nested, or in pnpm's store).
// CLI: `node scripts/ort-location.cjs [dir|lib|version]` prints one answer, or exits 1 with the reason.
'use strict';
const { existsSync, readdirSync } = require('node:fs');
const path = require('node:path');

const LIBRARY_FILE = { linux: 'libonnxruntime.so.1', darwin: 'libonnxruntime.1.dylib', win32: 'onnxruntime.dll' };
const packageRoot = path.resolve(__dirname, '..');

function ortPackageJson() {
  try {
    return require.resolve('onnxruntime-node/package.json', { paths: [packageRoot] });
  } catch {
    throw new Error(`onnxruntime-node is not installed where ${packageRoot} can resolve it: run npm install`);
  }
}

/** Version of the installed onnxruntime-node, e.g. '1.30.0'. */
function ortVersion() {
  return require(ortPackageJson()).version;
}

/** Absolute path of libonnxruntime for process.platform/arch; throws naming the platforms that have one. */
function ortLibraryFile(platform = process.platform, arch = process.arch) {
  const bin = path.join(path.dirname(ortPackageJson()), 'bin/napi-v6');
  const file = LIBRARY_FILE[platform] && path.join(bin, platform, arch, LIBRARY_FILE[platform]);
  if (file && existsSync(file)) return file;
  const have = existsSync(bin)
    ? readdirSync(bin).flatMap((p) => readdirSync(path.join(bin, p)).map((a) => `${p}-${a}`))
    : [];
  throw new Error(`onnxruntime-node ${ortVersion()} has no ONNX Runtime library for ${platform}-${arch} ` +
    `(it ships: ${have.join(', ') || 'none'}); onnx-textclf cannot run on this platform`);
}

module.exports = { ortLibraryFile, ortVersion };

if (require.main === module) {
  try {
    const what = process.argv[2] ?? 'dir';
    const answers = { dir: () => path.dirname(ortLibraryFile()), lib: ortLibraryFile, version: ortVersion };
    if (!answers[what]) throw new Error(`unknown question '${what}' (dir, lib or version)`);
    console.log(answers[what]());
  } catch (err) {
    console.error(`onnx-textclf: ${err.message}`);
    process.exit(1);
  }
}
