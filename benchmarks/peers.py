"""Adapters that run peer tools on a simulated platform and return a DetectionResult.

Both peers are optional benchmark dependencies (``pip install -e .[bench]``), never runtime ones.

- coordination-network-toolkit: the co-action ("co-retweet") network, where a report is a message
  whose "repost" is its target, so two reporters are linked when they reported the same target
  within ``window`` seconds. Its output is a weighted edge list; the adapter turns each connected
  component of at least ``min_size`` reporters into a campaign, its targets being those that at
  least two members reported.
- rgmining-fraudar: FRAUDAR's greedy dense-block search (log-weighted column degrees, which down-
  weights popular targets against camouflage) over the reporter x target matrix. It ignores time.
  It is given the number of planted campaigns as its block count: an oracle advantage.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import polars as pl

from reportguard.detect.graph import connected_components
from reportguard.evaluate.harness import DetectedCampaign, DetectionResult, Truth


def coordination_network_toolkit(
    truth: Truth,
    *,
    window: int = 1800,
    min_edge_weight: int = 1,
    min_size: int = 10,
    threads: int = 2,
) -> DetectionResult:
    from coordination_network_toolkit.compute_networks import compute_co_retweet_parallel
    from coordination_network_toolkit.preprocess import preprocess_data

    reports = truth.reports
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "cnt.db")
        rows = (
            (rid, reporter, reporter, target, None, None, int(t), [])
            for rid, reporter, target, t in reports.select(
                "report_id", "reporter_id", "target_id", "created_at"
            ).iter_rows()
        )
        preprocess_data(db, rows)
        compute_co_retweet_parallel(db, window, n_threads=threads, min_edge_weight=min_edge_weight)
        with sqlite3.connect(db) as conn:
            edges = conn.execute(
                "SELECT user_1, user_2 FROM co_retweet_network WHERE user_1 < user_2"
            ).fetchall()
    groups = [g for g in connected_components(edges) if len(g) >= min_size]
    campaigns = []
    if groups:
        member_of = {m: i for i, g in enumerate(groups) for m in g}
        frame = (
            reports.select("reporter_id", "target_id")
            .with_columns(
                pl.col("reporter_id")
                .replace_strict(member_of, default=-1, return_dtype=pl.Int64)
                .alias("g")
            )
            .filter(pl.col("g") >= 0)
        )
        per_target = frame.group_by("g", "target_id").agg(
            pl.col("reporter_id").n_unique().alias("n")
        )
        targets: dict[int, list[str]] = defaultdict(list)
        for g, target, _n in per_target.filter(pl.col("n") >= 2).iter_rows():
            targets[g].append(target)
        campaigns = [
            DetectedCampaign(members=sorted(g), targets=sorted(targets[i]))
            for i, g in enumerate(groups)
        ]
    return DetectionResult(
        detector=f"coordination-network-toolkit (co-report {window}s, components >= {min_size})",
        seconds=round(time.perf_counter() - started, 2),
        campaigns=campaigns,
    )


def fraudar(truth: Truth, *, blocks: int | None = None) -> DetectionResult:
    from fraudar.export import greedy

    reports = truth.reports
    started = time.perf_counter()
    pairs = reports.select("reporter_id", "target_id").unique()
    reporters = pairs["reporter_id"].unique().sort()
    targets = pairs["target_id"].unique().sort()
    rows = reporters.search_sorted(pairs["reporter_id"]).to_numpy()
    cols = targets.search_sorted(pairs["target_id"]).to_numpy()
    matrix = greedy.listToSparseMatrix(rows.astype(np.int64), cols.astype(np.int64))
    found = greedy.detectMultiple(
        matrix, greedy.logWeightedAveDegree, blocks or len(truth.campaigns)
    )
    reporter_names = reporters.to_list()
    target_names = targets.to_list()
    campaigns = [
        DetectedCampaign(
            members=[reporter_names[i] for i in sorted(block[0])],
            targets=[target_names[j] for j in sorted(block[1])],
        )
        for block, _score in found
    ]
    return DetectionResult(
        detector=f"rgmining-fraudar (log-weighted, {blocks or len(truth.campaigns)} blocks)",
        seconds=round(time.perf_counter() - started, 2),
        campaigns=campaigns,
    )
