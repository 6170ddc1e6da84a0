#!/usr/bin/env bash
# Set up (scripts/setup.sh), then lint, type-check and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
printf '\n== ruff\n'
ruff check .
ruff format --check .
printf '\n== mypy (strict)\n'
mypy
printf '\n== pytest\n'
pytest "$@"
