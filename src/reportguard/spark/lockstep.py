"""Lockstep on Spark: reporters who meet on the same targets within the same hour, repeatedly.

Mirrors :class:`reportguard.detect.signals.lockstep.Lockstep`. Reports are bucketed into hour
windows (each also counted in the next), so the co-report join is an equi-join on (target,
window): linear in the reports, quadratic only inside a crowd, and crowds above ``max_crowd``
are left to the burst detector. Pairs are kept only when they meet far more than their
activity explains (the backbone, its expectation computed on the cluster); the few pairs left
come to the driver, where Leiden forms the groups exactly as in-process
(:func:`reportguard.detect.graph.communities`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportguard.detect.graph import communities
from reportguard.detect.signals.lockstep import Lockstep
from reportguard.spark import udf
from reportguard.spark.burst import bucket_of
from reportguard.spark.fitted import SparkFitted

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from reportguard.spark.log import SparkLog


def fit(detector: Lockstep, log: SparkLog) -> SparkFitted:
    from pyspark.sql import functions as F

    width = detector.window_minutes * 60
    cells = log.reports.select(
        F.col("reporter_id").alias("r"),
        F.col("target_id").alias("g"),
        bucket_of(F.col("t"), width).alias("w"),
    ).distinct()
    cells = cells.unionByName(cells.withColumn("w", F.col("w") + 1)).distinct()
    crowd = (
        cells.groupBy("g", "w")
        .agg(F.count("*").alias("n"))
        .filter((F.col("n") >= 2) & (F.col("n") <= detector.max_crowd))
    )
    weighted = cells.join(crowd, ["g", "w"]).withColumn(
        "weight", (1 / F.log2(2 + F.col("n"))).cast("float")
    )
    other = weighted.select("g", "w", F.col("r").alias("r_b"))
    pairs = weighted.join(other, ["g", "w"]).filter(F.col("r") < F.col("r_b"))
    links = (
        pairs.groupBy("r", "r_b", "g")
        .agg(F.max("weight").alias("weight"))
        .groupBy("r", "r_b")
        .agg(F.count("*").alias("targets"), F.sum("weight").cast("float").alias("weight"))
        .filter(
            (F.col("targets") >= detector.min_targets) & (F.col("weight") >= detector.min_weight)
        )
    )
    # The backbone: a pair's meetings against d_a * d_b * q (as detect.graph.backbone).
    degree = cells.groupBy("r").agg(F.count("*").alias("d"))
    sizes_row = (
        cells.groupBy("g", "w")
        .agg(F.count("*").alias("n"))
        .agg(F.sum(F.col("n") * (F.col("n") - 1)).alias("pairs"), F.sum("n").alias("entries"))
        .first()
    )
    entries = float(sizes_row["entries"] or 0) if sizes_row else 0.0
    q = float(sizes_row["pairs"] or 0) / max(entries * (entries - 1), 1.0) if sizes_row else 0.0
    expected = F.greatest(F.col("d") * F.col("d_b") * F.lit(q), F.lit(1e-12))
    kept = (
        links.join(degree, "r")
        .join(degree.select(F.col("r").alias("r_b"), F.col("d").alias("d_b")), "r_b")
        .withColumn("expected", expected)
        .filter(
            (F.col("targets") / F.col("expected") >= detector.pair_min_ratio)
            & (udf.poisson(F.col("targets"), F.col("expected")) >= detector.pair_min_surprise)
        )
        .select("r", "r_b", "weight")
        .orderBy("r", "r_b")
        .collect()
    )
    rows = [
        (name, group)
        for group, names in enumerate(
            communities((row["r"], row["r_b"], row["weight"]) for row in kept)
        )
        if len(names) >= detector.min_group
        for name in names
    ]
    members = log.reports.sparkSession.createDataFrame(
        rows, "reporter_id string, group long"
    ).localCheckpoint()
    detector.active_reporters_ = log.active_reporters()
    return SparkFitted(detector, {"members": members, "members_count": members.count()})


def group_reports(fitted: SparkFitted, log: SparkLog) -> DataFrame:
    """Each group's reports on the targets at least two of its members reported."""
    from pyspark.sql import functions as F

    joined = log.reports.join(fitted.tables["members"], "reporter_id")
    shared = (
        joined.groupBy("group", "target_id")
        .agg(F.countDistinct("reporter_id").alias("n"))
        .filter(F.col("n") >= 2)
        .select("group", "target_id")
    )
    return joined.join(shared, ["group", "target_id"]).select(
        "group", "report_id", "reporter_id", "target_id", "t"
    )


def waves(fitted: SparkFitted, wave_reports: DataFrame, log: SparkLog) -> DataFrame:
    from pyspark.sql import functions as F

    detector: Lockstep = fitted.detector
    marked = (
        wave_reports.select("wave", "reporter_id")
        .distinct()
        .join(fitted.tables["members"], "reporter_id", "left")
    )
    out = marked.groupBy("wave").agg(
        F.count("*").alias("lockstep_reporters"),
        F.count("group").alias("in_lockstep"),
    )
    p = F.lit(max(fitted.tables["members_count"], 1) / detector.active_reporters_)
    share = F.col("in_lockstep") / F.greatest(F.col("lockstep_reporters"), F.lit(1))
    return out.select(
        "wave",
        "lockstep_reporters",
        "in_lockstep",
        share.alias("lockstep_share"),
        p.alias("lockstep_baseline"),
        udf.gated(
            udf.binomial(F.col("in_lockstep"), F.col("lockstep_reporters"), p),
            share,
            p,
            detector.min_ratio,
            detector.min_share,
        ).alias("lockstep_surprise"),
    )


def traits(fitted: SparkFitted, inside: DataFrame, table: DataFrame, log: SparkLog) -> DataFrame:
    """(wave, report_id) of reports by members of a lockstep group."""
    return inside.join(fitted.tables["members"].select("reporter_id"), "reporter_id").select(
        "wave", "report_id"
    )
