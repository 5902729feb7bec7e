#!/usr/bin/env bash
# The quick start: set up a virtual environment, install ReportGuard, and run `reportguard demo`:
# a synthetic platform into a fresh SQLite database (demo/reportguard.db), detection, the queue,
# a summary against the ground truth, demo keys, and the dashboard on http://127.0.0.1:8000/.
#
#   ./scripts/demo.sh                 # Ctrl+C stops the dashboard
#   ./scripts/demo.sh --port 8080     # options go to `reportguard demo` (see docs/cli.md)
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/venv.sh

exec "$VENV/bin/reportguard" demo --dir demo "$@"
