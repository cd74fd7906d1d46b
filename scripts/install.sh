#!/usr/bin/env bash
# `npm install` runs this (in a consumer's project only where install scripts are allowed: npm 11 and pnpm 10 skip
# a dependency's scripts unless approved, and the prebuilt then loads without it). It keeps the prebuilt addon of
# prebuilds/ when it loads against the installed onnxruntime-node, and builds from source otherwise, when asked
# (`npm install --build-from-source`, which sets npm_config_build_from_source), or in a git checkout of the project.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/ort-location.cjs lib >/dev/null   # an unsupported platform stops here, with the reason
if [ "${npm_config_build_from_source:-}" != "true" ] && [ ! -e .git ] && [ -d prebuilds ] && [ -d dist/lib ]; then
  if node --input-type=module -e "await import('./dist/lib/binding.js')"; then
    echo "onnx-textclf: using the prebuilt addon in prebuilds/"
    exec bash scripts/install-gpu.sh   # a no-op unless TEXTCLF_GPU=1
  fi
  echo "onnx-textclf: the prebuilt addon does not load here; building from source" >&2
fi
bash scripts/build-native.sh
exec bash scripts/install-gpu.sh   # a no-op unless TEXTCLF_GPU=1
