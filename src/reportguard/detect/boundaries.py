"""Where a campaign ends: which reporters form a group, and which targets that group really hit.

A campaign's targets are shielded and their owners told they are a brigade's victims, so a target
belongs to a campaign only on evidence about that target. Three rules keep boundaries tight:

- **Pairs that meet more than their activity explains.** Two heavy reporters (a trusted flagger,
  a platform's bot) meet on the same targets in the same hour often, by sheer volume. A pair is
  linked only when its meetings are far more than ``d_a * d_b * q`` predicts, where ``d`` is how
  many (target, hour) cells a reporter appears in and ``q`` the chance that two random entries
  share a cell. This is a significance-filtered backbone of the co-report graph.
- **Communities, not components.** Groups come from Leiden community detection on the weighted
  backbone (Traag, Waltman and van Eck, 2019), so one bridge between two rings, or a crowd that
  members of several rings joined, does not chain them into one.
- **Every target on its own evidence.** A group's reports on a target count only when the group
  is far more concentrated among that target's reporters, over the same span, than its share of
  all reporters predicts: the same effect-size-and-tail test as every signal (``evidence.gated``
  over a binomial tail). A member's reports elsewhere never add a target by themselves; a target
  inside a viral crowd, where a few members happened to report too, is left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

import numpy as np
import polars as pl

from reportguard.detect.graph import connected_components
from reportguard.detect.signals.evidence import binomial_surprise, gated, poisson_surprise

TARGET_EVIDENCE_SCHEMA = {
    "target_id": pl.Utf8,
    "members": pl.UInt32,
    "crowd": pl.UInt32,
    "start": pl.Int64,
    "end": pl.Int64,
    "expected": pl.Float64,
    "share": pl.Float64,
    "surprise": pl.Float64,
}


def backbone(
    meetings: pl.DataFrame,
    cells: pl.DataFrame,
    *,
    min_ratio: float = 10.0,
    min_surprise: float = 3.0,
) -> pl.DataFrame:
    """The pairs whose meetings their activity does not explain.

    ``meetings`` has one row per pair (``r``, ``r_b``) with ``targets``, the distinct targets
    they met on; ``cells`` one row per (``r``, ``g``, ``w``) a reporter appears in. Adds
    ``expected``, ``ratio`` and ``pair_surprise`` (-log10 of the Poisson tail) and keeps the
    pairs over both bars.
    """
    if meetings.is_empty():
        return meetings.with_columns(
            pl.lit(0.0).alias("expected"),
            pl.lit(0.0).alias("ratio"),
            pl.lit(0.0).alias("pair_surprise"),
        )
    degree = cells.group_by("r").agg(pl.len().alias("d"))
    sizes = cells.group_by("g", "w").agg(pl.len().alias("n"))["n"].to_numpy().astype(np.float64)
    total = float(sizes.sum())
    # The chance that two entries from different reporters fall in the same cell.
    q = float((sizes * (sizes - 1)).sum() / max(total * (total - 1), 1.0))
    out = (
        meetings.join(degree, on="r")
        .join(degree.rename({"r": "r_b", "d": "d_b"}), on="r_b")
        .with_columns((pl.col("d").cast(pl.Float64) * pl.col("d_b") * q).alias("expected"))
        .drop("d", "d_b")
    )
    met = out["targets"].to_numpy().astype(np.float64)
    expected = np.maximum(out["expected"].to_numpy(), 1e-12)
    surprise = poisson_surprise(met, expected, cap=40.0)
    ratio = met / expected
    return out.with_columns(pl.Series("ratio", ratio), pl.Series("pair_surprise", surprise)).filter(
        (pl.col("ratio") >= min_ratio) & (pl.col("pair_surprise") >= min_surprise)
    )


def communities(
    links: Iterable[tuple[int, int, float]], *, seed: int = 0, resolution: float = 1.0
) -> list[list[int]]:
    """Leiden communities of a weighted graph given as (a, b, weight) edges, each sorted.

    Deterministic for a given ``seed``. Falls back to connected components for a graph of one
    edge or none, where there is nothing to partition.

    >>> ring = [(1, 2, 1.0), (2, 3, 1.0), (1, 3, 1.0)]
    >>> other = [(7, 8, 1.0), (8, 9, 1.0), (7, 9, 1.0)]
    >>> communities([*ring, *other, (3, 7, 0.1)])
    [[1, 2, 3], [7, 8, 9]]
    """
    import igraph as ig
    import leidenalg

    edges = list(links)
    if len(edges) < 2:
        return [sorted(c) for c in connected_components([(a, b) for a, b, _ in edges])]
    nodes = sorted({n for a, b, _ in edges for n in (a, b)})
    index = {n: i for i, n in enumerate(nodes)}
    graph = ig.Graph(n=len(nodes), edges=[(index[a], index[b]) for a, b, _ in edges])
    graph.es["weight"] = [float(w) for _, _, w in edges]
    partition = leidenalg.find_partition(
        graph,
        leidenalg.RBConfigurationVertexPartition,
        weights="weight",
        resolution_parameter=resolution,
        seed=seed,
        n_iterations=-1,
    )
    groups = [sorted(nodes[i] for i in members) for members in partition if members]
    return sorted(groups, key=lambda g: g[0])


def target_evidence(
    member_reports: pl.DataFrame,
    reports: pl.DataFrame,
    *,
    group_size: int,
    active_reporters: int,
    pad_seconds: int = 3600,
    min_members: int = 3,
    min_share: float = 0.3,
    min_ratio: float = 10.0,
    min_surprise: float = 6.0,
) -> pl.DataFrame:
    """Per target the group reported: is the group concentrated there beyond chance?

    ``member_reports`` are the group's reports (``reporter_id``, ``target_id``, ``t``);
    ``reports`` every report of the log (the same columns). For each target, the span is the
    group's first to last report on it, padded by ``pad_seconds``; the crowd is every distinct
    reporter of the target in that span. Under chance a reporter of the target is a member at
    the group's share of all reporters; the target is kept when at least ``min_members`` members
    are there and the binomial tail and the effect size both clear their bars. Returns one row
    per target with ``kept`` and the numbers the evidence sentence quotes.
    """
    if member_reports.is_empty():
        return pl.DataFrame(schema={**TARGET_EVIDENCE_SCHEMA, "kept": pl.Boolean})
    spans = member_reports.group_by("target_id").agg(
        pl.col("reporter_id").n_unique().cast(pl.UInt32).alias("members"),
        pl.col("t").min().cast(pl.Int64).alias("start"),
        pl.col("t").max().cast(pl.Int64).alias("end"),
    )
    candidates = spans.filter(pl.col("members") >= min_members)
    crowd = (
        reports.select("reporter_id", "target_id", "t")
        .join(candidates.select("target_id", "start", "end"), on="target_id")
        .filter(
            (pl.col("t") >= pl.col("start") - pad_seconds)
            & (pl.col("t") <= pl.col("end") + pad_seconds)
        )
        .group_by("target_id")
        .agg(pl.col("reporter_id").n_unique().cast(pl.UInt32).alias("crowd"))
    )
    table = spans.join(crowd, on="target_id", how="left").with_columns(
        pl.max_horizontal(pl.col("crowd").fill_null(0), pl.col("members")).alias("crowd")
    )
    p = min(max(group_size / max(active_reporters, 1), 1e-9), 1.0)
    k = table["members"].to_numpy().astype(np.float64)
    n = table["crowd"].to_numpy().astype(np.float64)
    share = k / np.maximum(n, 1.0)
    surprise = gated(binomial_surprise(k, n, p), share, p, min_ratio, min_share)
    table = table.with_columns(
        pl.Series("expected", n * p),
        pl.Series("share", share),
        pl.Series("surprise", surprise),
    )
    kept = (pl.col("members") >= min_members) & (pl.col("surprise") >= min_surprise)
    return table.select(*TARGET_EVIDENCE_SCHEMA).with_columns(kept.alias("kept")).sort("target_id")


def target_sentence(row: dict[str, object]) -> str:
    """The evidence for one listed target, in words with its numbers."""
    start = datetime.fromtimestamp(int(row["start"]), UTC)  # type: ignore[call-overload]
    end = datetime.fromtimestamp(int(row["end"]), UTC)  # type: ignore[call-overload]
    when = (
        f"on {start:%Y-%m-%d} between {start:%H:%M} and {end:%H:%M} UTC"
        if start.date() == end.date()
        else f"between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} UTC"
    )
    return (
        f"{row['members']} of the {row['crowd']} accounts that reported {row['target_id']} "
        f"{when} belong to this group; at the group's share of all reporters about "
        f"{float(row['expected']):.1f} would (P < 1e-{int(float(row['surprise']))})"  # type: ignore[arg-type]
    )


def split_by_support(support: dict[str, set[str]], *, overlap: float = 0.3) -> list[list[str]]:
    """Targets whose member sets barely overlap are separate campaigns, not one.

    Two targets stay together when the members behind them overlap by at least ``overlap`` of
    the smaller set; the parts are the connected components of that relation.

    >>> split_by_support({"a": {"1", "2", "3"}, "b": {"2", "3", "4"}, "c": {"8", "9"}})
    [['a', 'b'], ['c']]
    """
    names = sorted(support)
    by_member: dict[str, list[str]] = defaultdict(list)
    for name in names:
        for member in support[name]:
            by_member[member].append(name)
    links = []
    for name in names:
        shared: dict[str, int] = defaultdict(int)
        for member in support[name]:
            for other in by_member[member]:
                if other > name:
                    shared[other] += 1
        for other, count in shared.items():
            if count >= overlap * min(len(support[name]), len(support[other])):
                links.append((name, other))
    parts = connected_components(links, nodes=names)
    return sorted((sorted(p) for p in parts), key=lambda p: p[0])
