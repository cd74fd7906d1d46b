#!/usr/bin/env bash
# `npm install` runs this: fetch the ONNX Runtime headers, then build the addon with cmake-js (Node-API headers
# from the npm package node-api-headers, so nothing is downloaded from nodejs.org).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch-ort-headers.sh
npx --no-install cmake-js compile --out build --config Release ${CMAKE_JS_FLAGS:-}
# TEXTCLF_GPU=1 npm install also fetches the GPU provider libraries (a no-op otherwise). In a fresh clone dist/
# does not exist yet and `prepare` does it after compiling; an installed package ships dist/.
if [ -f dist/scripts/setup-gpu.js ]; then node dist/scripts/setup-gpu.js --from-install; fi
