"""Benchmark: where batch detection spends its time and memory, phase by phase.

    python benchmarks/detect_phases.py --preset large
    python benchmarks/detect_phases.py --preset medium

Reads the preset's simulated log (simulated once into benchmarks/data/), runs the in-process
engine as ``reportguard detect --reports`` does (read, fit, score, every report's score) and
prints one row per phase: its seconds, its share of the whole, and the process's peak memory
(ru_maxrss) when it ended, so a phase that raises the peak shows where it happens. The phases
come from ``Detection.phases`` (``reportguard.detect.campaigns.PhaseClock``).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _peak_mib() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="medium")
    args = parser.parse_args()

    from rich.console import Console
    from rich.table import Table

    from reportguard.detect.campaigns import CampaignDetector
    from reportguard.detect.log import LogFiles, read_log
    from reportguard.detect.report_scores import score_reports
    from reportguard.simulate import preset, simulate

    data = HERE / "data" / f"{args.preset}-parquet"
    if not (data / "truth.json").exists():
        simulate(preset(args.preset), data, fmt="parquet")
    rows: list[tuple[str, float, int]] = []
    started = time.perf_counter()
    frame = read_log(LogFiles.resolve(data, None))
    rows.append(("read the log", time.perf_counter() - started, _peak_mib()))
    detection = CampaignDetector.default().run(frame)
    rows.extend((name, seconds, peak) for name, (seconds, peak) in detection.phases.items())
    mark = time.perf_counter()
    score_reports(frame, detection.campaigns, suspects=detection.suspects)
    rows.append(("every report's score", time.perf_counter() - mark, _peak_mib()))
    total = time.perf_counter() - started

    table = Table(
        title=f"{args.preset}: {len(frame):,} reports, {len(detection.campaigns)} campaigns, "
        f"{total:.1f} s in all ({platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()})"
    )
    for column in ("phase", "seconds", "share", "peak MiB after"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for name, seconds, peak in rows:
        table.add_row(name, f"{seconds:.2f}", f"{seconds / total:.0%}", f"{peak:,}")
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
