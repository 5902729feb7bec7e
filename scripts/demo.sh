#!/usr/bin/env bash
# The quick start: set up a virtual environment, install ReportGuard, and run it on the embedded
# SQLite default with the sample export the repository ships: import, stats, detection.
#
#   ./scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/venv.sh

mkdir -p demo
export REPORTGUARD_DATABASE_URL=${REPORTGUARD_DATABASE_URL:-demo/reportguard.db}
echo "== reportguard ingest examples/sample-reports.jsonl   (database: $REPORTGUARD_DATABASE_URL)"
"$VENV/bin/reportguard" ingest examples/sample-reports.jsonl
echo
echo "== reportguard stats"
"$VENV/bin/reportguard" stats
echo
echo "== reportguard detect"
"$VENV/bin/reportguard" detect --show 3
echo
echo "== reportguard triage && reportguard queue"
"$VENV/bin/reportguard" triage
"$VENV/bin/reportguard" queue --limit 5
echo
echo "Next: point it at your own export:  $VENV/bin/reportguard --db demo/reportguard.db ingest YOUR-EXPORT.jsonl"
