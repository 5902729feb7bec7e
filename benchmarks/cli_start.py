"""Benchmark: how long the command line takes before it answers (`--help`, `stats`, `queue`).

python benchmarks/cli_start.py [--db demo/reportguard.db] [--runs 7]

Each command runs as a fresh process, as a user types it; the table gives the minimum and the
median wall time over the runs. `python -c pass` is the floor (the interpreter's own start).
Without --db a demo database is made first (`reportguard demo --no-serve`, about 20 s).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

from measure import run_measured

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a demo database (made when not given)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rg = str(BIN / "reportguard")
    with tempfile.TemporaryDirectory() as scratch:
        db = args.db
        if db is None:
            run_measured([rg, "demo", "--dir", scratch, "--no-serve"])
            db = Path(scratch) / "reportguard.db"
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "reportguard --help": [rg, "--help"],
            "reportguard stats": [rg, "--db", str(db), "stats"],
            "reportguard queue --limit 10": [rg, "--db", str(db), "queue", "--limit", "10"],
        }
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}"
        )
        print(f"{'command':<30} {'min s':>7} {'median s':>9} {'peak MiB':>9}")
        for name, cmd in commands.items():
            runs = [run_measured(cmd) for _ in range(args.runs)]
            times = [seconds for seconds, _, _ in runs]
            peak = max(mib for _, mib, _ in runs)
            print(f"{name:<30} {min(times):>7.2f} {statistics.median(times):>9.2f} {peak:>9.0f}")


if __name__ == "__main__":
    main()
