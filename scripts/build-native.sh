#!/usr/bin/env bash
# Builds the addon from source into build/Release with cmake-js: ONNX Runtime headers from
# scripts/fetch-ort-headers.sh (or $ORT_INCLUDE_DIR), its library from onnxruntime-node, the Node-API headers from
# the npm package node-api-headers, so nothing is downloaded from nodejs.org.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/ort-location.cjs lib >/dev/null   # an unsupported platform stops here, with the reason
include=$(bash scripts/fetch-ort-headers.sh)
# cmake-js resolved like onnxruntime-node: it may sit in a parent node_modules when installed as a dependency.
cmake_js=$(node -p "require.resolve('cmake-js/bin/cmake-js')")
node "$cmake_js" compile --out build --config Release --CDORT_INCLUDE_DIR="$include" ${CMAKE_JS_FLAGS:-}
