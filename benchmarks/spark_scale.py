"""Benchmark: the Spark engine in local mode next to the in-process engine, on one preset.

    python benchmarks/spark_scale.py --preset large [--driver-memory 8g]

Both engines run in child processes on the same Parquet files (simulated once into
benchmarks/data/<preset>-parquet/), one after the other: wall time, peak memory (for Spark the
whole process tree: Python driver, JVM, Python workers), quality against the truth, and whether
the two found the same campaigns. Ends with the per-core throughput the 1-billion-report
arithmetic in benchmarks/README.md starts from.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from measure import run_measured, run_measured_tree

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))


def child_local(data: Path, out: Path) -> None:
    from reportguard.detect.campaigns import CampaignDetector
    from reportguard.detect.frame import ReportFrame
    from reportguard.evaluate.harness import DetectionResult

    started = time.perf_counter()
    detection = CampaignDetector.default().run(ReportFrame.from_simulation(data))
    seconds = time.perf_counter() - started
    DetectionResult.from_found("in-process", seconds, detection.campaigns).save(out)
    print(json.dumps({"seconds": seconds}))


def child_spark(data: Path, out: Path, master: str, memory: str) -> None:
    from reportguard.evaluate.harness import DetectionResult
    from reportguard.spark.run import LogLocation, detect_on_spark

    started = time.perf_counter()
    detection = detect_on_spark(
        LogLocation.resolve(str(data)),
        master=master,
        conf={
            "spark.driver.memory": memory,
            "spark.local.dir": str(HERE / "results" / "spark"),
            **dict(pair.split("=", 1) for pair in os.environ.get("SPARK_SCALE_CONF", "").split()),
        },
    )
    seconds = time.perf_counter() - started
    DetectionResult.from_found("spark", seconds, detection.campaigns).save(out)
    print(json.dumps({"seconds": seconds, "waves": detection.examined}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="large")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--skip-local", action="store_true", help="Only the Spark engine.")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, data, out = args.child[:3]
        if kind == "local":
            child_local(Path(data), Path(out))
        else:
            child_spark(Path(data), Path(out), args.master, args.driver_memory)
        return
    from reportguard.evaluate.harness import DetectionResult, Truth, evaluate
    from reportguard.simulate import preset, simulate

    data = HERE / "data" / f"{args.preset}-parquet"
    if not (data / "truth.json").exists():
        simulate(preset(args.preset), data, fmt="parquet")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    truth = Truth(data)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; preset {args.preset}; Spark {args.master}, driver "
        f"memory {args.driver_memory}"
    )
    rows = {}
    for kind in ("local", "spark"):
        if kind == "local" and args.skip_local:
            continue
        out = results / f"spark-scale-{args.preset}-{kind}.json"
        cmd = [sys.executable, __file__, "--master", args.master]
        cmd += ["--driver-memory", args.driver_memory, "--child", kind, str(data), str(out)]
        measure = run_measured if kind == "local" else run_measured_tree
        seconds, peak, _ = measure(cmd)
        result = DetectionResult.load(out)
        score = evaluate(truth, result)
        rows[kind] = result
        print(
            f"{kind:>6}: {seconds:,.0f} s wall, peak {peak:,.0f} MiB; member F1 "
            f"{score['members']['f1']:.3f}, report F1 {score['reports']['f1']:.3f}, "
            f"{len(result.campaigns)} campaigns",
            flush=True,
        )
        if kind == "spark":
            import polars as pl

            n = pl.scan_parquet(data / "reports.parquet").select(pl.len()).collect().item()
            cores = int(args.master.split("[")[1].rstrip("]")) if "[" in args.master else 1
            print(
                f"spark throughput: {n / seconds:,.0f} reports/s on {cores} cores = "
                f"{n / seconds / cores:,.0f} reports/s per core (wall, start-up included)"
            )
    if len(rows) == 2:
        local = {(tuple(c.members), tuple(c.targets)) for c in rows["local"].campaigns}
        spark = {(tuple(c.members), tuple(c.targets)) for c in rows["spark"].campaigns}
        print(
            f"same campaigns (members and targets): {len(local & spark)} of {len(local)} "
            f"in-process, {len(spark)} Spark"
        )


if __name__ == "__main__":
    main()
