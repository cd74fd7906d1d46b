#!/usr/bin/env bash
# npm run setup-python: the repo's git-ignored .venv/ with what the trainer (npm run train) and its tests need.
# torch first and pinned (a bare `torch` resolves to a multi-GB CUDA build), then models/requirements.txt.
# Idempotent: when .venv/ already holds exactly these requirements it returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
REQ=models/requirements.txt
TORCH="torch==2.13.0"
stamp=.venv/.requirements.sha256
want="$(cat "$REQ" | sha256sum | cut -d' ' -f1) $TORCH"
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "setup-python: .venv/ is up to date ($(.venv/bin/python --version))"
  exit 0
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --upgrade --quiet pip
.venv/bin/python -m pip install "$TORCH"
.venv/bin/python -m pip install -r "$REQ"
echo "$want" > "$stamp"
echo "setup-python: .venv/ ready ($(.venv/bin/python --version)); npm run train finds it by itself"
