#!/usr/bin/env bash
# TEXTCLF_GPU=1 npm install: fetch the GPU provider libraries (npm run setup-gpu) once the addon and dist/ exist.
# A no-op without TEXTCLF_GPU=1, so a CPU install never loads the addon here. Called at the end of the install
# script (an installed package ships dist/) and after `prepare` compiles dist/ in a fresh clone; it is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${TEXTCLF_GPU:-}" = 1 ] || exit 0
[ -f dist/scripts/setup-gpu.js ] || exit 0
exec node dist/scripts/setup-gpu.js ${TEXTCLF_GPU_ARGS:-}
