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


def target_spans(member_reports: pl.DataFrame) -> pl.DataFrame:
    """Per group and target: how many members reported it, from their first to last report.

    ``member_reports`` has ``group``, ``reporter_id``, ``target_id`` and ``t``.
    """
    return member_reports.group_by("group", "target_id").agg(
        pl.col("reporter_id").n_unique().cast(pl.UInt32).alias("members"),
        pl.col("t").min().cast(pl.Int64).alias("start"),
        pl.col("t").max().cast(pl.Int64).alias("end"),
    )


def crowds(spans: pl.DataFrame, reports: pl.DataFrame, *, pad_seconds: int = 3600) -> pl.DataFrame:
    """Every distinct reporter of each span's target inside the span widened by ``pad_seconds``
    on both sides (``crowd``), from the log.

    ``reports`` must hold every report of the spans' targets (``reporter_id``, ``target_id``,
    ``t``).
    """
    counted = (
        reports.select("reporter_id", "target_id", "t")
        .join(spans.select("group", "target_id", "start", "end"), on="target_id")
        .filter(
            (pl.col("t") >= pl.col("start") - pad_seconds)
            & (pl.col("t") <= pl.col("end") + pad_seconds)
        )
        .group_by("group", "target_id")
        .agg(pl.col("reporter_id").n_unique().cast(pl.UInt32).alias("crowd"))
    )
    return with_crowd(spans, counted)


def with_crowd(spans: pl.DataFrame, counted: pl.DataFrame) -> pl.DataFrame:
    """Spans with the ``crowd`` an engine counted per (group, target); never below the members."""
    counted = counted.select("group", "target_id", pl.col("crowd").cast(pl.UInt32))
    return spans.join(counted, on=["group", "target_id"], how="left").with_columns(
        pl.max_horizontal(pl.col("crowd").fill_null(0), pl.col("members")).alias("crowd")
    )


def judge_targets(
    table: pl.DataFrame,
    sizes: pl.DataFrame,
    *,
    active_reporters: int,
    min_members: int = 3,
    min_share: float = 0.3,
    min_ratio: float = 10.0,
    min_surprise: float = 6.0,
    dominant_share: float = 0.8,
) -> pl.DataFrame:
    """Whether each group is concentrated among a target's crowd beyond chance.

    ``table`` comes from :func:`crowds`; ``sizes`` gives each ``group``'s ``size`` and, where
    known, its ``activity``: the members' share of every distinct (reporter, target) pair of the
    log. Under chance a reporter of the target is a member at the larger of the group's share of
    all active reporters and its activity share: a few heavy reporters (a trusted flagger, a
    platform's bot, a busy host in a network trace) turn up in many crowds by their breadth
    alone, and that is no sign of coordination. The
    target is ``kept`` when at least ``min_members`` members are there and both the binomial
    tail and the effect size (the share of the crowd, and its ratio to the chance share) clear
    their bars. On a small platform a large group's chance share can make the ratio bar
    unreachable (a 40-strong raid among 340 active reporters would need 118% of the crowd), so
    a crowd that is ``dominant_share`` members always clears the effect-size bar; the binomial
    tail still has to. Adds ``expected``, ``share``, ``surprise`` and ``kept``.
    """
    if "activity" not in sizes.columns:
        sizes = sizes.with_columns(pl.lit(0.0).alias("activity"))
    table = table.join(sizes.select("group", "size", "activity"), on="group")
    headcount = pl.col("size").cast(pl.Float64) / max(active_reporters, 1)
    p = pl.max_horizontal(headcount, pl.col("activity").fill_null(0.0)).clip(1e-9, 1.0)
    table = table.with_columns(p.alias("_p"))
    k = table["members"].to_numpy().astype(np.float64)
    n = table["crowd"].to_numpy().astype(np.float64)
    chance = table["_p"].to_numpy()
    share = k / np.maximum(n, 1.0)
    bar = np.minimum(chance, dominant_share / max(min_ratio, 1e-9))
    surprise = gated(binomial_surprise(k, n, chance), share, bar, min_ratio, min_share)
    kept = (k >= min_members) & (surprise >= min_surprise)
    return table.drop("size", "activity", "_p").with_columns(
        pl.Series("expected", n * chance),
        pl.Series("share", share),
        pl.Series("surprise", surprise),
        pl.Series("kept", kept),
    )


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
    activity: float = 0.0,
) -> pl.DataFrame:
    """Per target one group reported: is the group concentrated there beyond chance?

    ``member_reports`` are the group's reports (``reporter_id``, ``target_id``, ``t``);
    ``reports`` every report of the log; ``activity`` the group's share of the log's distinct
    (reporter, target) pairs. One row per target with ``kept`` and the numbers the
    evidence sentence quotes (:func:`target_spans`, :func:`crowds`, :func:`judge_targets`).
    """
    if member_reports.is_empty():
        return pl.DataFrame(schema={**TARGET_EVIDENCE_SCHEMA, "kept": pl.Boolean})
    spans = target_spans(member_reports.with_columns(pl.lit(0).alias("group")))
    table = judge_targets(
        crowds(spans, reports, pad_seconds=pad_seconds),
        pl.DataFrame({"group": [0], "size": [group_size], "activity": [activity]}),
        active_reporters=active_reporters,
        min_members=min_members,
        min_share=min_share,
        min_ratio=min_ratio,
        min_surprise=min_surprise,
    )
    return table.select(*TARGET_EVIDENCE_SCHEMA, "kept").sort("target_id")


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
