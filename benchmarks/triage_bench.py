"""Benchmark: the triage queue against a count-based ranking of the same reports, per preset.

    python benchmarks/triage_bench.py --presets small medium adversarial

Simulates each preset into benchmarks/data/<preset>/ (once, parquet), then for a cold start (no
decided history) and for a platform with half its time span decided, ranks the open queue by
ReportGuard's priority and by report count, scored on the ground truth (violating targets).
Prints the tables and writes benchmarks/results/triage.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reportguard.evaluate.report import print_triage
from reportguard.evaluate.triage import evaluate_triage
from reportguard.simulate import preset, simulate

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["small", "medium", "adversarial"])
    parser.add_argument("--history", type=float, default=0.5)
    args = parser.parse_args()
    console = Console(width=160)
    everything = {}
    for name in args.presets:
        data = HERE / "data" / f"{name}-parquet"
        if not (data / "truth.json").exists():
            simulate(preset(name), data, fmt="parquet")
        runs = [evaluate_triage(data, history=h) for h in (0.0, args.history)]
        console.print(f"[bold]{name}[/bold]: scored in {sum(r.seconds for r in runs):.1f} s")
        print_triage(console, runs)
        everything[name] = [vars(r) for r in runs]
    out = HERE / "results" / "triage.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(everything, indent=1, default=str))
    console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
