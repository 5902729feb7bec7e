"""Benchmark: `reportguard simulate` for each preset, wall time and peak memory.

python benchmarks/simulate_bench.py --presets small medium large
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

from measure import run_measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["small", "medium"])
    parser.add_argument("--format", default="jsonl", choices=["jsonl", "parquet"])
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"{'preset':>12} {'reports':>12} {'seconds':>8} {'reports/s':>11} {'peak MiB':>9} {'MB':>7}"
    )
    for name in args.presets:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / name
            cmd = [
                sys.executable,
                "-m",
                "reportguard.cli",
                "simulate",
                "--preset",
                name,
                "--out",
                str(out),
                "--format",
                args.format,
            ]
            seconds, peak, _ = run_measured(cmd)
            reports = json.loads((out / "truth.json").read_text())["reports"]
            size = sum(p.stat().st_size for p in out.iterdir()) / 1e6
        print(
            f"{name:>12} {reports:>12,} {seconds:>8.1f} {reports / seconds:>11,.0f} "
            f"{peak:>9.0f} {size:>7.0f}"
        )


if __name__ == "__main__":
    main()
