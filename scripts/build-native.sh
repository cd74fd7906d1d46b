#!/usr/bin/env bash
# `npm install` runs this: fetch the ONNX Runtime headers, then build the addon with cmake-js (Node-API headers
# from the npm package node-api-headers, so nothing is downloaded from nodejs.org).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch-ort-headers.sh
npx --no-install cmake-js compile --out build --config Release ${CMAKE_JS_FLAGS:-}
bash scripts/install-gpu.sh  # TEXTCLF_GPU=1 only
