#!/usr/bin/env bash
# `prepare`: what `npm install` in a checkout, `npm pack`, `npm publish` and a git-URL install all run (`prepack`
# runs for pack and publish only, never for a git dependency, hence `prepare`). Compiles dist/, then puts the
# addon built from source into prebuilds/<platform>-<arch>/ in prebuildify's layout (node.napi.glibc.node:
# Node-API 8, so one file serves every Node >= 20), with prebuild.json recording the onnxruntime-node it was linked
# against; lib/binding.ts uses it only against that same version. linux-x64 with glibc only: elsewhere the package
# builds from source at install.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/tsc ]; then
  echo "onnx-textclf: run npm install first (dist/ is compiled with the dev dependencies)" >&2
  exit 1
fi
node_modules/.bin/tsc -p tsconfig.json
rm -rf prebuilds
platform=$(node -p 'process.platform + "-" + process.arch')
libc=$(ldd --version 2>&1 | head -1 || true)
if [ "$platform" != linux-x64 ] || ! [[ "$libc" =~ GLIBC|"GNU libc" ]]; then
  echo "onnx-textclf: no prebuilt addon for $platform without glibc; installs there build from source" >&2
  exit 0
fi
bash scripts/build-native.sh >/dev/null   # incremental: a no-op when build/Release is current
dest=prebuilds/linux-x64
mkdir -p "$dest"
strip --strip-unneeded -o "$dest/node.napi.glibc.node" build/Release/engine.node
cat > "$dest/prebuild.json" <<JSON
{
  "file": "node.napi.glibc.node",
  "onnxruntimeNode": "$(node scripts/ort-location.cjs version)",
  "napi": 8,
  "builtWith": "${libc//\"/}, $(c++ --version | head -1 | tr -d '"')"
}
JSON
echo "onnx-textclf: prebuilt $dest/node.napi.glibc.node ($(du -k "$dest/node.napi.glibc.node" | cut -f1) KB)" >&2
bash scripts/install-gpu.sh   # TEXTCLF_GPU=1 in a checkout: dist/ exists only from here on
