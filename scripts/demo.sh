#!/usr/bin/env bash
# The quick start: set up a virtual environment, install ReportGuard, and run it on the embedded
# SQLite default with the sample export the repository ships.
#
#   ./scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
if [[ ! -x $VENV/bin/python ]]; then
  echo "== creating $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import reportguard" 2>/dev/null || [[ pyproject.toml -nt $VENV/.installed-base ]]; then
  echo "== installing reportguard"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  "$VENV/bin/python" -m pip install --quiet -e . 2>&1 | grep -v "^WARNING: Location" || true
  "$VENV/bin/python" -c "import reportguard"
  touch "$VENV/.installed-base"
fi

mkdir -p demo
export REPORTGUARD_DATABASE_URL=${REPORTGUARD_DATABASE_URL:-demo/reportguard.db}
echo "== reportguard ingest examples/sample-reports.jsonl   (database: $REPORTGUARD_DATABASE_URL)"
"$VENV/bin/reportguard" ingest examples/sample-reports.jsonl
echo
echo "== reportguard stats"
"$VENV/bin/reportguard" stats
echo
echo "Next: point it at your own export:  $VENV/bin/reportguard --db demo/reportguard.db ingest YOUR-EXPORT.jsonl"
