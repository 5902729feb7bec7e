#!/usr/bin/env bash
# Run the whole test suite the way CI does: lint, types, then pytest on SQLite and a real
# PostgreSQL server that this script starts in a temporary folder and stops afterwards.
#
#   ./scripts/test.sh            # everything
#   ./scripts/test.sh -k ingest  # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."

EXTRAS="[dev,spark]" . scripts/venv.sh

# --- a throwaway PostgreSQL, unless the caller already points at one ---------------------------
PG_STARTED=""
cleanup() {
  if [[ -n $PG_STARTED ]]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
trap cleanup EXIT
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [[ -z ${REPORTGUARD_TEST_POSTGRES_URL:-} ]]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [[ -n $PG_BIN && -x $PG_BIN/initdb ]]; then
    PG_PORT=${PG_PORT:-55432}
    while (exec 3<>/dev/tcp/127.0.0.1/$PG_PORT) 2>/dev/null; do PG_PORT=$((PG_PORT + 1)); done
    PG_DIR=$(mktemp -d)
    [[ $(id -u) -eq 0 ]] && chown postgres: "$PG_DIR"
    echo "== starting PostgreSQL ($("$PG_BIN/postgres" --version | awk '{print $3}')) on 127.0.0.1:$PG_PORT"
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync >/dev/null
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w start \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off" >/dev/null
    PG_STARTED=1
    export REPORTGUARD_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
  else
    echo "== no PostgreSQL found: PostgreSQL tests will be skipped (CI requires them)"
  fi
fi

echo "== ruff"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check . >/dev/null || { "$VENV/bin/ruff" format --diff . | head -40; exit 1; }
echo "== mypy"
"$VENV/bin/mypy"
echo "== pytest"
"$VENV/bin/python" -m pytest "$@"
