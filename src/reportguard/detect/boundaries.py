"""Where a campaign ends: which reporters form a group, and which targets that group really hit.

A campaign's targets are shielded and their owners told they are a brigade's victims, so a target
belongs to a campaign only on evidence about that target (how groups are found in the first place,
as a backbone of the co-report graph split into communities, is in :mod:`reportguard.detect.graph`):

- **Every target on its own evidence.** A group's reports on a target count only when the group
  is far more concentrated among that target's reporters, over the same span, than its share of
  all reporters predicts: the same effect-size-and-tail test as every signal (``evidence.gated``
  over a binomial tail). A member's reports elsewhere never add a target by themselves; a target
  inside a viral crowd, where a few members happened to report too, is left out, and the crowd
  of a wave a post going round explains is the whole wave, however close together the members
  came (:func:`widen_to_spreads`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import numpy as np
import polars as pl

from reportguard.detect.evidence import binomial_surprise, gated
from reportguard.detect.graph import connected_components

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


def dense_core(times: np.ndarray, share: float) -> tuple[int, int, int]:
    """The shortest interval holding ``share`` of the sorted ``times``: (first index, start, end).

    The earliest such interval on a tie. A raid's reports crowd into it; the same members'
    ordinary reports days before or after fall outside.

    >>> dense_core(np.array([0, 60, 90, 100, 130, 86_400]), 0.8)
    (0, 0, 130)
    """
    m = max(1, int(np.ceil(share * len(times) - 1e-9)))
    widths = times[m - 1 :] - times[: len(times) - m + 1]
    i = int(np.argmin(widths))
    return i, int(times[i]), int(times[i + m - 1])


def raid_cores(inside: pl.DataFrame, share: float, *, pad: int) -> pl.DataFrame:
    """Per wave, the dense core of its trait carriers' reports, widened by ``pad`` seconds.

    ``inside`` holds a flagged wave's reports with ``wave``, ``t`` and a boolean ``trait``; a
    wave whose reports carry no trait has its whole span as core.
    """
    rows = []
    for (wave,), part in inside.sort("wave", "t").group_by(["wave"], maintain_order=True):
        carriers = part.filter(pl.col("trait"))
        # One time per account: a raid is many accounts at once, not one account many times.
        firsts = (
            (carriers if len(carriers) else part).group_by("reporter_id").agg(pl.col("t").min())
        )
        times = firsts["t"].sort().to_numpy()
        _, start, end = dense_core(times, share)
        rows.append((wave, start - pad, end + pad))
    return pl.DataFrame(
        rows,
        schema={"wave": inside.schema["wave"], "core_start": pl.Int64, "core_end": pl.Int64},
        orient="row",
    )


def target_spans(
    member_reports: pl.DataFrame,
    *,
    core_share: float = 1.0,
    pad_share: float = 0.0,
    min_pad: int = 3600,
    max_pad: int = 3600,
) -> pl.DataFrame:
    """Per group and target: the span of the group's reports there, how many members reported
    inside it, and the padded window (``lo``, ``hi``) whose reporters form the target's crowd.

    The span is the shortest interval holding ``core_share`` of the members who reported the
    target, each at their first report there (1.0: from the first to the last). A brigade's
    members crowd into its raid; a member's ordinary reports on the same account days before or
    after, or one account reporting it over and over, would otherwise stretch the span over
    everyone else who reported it meanwhile. The crowd is counted over the span
    widened on both sides by ``pad_share`` of its length, at least ``min_pad`` and at most
    ``max_pad`` seconds: a 40-minute raid is judged among the reporters of that hour, not of
    the two hours around it. ``member_reports`` has ``group``, ``reporter_id``, ``target_id``
    and ``t``.

    >>> reports = pl.DataFrame({"group": [0] * 6, "target_id": ["x"] * 6,
    ...     "reporter_id": ["a", "b", "c", "d", "e", "a"], "t": [0, 60, 90, 100, 130, 86_400]})
    >>> target_spans(reports, core_share=0.8, pad_share=0.25, min_pad=600).rows()
    [(0, 'x', 4, 60, 130, -540, 730)]
    """
    rows = []
    ordered = member_reports.select("group", "target_id", "reporter_id", "t").sort(
        "group", "target_id", "t", "reporter_id"
    )
    for (group, target), part in ordered.group_by(["group", "target_id"], maintain_order=True):
        firsts = part.group_by("reporter_id").agg(pl.col("t").min())
        _, start, end = dense_core(firsts["t"].sort().to_numpy(), core_share)
        inside = firsts.filter(pl.col("t").is_between(start, end))
        pad = int(min(max(pad_share * (end - start), min_pad), max_pad))
        rows.append(
            (group, target, inside["reporter_id"].n_unique(), start, end, start - pad, end + pad)
        )
    return pl.DataFrame(
        rows,
        schema={
            "group": member_reports.schema["group"],
            "target_id": pl.Utf8,
            "members": pl.UInt32,
            "start": pl.Int64,
            "end": pl.Int64,
            "lo": pl.Int64,
            "hi": pl.Int64,
        },
        orient="row",
    )


def widen_to_spreads(
    spans: pl.DataFrame, member_reports: pl.DataFrame, spreads: pl.DataFrame | None
) -> pl.DataFrame:
    """Spans that meet a wave a post going round explains, widened to the whole wave.

    Everyone a spreading post drew is one crowd: members who reported the account in the middle
    of it, close together, are judged among all its reporters, not among the few of their own
    half hour. A ring whose members also join organic waves would otherwise list a real violator
    as its victim. ``spreads`` has ``target_id``, ``start`` and ``end`` of waves the ``spread``
    context explains and nothing flagged; ``members`` is recounted over the widened window from
    ``member_reports`` (``group``, ``reporter_id``, ``target_id``, ``t``).

    >>> spans = pl.DataFrame({"group": [0, 0], "target_id": ["v", "w"], "members": [5, 4],
    ...     "start": [100, 100], "end": [200, 200], "lo": [0, 0], "hi": [300, 300]})
    >>> members = pl.DataFrame({"group": [0] * 9, "target_id": ["v"] * 6 + ["w"] * 3,
    ...     "reporter_id": list("abcdefabc"), "t": [100, 120, 150, 180, 200, 5000, 100, 110, 120]})
    >>> spreads = pl.DataFrame({"target_id": ["v"], "start": [50], "end": [9000]})
    >>> widen_to_spreads(spans, members, spreads).rows()
    [(0, 'v', 6, 0, 9000, 0, 9000), (0, 'w', 4, 100, 200, 0, 300)]
    """
    if spreads is None or spreads.is_empty() or spans.is_empty():
        return spans
    met = (
        spans.join(spreads.select("target_id", w_lo="start", w_hi="end"), on="target_id")
        .filter((pl.col("w_lo") <= pl.col("hi")) & (pl.col("w_hi") >= pl.col("lo")))
        .group_by("group", "target_id")
        .agg(
            pl.min_horizontal(pl.col("lo"), pl.col("w_lo")).min().alias("new_lo"),
            pl.max_horizontal(pl.col("hi"), pl.col("w_hi")).max().alias("new_hi"),
        )
    )
    if met.is_empty():
        return spans
    inside = (
        member_reports.select("group", "target_id", "reporter_id", "t")
        .join(met, on=["group", "target_id"])
        .filter(pl.col("t").is_between(pl.col("new_lo"), pl.col("new_hi")))
        .group_by("group", "target_id")
        .agg(pl.col("reporter_id").n_unique().cast(pl.UInt32).alias("new_members"))
    )
    met = met.join(inside, on=["group", "target_id"], how="left")
    return (
        spans.join(met, on=["group", "target_id"], how="left")
        .with_columns(
            pl.coalesce("new_members", "members").alias("members"),
            pl.coalesce("new_lo", "start").alias("start"),
            pl.coalesce("new_hi", "end").alias("end"),
            pl.coalesce("new_lo", "lo").alias("lo"),
            pl.coalesce("new_hi", "hi").alias("hi"),
        )
        .select(spans.columns)
    )


def crowds(spans: pl.DataFrame, reports: pl.DataFrame) -> pl.DataFrame:
    """Every distinct reporter of each span's target between its ``lo`` and ``hi`` (``crowd``),
    from the log.

    ``reports`` must hold every report of the spans' targets (``reporter_id``, ``target_id``,
    ``t``).
    """
    counted = (
        reports.select("reporter_id", "target_id", "t")
        .join(spans.select("group", "target_id", "lo", "hi"), on="target_id")
        .filter(pl.col("t").is_between(pl.col("lo"), pl.col("hi")))
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
    excess_share: float = 0.6,
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
    their bars. Where the chance share is large (a big group on a small platform, or members who
    report a lot elsewhere) the ratio bar can be unreachable (a 40-strong raid among 340 active
    reporters would need 118% of the crowd), so a group that fills ``excess_share`` of what
    chance leaves (share >= chance + (1 - chance) * excess_share) also clears the effect-size
    bar; the binomial tail still has to. Adds ``expected``, ``share``, ``surprise`` and ``kept``.
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
    reachable = chance + (1.0 - chance) * excess_share
    bar = np.minimum(chance, reachable / max(min_ratio, 1e-9))
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
    spans = target_spans(
        member_reports.with_columns(pl.lit(0).alias("group")),
        min_pad=pad_seconds,
        max_pad=pad_seconds,
    )
    table = judge_targets(
        crowds(spans, reports),
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
