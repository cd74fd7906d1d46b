#!/usr/bin/env bash
# One run, the whole GPU story, in about 5 minutes on a GPU machine (5-6 the first time, when the models are made):
#   real-size models -> setup-gpu -> doctor (--require cuda) -> CUDA tests (CPU parity, 5,000-call burst, inline runs, dispose in
#   flight) -> npm run bench -- --gpu-only --gpu-models DIR
# Every step's output goes to one results folder; a PASS/FAIL/SKIP summary is printed at the end and saved.
# The models step makes random-weight MiniLM-L6 and BERT-base shape classifiers, fp32 and fp16
# (models/scripts/make_gpu_models.py: 0.8 GB, 40-90 s on a 2-core VM; a rerun reuses them), so the bench rows
# measure the GPU, not only the tiny fixture's JavaScript-thread ceiling. Its Python: --python, $TEXTCLF_PYTHON, the
# repo's .venv, python3; without the packages (and no --python / $TEXTCLF_PYTHON) it runs `npm run setup-python`
# first. If that fails the step is FAIL with the reason and the bench still runs on what exists. The bench rows cost
# about 35 s per model and precision (3 contestants x 1/64/256 callers x 3.5 s), 5 of them with the models.
#
# usage: scripts/gpu-check.sh [--wheel FILE] [--python PATH] [--out DIR] [--models DIR] [--quick] [--tensorrt]
#   --wheel FILE   the onnxruntime-gpu wheel (same version as onnxruntime-node) if this machine has no PyPI access
#   --python PATH  Python for pip, the nvidia-* wheels' site-packages and the models (default: $TEXTCLF_PYTHON, .venv,
#                  python3)
#   --out DIR      results folder (default: gpu-check-results/<UTC timestamp>)
#   --models DIR   where the real-size models go (default: models/.work/gpu-models, git-ignored)
#   --quick        short bench rows (the default gives each row ~3.5 s)
#   --tensorrt     bench rows on tensorrt too (TensorRT builds an engine per session: minutes; off keeps the 5 minutes)
#
# Exit status: 0 every check passed; 1 a check failed; 2 no GPU here (nvidia-smi finds none): the GPU checks are
# reported SKIP, setup-gpu runs only with --wheel, and doctor and the gated tests still run to show what is missing.
set -uo pipefail
cd "$(dirname "$0")/.."

WHEEL="" PYTHON_ARG="" PYTHON_FLAG=() OUT="" QUICK=() PROVIDERS=cuda GPU_MODELS=models/.work/gpu-models
while [ $# -gt 0 ]; do
  case "$1" in
    --wheel) WHEEL="$(realpath "$2")"; shift 2 ;;
    --python) PYTHON_ARG="$2" PYTHON_FLAG=(--python "$2"); shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --models) GPU_MODELS="$2"; shift 2 ;;
    --quick) QUICK=(--quick); shift ;;
    --tensorrt) PROVIDERS=cuda,tensorrt; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
done
OUT="${OUT:-gpu-check-results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
BEGAN=$(date +%s)
FAILED=0

record() { # name status seconds detail
  printf '%-12s %-5s %4ss  %s\n' "$1" "$2" "$3" "$4" | tee -a "$SUMMARY"
  [ "$2" = FAIL ] && FAILED=1
  return 0
}

# run NAME LOG -- command...: runs it with its output in $OUT/LOG; sets RC and SECS.
run() {
  local name="$1" log="$OUT/$2"; shift 3
  local t0=$(date +%s)
  echo "== $name: $*" | tee "$log"
  "$@" >>"$log" 2>&1
  RC=$?
  SECS=$(( $(date +%s) - t0 ))
  echo "== $name: exit $RC after ${SECS}s" >>"$log"
}

# The machine.
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"; echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "node: $(node --version)"; echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs) x $(nproc)"
} > "$OUT/machine.txt"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >>"$OUT/machine.txt" 2>&1 && nvidia-smi -L | grep -q GPU; then
  GPU=1
  nvidia-smi >>"$OUT/machine.txt" 2>&1
  record machine PASS 0 "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -1)"
