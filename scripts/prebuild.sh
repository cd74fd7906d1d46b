#!/usr/bin/env bash
# Part of `prepare` (what `npm pack`, `npm publish` and a git-URL install run): puts the addon built from source
# into prebuilds/<platform>-<arch>/ in prebuildify's layout (node.napi.glibc.node: Node-API 8, so one file serves
# every Node >= 20), with prebuild.json recording the onnxruntime-node it was linked against; lib/binding.ts uses it
# only against that same version. linux-x64 with glibc only: elsewhere the package builds from source at install.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf prebuilds
platform=$(node -p 'process.platform + "-" + process.arch')
if [ "$platform" != linux-x64 ] || ! ldd --version 2>&1 | grep -qiE 'glibc|gnu libc'; then
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
  "builtWith": "$(ldd --version | head -1 | sed 's/"//g'), $(c++ --version | head -1 | sed 's/"//g')"
}
JSON
echo "onnx-textclf: prebuilt $dest/node.napi.glibc.node ($(du -k "$dest/node.napi.glibc.node" | cut -f1) KB)" >&2
