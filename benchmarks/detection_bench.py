"""Benchmark: detectors side by side on a simulated platform, scored by the same harness.

    python benchmarks/detection_bench.py --preset medium
    python benchmarks/detection_bench.py --worlds 20 --first-seed 100

Simulates the preset into benchmarks/data/<preset>/ (once), then runs in one process:
ReportGuard's batch engine, the naive count baseline, coordination-network-toolkit and
rgmining-fraudar (through benchmarks/peers.py), and any result files given with --result.
Prints the evaluation table and writes benchmarks/results/detection-<preset>.json.

With ``--worlds N`` it instead draws N randomized worlds (``simulate --randomize``, seeds from
``--first-seed``), runs the batch engine on each and prints one row per world, then the worst
and the median world for each metric (benchmarks/results/detection-worlds-<first>-<last>.json).
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
from typing import Any

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.peers import coordination_network_toolkit, fraudar
from benchmarks.worlds import world_table
from reportguard.detect.campaigns import CampaignDetector
from reportguard.detect.frame import ReportFrame
from reportguard.detect.incremental import IncrementalDetector
from reportguard.detect.report_scores import score_reports
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
    frame = ReportFrame.from_simulation(data)
    detection = CampaignDetector.default().run(frame)
    seconds = time.perf_counter() - started
    # Per-report scores are ReportGuard's alone (no peer gives them): outside the timing.
    scores = score_reports(frame, detection.campaigns)
    return DetectionResult.from_found("reportguard", seconds, detection.campaigns, scores)


# Per world: (column, where in the evaluation, higher is better).
WORLD_METRICS = (
    ("member F1", ("members", "f1"), True),
    ("traceless", ("members_traced", "traceless_brigades"), False),
    ("member F1 traced", ("members_traced", "f1"), True),
    ("target prec.", ("targets", "precision"), True),
    ("brigaded found", ("targets", "brigaded_found_share"), True),
    ("violators listed", ("targets", "violators_listed"), False),
    ("wave violators listed", ("targets", "viral_called_campaign"), False),
    ("innocents listed", ("targets", "innocent_listed"), False),
    ("report ROC-AUC", ("report_level", "score_roc_auc"), True),
    ("stream ROC-AUC", ("report_level", "stream_roc_auc"), True),
)


def _metric(score: dict[str, Any], path: tuple[str, str]) -> float | None:
    value = score[path[0]].get(path[1])
    return None if value is None else float(value)


def _world_row(data: Path) -> dict[str, Any]:
    truth = Truth(data)
    score = evaluate(truth, reportguard(data))
    found = score["targets"]
    found["brigaded_found_share"] = (
        round(found["brigaded_found"] / found["brigaded"], 4) if found["brigaded"] else None
    )
    row: dict[str, Any] = {"reports": len(truth.reports), "brigades": len(truth.campaigns)}
    return row | {name: _metric(score, path) for name, path, _ in WORLD_METRICS}


def worlds(console: Console, first: int, count: int) -> None:
    """Detection over randomized worlds: one row each, then the worst and the median."""
    world_table(
        console,
        title=f"Detection on randomized worlds {first} to {first + count - 1}",
        seeds=range(first, first + count),
        measure=_world_row,
        metrics=(("brigades", True), *((name, higher) for name, _, higher in WORLD_METRICS)),
        fmt=_cell,
        result="detection-worlds",
    )


def _cell(value: float | None, name: str) -> str:
    if value is None:
        return "-"
    counts = name.endswith("listed") or name in ("brigades", "traceless")
    return f"{value:g}" if counts else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="small")
    parser.add_argument("--result", type=Path, action="append", default=[])
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--campaigns", action="store_true", help="per-campaign tables too")
    parser.add_argument("--worlds", type=int, default=0, help="randomized worlds instead")
    parser.add_argument("--first-seed", type=int, default=0, help="the first world's seed")
    args = parser.parse_args()
    console = Console(width=160)
    if args.worlds:
        worlds(console, args.first_seed, args.worlds)
        return
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
