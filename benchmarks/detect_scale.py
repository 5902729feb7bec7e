"""Benchmark: batch detection at scale (the `large` preset, about 10M reports).

    python benchmarks/detect_scale.py --preset large

Simulates the preset as Parquet into benchmarks/data/<preset>-parquet/ (once), then runs the
command a user with a large log runs, ``reportguard detect --reports DIR --no-store --json OUT``,
as a child process (start-up, reading, detection, every report's score, the JSON), and prints its
wall time, its peak memory and the quality of what it wrote. ``--in-process`` instead times the
detection engine alone in a child process (reading the files, fitting, fusing), as before.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from measure import run_measured

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def child(data: Path, out: Path) -> None:
    from reportguard.detect.campaigns import CampaignDetector
    from reportguard.detect.frame import ReportFrame
    from reportguard.evaluate.harness import DetectionResult

    started = time.perf_counter()
    frame = ReportFrame.from_simulation(data)
    loaded = time.perf_counter() - started
    detection = CampaignDetector.default().run(frame)
    seconds = time.perf_counter() - started
    result = DetectionResult.from_found("reportguard", seconds, detection.campaigns)
    result.save(out)
    print(
        json.dumps(
            {
                "reports": len(frame),
                "load_s": round(loaded, 1),
                "detect_s": round(detection.seconds, 1),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="large")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--in-process", action="store_true", help="time the engine alone")
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]))
        return
    from reportguard.evaluate.harness import DetectionResult, Truth, evaluate
    from reportguard.simulate import preset, simulate

    data = HERE / "data" / f"{args.preset}-parquet"
    if not (data / "truth.json").exists():
        started = time.perf_counter()
        simulate(preset(args.preset), data, fmt="parquet")
        print(f"simulated in {time.perf_counter() - started:.0f} s")
    out = HERE / "results" / f"scale-{args.preset}.json"
    out.parent.mkdir(exist_ok=True)
    if not args.in_process:
        command = [str(Path(sys.executable).parent / "reportguard"), "detect", "--reports",
                   str(data), "--no-store", "--show", "0", "--json", str(out)]  # fmt: skip
        seconds, peak, _ = run_measured(command)
        score = evaluate(Truth(data), DetectionResult.load(out))
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        )
        print(
            f"{' '.join(command[1:3])} ... : {seconds:.1f} s wall, peak {peak:,.0f} MiB; member "
            f"F1 {score['members']['f1']:.3f}, campaign-target precision "
            f"{score['targets']['precision']:.3f}, viral called campaign "
            f"{score['targets']['viral_called_campaign']}/{score['targets']['viral']}, brigaded "
            f"found {score['targets']['brigaded_found']}/{score['targets']['brigaded']}"
        )
        return
    seconds, peak, stdout = run_measured([sys.executable, __file__, "--child", str(data), str(out)])
    figures = json.loads(stdout.strip().splitlines()[-1])
    score = evaluate(Truth(data), DetectionResult.load(out))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"{figures['reports']:,} reports: {seconds:.0f} s wall (read {figures['load_s']} s, "
        f"detect {figures['detect_s']} s), peak {peak:,.0f} MiB; member F1 "
        f"{score['members']['f1']:.3f}, report F1 {score['reports']['f1']:.3f}, viral called "
        f"campaign {score['targets']['viral_called_campaign']}/{score['targets']['viral']}, "
        f"brigaded found {score['targets']['brigaded_found']}/{score['targets']['brigaded']}"
    )


if __name__ == "__main__":
    main()
