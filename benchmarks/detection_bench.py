"""Benchmark: detectors side by side on a simulated platform, scored by the same harness.

    python benchmarks/detection_bench.py --preset medium

Simulates the preset into benchmarks/data/<preset>/ (once), then runs in one process:
ReportGuard's batch engine, the naive count baseline, coordination-network-toolkit and
rgmining-fraudar (through benchmarks/peers.py), and any result files given with --result.
Prints the evaluation table and writes benchmarks/results/detection-<preset>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import sys
import time
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.peers import coordination_network_toolkit, fraudar
from reportguard.detect.campaigns import CampaignDetector
from reportguard.detect.frame import ReportFrame
from reportguard.detect.incremental import IncrementalDetector
from reportguard.evaluate.baselines import burst_threshold
from reportguard.evaluate.harness import DetectionResult, Truth, evaluate
from reportguard.evaluate.report import print_campaigns, print_table
from reportguard.simulate import preset, simulate

HERE = Path(__file__).resolve().parent


def reportguard_incremental(data: Path, batch: int = 5000) -> DetectionResult:
    """The incremental engine fed the stream in batches; its first-flag times are scored."""
    frame = ReportFrame.from_simulation(data)
    detector = IncrementalDetector(accounts=frame.accounts)
    started = time.perf_counter()
    for i in range(0, len(frame), batch):
        detector.update(frame.reports.slice(i, batch))
    seconds = time.perf_counter() - started
    name = (
        f"reportguard incremental ({batch:,}-report batches, {len(frame) / seconds:,.0f} reports/s)"
    )
    return DetectionResult.from_found(name, seconds, detector.settle().campaigns)


def reportguard(data: Path) -> DetectionResult:
    """ReportGuard's batch engine, timed from reading the files (as the peers are)."""
    started = time.perf_counter()
    detection = CampaignDetector.default().run(ReportFrame.from_simulation(data))
    seconds = time.perf_counter() - started
    return DetectionResult.from_found("reportguard", seconds, detection.campaigns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="small")
    parser.add_argument("--result", type=Path, action="append", default=[])
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--campaigns", action="store_true", help="per-campaign tables too")
    args = parser.parse_args()
    console = Console(width=160)
    data = HERE / "data" / args.preset
    if not (data / "truth.json").exists():
        started = time.perf_counter()
        summary = simulate(preset(args.preset), data)
        console.print(
            f"simulated {summary['reports']:,} reports in "
            f"{time.perf_counter() - started:.1f} s into {data}"
        )
    truth = Truth(data)
    console.print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; preset {args.preset}: {len(truth.reports):,} reports, "
        f"{len(truth.campaigns)} planted campaigns"
    )
    results = [reportguard(data), reportguard_incremental(data)]
    results += [DetectionResult.load(p) for p in args.result]
    results.append(burst_threshold(truth))
    if not args.skip_peers:
        for peer in (coordination_network_toolkit, fraudar):
            with contextlib.redirect_stdout(io.StringIO()):  # the peers print progress chatter
                results.append(peer(truth))
    scores = [evaluate(truth, r) for r in results]
    print_table(console, scores)
    if args.campaigns:
        for score in scores:
            print_campaigns(console, score)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"detection-{args.preset}.json").write_text(json.dumps(scores, indent=1, default=str))


if __name__ == "__main__":
    main()
