"""Benchmark: the triage queue against a count-based ranking of the same reports, per preset.

    python benchmarks/triage_bench.py --presets small medium adversarial
    python benchmarks/triage_bench.py --worlds 20 --first-seed 100

Simulates each preset into benchmarks/data/<preset>/ (once, parquet), then for a cold start (no
decided history) and for a platform with half its time span decided, ranks the open queue by
ReportGuard's priority and by report count, scored on the ground truth (violating targets).
Prints the tables and writes benchmarks/results/triage.json.

With ``--worlds N`` it ranks the open queue of N randomized worlds instead, cold and with history,
one row per world and the worst and median rows (benchmarks/results/triage-worlds-<a>-<b>.json).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.worlds import world_table
from reportguard.evaluate.harness import Truth
from reportguard.evaluate.report import print_triage
from reportguard.evaluate.triage import evaluate_triage
from reportguard.simulate import preset, simulate

HERE = Path(__file__).resolve().parent


# Per world: (column, higher is better).
WORLD_METRICS = (
    ("violators", True),
    ("cold: violators in top 50", True),
    ("cold: count's", True),
    ("cold: brigaded in top 50", False),
    ("history: p@50", True),
    ("history: count's", True),
    ("history: brigaded in top 50", False),
    ("cold: Brier", False),
    ("cold: worst decile gap", False),
    ("history: Brier", False),
    ("history: worst decile gap", False),
    ("refitted: worst decile gap", False),
)


def _world_row(data: Path, history: float) -> dict[str, Any]:
    truth = Truth(data)
    cold, past = (evaluate_triage(data, history=h) for h in (0.0, history))
    ours, count = cold.scores["reportguard"], cold.scores["count"]
    return {
        "reports": len(truth.reports),
        "violators": len(truth.violating),
        "cold: violators in top 50": round(ours["p@50"] * 50),
        "cold: count's": round(count["p@50"] * 50),
        "cold: brigaded in top 50": ours["brigaded_in_top_50"],
        "history: p@50": past.scores["reportguard"]["p@50"],
        "history: count's": past.scores["count"]["p@50"],
        "history: brigaded in top 50": past.scores["reportguard"]["brigaded_in_top_50"],
        "cold: Brier": cold.brier,
        "cold: worst decile gap": round(cold.worst_gap(), 3),
        "history: Brier": past.brier,
        "history: worst decile gap": round(past.worst_gap(), 3),
        "refitted: worst decile gap": round(past.worst_gap(fitted=True), 3),
    }


def _cell(value: float | None, name: str) -> str:
    if value is None:
        return "-"
    if name.endswith("Brier") or name.endswith("gap"):
        return f"{value:.3f}"
    return f"{value:.2f}" if name.endswith("p@50") or name == "history: count's" else f"{value:g}"


def worlds(console: Console, first: int, count: int, history: float) -> None:
    """The queue on randomized worlds: one row each, then the worst and the median."""
    world_table(
        console,
        title=f"Triage on randomized worlds {first} to {first + count - 1}",
        seeds=range(first, first + count),
        measure=lambda data: _world_row(data, history),
        metrics=WORLD_METRICS,
        fmt=_cell,
        result="triage-worlds",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["small", "medium", "adversarial"])
    parser.add_argument("--history", type=float, default=0.5)
    parser.add_argument("--worlds", type=int, default=0, help="randomized worlds instead")
    parser.add_argument("--first-seed", type=int, default=0, help="the first world's seed")
    args = parser.parse_args()
    console = Console(width=200)
    if args.worlds:
        worlds(console, args.first_seed, args.worlds, args.history)
        return
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