else
  GPU=0
  record machine SKIP 0 "NO GPU on this machine (nvidia-smi finds none): GPU checks are skipped, exit status 2"
fi

# The package: addon built, TypeScript compiled (one tsc for every step below).
if [ ! -f build/Release/engine.node ]; then run build build.log -- npm install; fi
run compile compile.log -- npx --no-install tsc -p tsconfig.json
if [ "$RC" -ne 0 ]; then record compile FAIL "$SECS" "tsc failed: $OUT/compile.log"; fi

# 1. Real-size models for the bench rows. The Python as setup-gpu picks it; npm run setup-python when it lacks packages.
PY="${PYTHON_ARG:-${TEXTCLF_PYTHON:-}}"
EXPLICIT_PY="$PY"
[ -n "$PY" ] || { [ -x .venv/bin/python ] && PY=.venv/bin/python; } || PY=python3
MAKE_MODELS=(models/scripts/make_gpu_models.py --out "$GPU_MODELS")
T0=$(date +%s)
"$PY" "${MAKE_MODELS[@]}" --check-env >"$OUT/models-env.log" 2>&1
ENV_RC=$?
WHY="$(tail -1 "$OUT/models-env.log")" SETUP_NOTE=""
if [ "$ENV_RC" -ne 0 ] && [ -z "$EXPLICIT_PY" ]; then
  run setup-python setup-python.log -- npm run setup-python
  if [ "$RC" -eq 0 ]; then
    SETUP_NOTE="; npm run setup-python made .venv first (${SECS}s)"
    PY=.venv/bin/python
    "$PY" "${MAKE_MODELS[@]}" --check-env >"$OUT/models-env.log" 2>&1
    ENV_RC=$?
    WHY="$(tail -1 "$OUT/models-env.log")"
  else
    SETUP_NOTE="; npm run setup-python failed (exit $RC: $(grep -v '^==' "$OUT/setup-python.log" | tail -1))"
  fi
fi
if [ "$ENV_RC" -ne 0 ]; then
  record models FAIL $(( $(date +%s) - T0 )) "$WHY$SETUP_NOTE; the bench runs on what exists"
else
  run models models.log -- "$PY" "${MAKE_MODELS[@]}"
  SECS=$(( $(date +%s) - T0 ))
  MADE="$(node -e 'const r=require(process.argv[1]);console.log(`${r.models.map(m=>m.name).join(", ")}: ${(r.models.reduce((s,m)=>s+m.bytes,0)/1e6).toFixed(0)} MB`)' "$(realpath "$GPU_MODELS/models.json")" 2>/dev/null || echo 'no models.json')"
  REUSED="$(grep -q 'already holds' "$OUT/models.log" && echo ', reused')"
  if [ "$RC" -eq 0 ]; then record models PASS "$SECS" "$MADE in $GPU_MODELS$REUSED$SETUP_NOTE"
  else record models FAIL "$SECS" "$(grep -v '^==' "$OUT/models.log" | tail -1)$SETUP_NOTE; the bench runs on what exists"; fi
fi

# 2. setup-gpu
if [ "$GPU" = 1 ] || [ -n "$WHEEL" ]; then
  run setup-gpu setup-gpu.log -- node dist/scripts/setup-gpu.js --ort-node ${WHEEL:+--wheel "$WHEEL"} "${PYTHON_FLAG[@]}"
  if [ "$RC" -eq 0 ]; then record setup-gpu PASS "$SECS" "provider libraries in place ($OUT/setup-gpu.log)"
  else record setup-gpu FAIL "$SECS" "$(grep '\[setup-gpu\]' "$OUT/setup-gpu.log" | tail -1)"; fi
else
  record setup-gpu SKIP 0 "no GPU and no --wheel FILE (nothing downloaded)"
fi

