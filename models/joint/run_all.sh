#!/usr/bin/env bash
# Train and export the six models, committed ones first. Resumable: rerun it; finished steps are skipped
# (train.py: summary.json exists; export.py --skip-done: manifest.json newer than best/), a killed training resumes
# from its checkpoint.
#   models/joint/run_all.sh            # all six, in sequence
#   models/joint/run_all.sh snips      # only the SNIPS three (joint, intent, slots); likewise `massive`
# THREADS (default 1): torch/ORT threads per job. On a shared 2-core box 2 threads lose 4-5x to oversubscription
# whenever anything else runs (measured 0.22 vs 1.07 steps/s); 1 thread per job is the robust choice.
# The multi-head models get 2x the epochs of each single-task model: the same training compute as the dual
# pair. At 3 epochs the MASSIVE intent head lagged the intent-only model by ~7 points (the heads share each update).
set -euo pipefail
cd "$(dirname "$0")"
THREADS=${THREADS:-1}
EPOCHS=${EPOCHS:-3}
LR=${LR:-1e-4}
mkdir -p ../.work/joint
declare -A JOBS=([snips]="intent,slots:$((2 * EPOCHS)) intent:$EPOCHS slots:$EPOCHS"
                 [massive]="intent,scenario:$((2 * EPOCHS)) intent:$EPOCHS scenario:$EPOCHS")
for task in ${1:-snips massive}; do
  for job in ${JOBS[$task]}; do
    heads=${job%:*} epochs=${job#*:}
    echo "=== $task $heads, $epochs epochs ($(date -u +%H:%M:%S))"
    python train.py --task "$task" --heads "$heads" --epochs "$epochs" --lr "$LR" --batch-size 32 --max-length 64 \
      --threads "$THREADS"
    python export.py --task "$task" --heads "$heads" --threads "$THREADS" --skip-done
  done
done
echo "=== done ($(date -u +%H:%M:%S))"
