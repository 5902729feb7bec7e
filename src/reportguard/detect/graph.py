"""Graphs of reporters: how waves merge into rings and reporters into groups.

- **Pairs that meet more than their activity explains.** Two heavy reporters (a trusted flagger,
  a platform's bot) meet on the same targets in the same hour often, by sheer volume. A pair is
  linked only when its meetings are far more than ``d_a * d_b * q`` predicts, where ``d`` is how
  many (target, hour) cells a reporter appears in and ``q`` the chance that two random entries
  share a cell (:func:`backbone`, a significance-filtered backbone of the co-report graph).
- **Communities, not components.** Groups come from Leiden community detection on the weighted
  backbone (Traag, Waltman and van Eck, 2019: "From Louvain to Leiden: guaranteeing
  well-connected communities"), so one bridge between two rings, or a crowd that members of
  several rings joined, does not chain them into one (:func:`communities`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import TypeVar

import numpy as np
import polars as pl

from reportguard.detect.evidence import poisson_surprise

T = TypeVar("T", bound=Hashable)


def connected_components(edges: Iterable[tuple[T, T]], nodes: Iterable[T] = ()) -> list[set[T]]:
    """Groups of nodes joined by edges (union-find with path halving); lone ``nodes`` too.

    >>> sorted(sorted(g) for g in connected_components([(1, 2), (2, 3), (7, 8)], nodes=[9]))
    [[1, 2, 3], [7, 8], [9]]
    """
    parent: dict[T, T] = {}

    def find(x: T) -> T:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for node in nodes:
        find(node)
    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups: dict[T, set[T]] = defaultdict(set)
    for x in parent:
        groups[find(x)].add(x)
    return list(groups.values())


def backbone(
    meetings: pl.DataFrame,
    cells: pl.DataFrame,
    *,
    min_ratio: float = 10.0,
    min_surprise: float = 3.0,
    crowds: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The pairs whose meetings their activity does not explain.

    ``meetings`` has one row per pair (``r``, ``r_b``) with ``targets``, the distinct targets
    they met on; ``cells`` one row per (``r``, ``g``, ``w``) a reporter appears in, and
    ``crowds`` its count per (``g``, ``w``) as ``n`` when the caller has it already. Adds
    ``expected``, ``ratio`` and ``pair_surprise`` (-log10 of the Poisson tail) and keeps the
    pairs over both bars.
    """
    if meetings.is_empty():
        return meetings.with_columns(
            pl.lit(0.0).alias("expected"),
            pl.lit(0.0).alias("ratio"),
            pl.lit(0.0).alias("pair_surprise"),
        )
    # Only the reporters of some pair need their degree.
    paired = pl.concat([meetings["r"], meetings["r_b"]]).unique().implode()
    degree = cells.filter(pl.col("r").is_in(paired)).group_by("r").agg(pl.len().alias("d"))
    if crowds is None:
        crowds = cells.group_by("g", "w").agg(pl.len().alias("n"))
    sizes = crowds["n"].to_numpy().astype(np.float64)
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