# 3. doctor: which providers load and run; the fix for each missing library
run doctor doctor.log -- node dist/scripts/doctor.js --json "$OUT/doctor.json" --require cuda
CUDA_LINE="$(grep -E '^  cuda ' "$OUT/doctor.log" | head -1 | sed 's/^ *//')"
if [ "$RC" -eq 0 ]; then record doctor PASS "$SECS" "$CUDA_LINE"
elif [ "$GPU" = 0 ]; then record doctor SKIP "$SECS" "$CUDA_LINE"
else record doctor FAIL "$SECS" "$CUDA_LINE (fixes in $OUT/doctor.log)"; fi

# 4. CUDA tests (a skip on a GPU machine is a failure: TEXTCLF_REQUIRE_CUDA=1)
REQUIRE=0; [ "$GPU" = 1 ] && REQUIRE=1
run cuda-tests cuda-tests.log -- env TEXTCLF_REQUIRE_CUDA=$REQUIRE npx --no-install vitest run test/cuda.test.ts \
  --reporter=verbose --reporter=json --outputFile.json="$OUT/cuda-tests.json"
COUNTS="$(node -e 'const r=require(process.argv[1]);console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`)' "$(realpath "$OUT/cuda-tests.json")" 2>/dev/null || echo 'no JSON report')"
if [ "$RC" -ne 0 ]; then record cuda-tests FAIL "$SECS" "$COUNTS ($OUT/cuda-tests.log)"
elif [ "$GPU" = 0 ]; then record cuda-tests SKIP "$SECS" "$COUNTS (gated on the provider)"
elif echo "$COUNTS" | grep -q '^[1-9][0-9]* passed, 0 failed, 0 skipped'; then record cuda-tests PASS "$SECS" "$COUNTS"
else record cuda-tests FAIL "$SECS" "$COUNTS"; fi

# 5. GPU bench rows (the tiny fixture's fp32 row shows the JavaScript thread's ceiling; the real-size models the GPU's)
run bench bench.log -- node dist/bench/cli.js --gpu-only --gpu-models "$GPU_MODELS" --gpu-providers "$PROVIDERS" "${QUICK[@]}" --json "$OUT/bench.json"
PEERS_NOTE=""
if [ "$RC" -gt 1 ] && [ "$GPU" = 1 ]; then
  # A crash (not "no provider loads"): two ONNX Runtime copies on one GPU in one process is the likely cause, so the
  # engine rows are measured again without the onnxruntime-node peer.
  run bench-engine bench-engine.log -- node dist/bench/cli.js --gpu-only --no-peers --gpu-models "$GPU_MODELS" --gpu-providers "$PROVIDERS" "${QUICK[@]}" --json "$OUT/bench.json"
  PEERS_NOTE="; with onnxruntime-node in the process it crashed (bench.log), these rows are without it"
  sed -n '/^# /,$p' "$OUT/bench-engine.log" > "$OUT/bench.md"
else
  sed -n '/^# /,$p' "$OUT/bench.log" > "$OUT/bench.md"
fi
ROWS="$(node --input-type=module -e 'import { readFileSync } from "node:fs"; import { gpuSummary } from "./dist/bench/report.js";
  console.log(gpuSummary(JSON.parse(readFileSync(process.argv[1], "utf8"))))' "$OUT/bench.json" 2>/dev/null || echo 'no JSON')"
if [ "$RC" -eq 0 ]; then record bench PASS "$SECS" "$ROWS ($OUT/bench.md)$PEERS_NOTE"
elif [ "$GPU" = 0 ]; then record bench SKIP "$SECS" "$ROWS ($OUT/bench.md)"
else record bench FAIL "$SECS" "$ROWS ($OUT/bench.log)"; fi

TOTAL=$(( $(date +%s) - BEGAN ))
echo "total ${TOTAL}s$([ "$TOTAL" -gt 300 ] && echo ' (over the 5-minute budget)'); results in $OUT" | tee -a "$SUMMARY"
if [ "$FAILED" = 1 ]; then echo "gpu-check: FAIL"; exit 1; fi
if [ "$GPU" = 0 ]; then echo "gpu-check: SKIP (no GPU on this machine)"; exit 2; fi
echo "gpu-check: PASS"
