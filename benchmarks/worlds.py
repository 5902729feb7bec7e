"""Randomized worlds for the benchmarks: where each lives, and a table of one row per world.

Quality is reported as the worst and the median world, never the best preset: a rule that only
fits one world shows up in the worst row.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from reportguard.simulate import random_spec, simulate

HERE = Path(__file__).resolve().parent


def world(seed: int) -> Path:
    """The folder of randomized world ``seed``, simulated on first use."""
    data = HERE / "data" / f"world-{seed}"
    if not (data / "truth.json").exists():
        simulate(random_spec(seed), data)
    return data


def world_table(
    console: Console,
    *,
    title: str,
    seeds: range,
    measure: Callable[[Path], dict[str, Any]],
    metrics: tuple[tuple[str, bool], ...],
    fmt: Callable[[float | None, str], str],
    result: str,
) -> list[dict[str, Any]]:
    """Measure every world, print one row each and the worst and median rows, keep the JSON.

    ``measure`` returns a row holding ``reports`` and every metric; ``metrics`` names them with
    whether higher is better.
    """
    table = Table(title=title)
    table.add_column("world")
    table.add_column("reports", justify="right")
    for name, _ in metrics:
        table.add_column(name, justify="right")
    rows: list[dict[str, Any]] = []
    for seed in seeds:
        row = {"world": seed} | measure(world(seed))
        rows.append(row)
        table.add_row(
            str(seed), f"{row['reports']:,}", *(fmt(row[name], name) for name, _ in metrics)
        )
    for label, worst in (("worst", True), ("median", False)):
        cells = []
        for name, higher in metrics:
            values = sorted((v for r in rows if (v := r[name]) is not None), reverse=not higher)
            if not values:
                cells.append("-")
                continue
            cells.append(fmt(values[0] if worst else values[len(values) // 2], name))
        table.add_row(f"[bold]{label}", "", *cells)
    console.print(table)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"{result}-{seeds.start}-{seeds.stop - 1}.json").write_text(json.dumps(rows, indent=1))
    return rows
