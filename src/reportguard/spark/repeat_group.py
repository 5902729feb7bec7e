"""Repeat group on Spark: a wave's reporters together again in a wave on another target.

Mirrors :class:`reportguard.detect.signals.repeat_group.RepeatGroup`, ties broken the same way
(the other wave sharing most, then the earliest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportguard.detect.signals.repeat_group import RepeatGroup
from reportguard.spark import udf
from reportguard.spark.fitted import SparkFitted

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from reportguard.spark.log import SparkLog


def fit(detector: RepeatGroup, log: SparkLog) -> SparkFitted:
    from pyspark.sql import functions as F

    detector.active_reporters_ = log.active_reporters()
    pairs = log.reports.select("reporter_id", "target_id").distinct()
    detector.targets_ = max(1, pairs.select("target_id").distinct().count())
    breadth = pairs.groupBy("reporter_id").agg(F.count("*").alias("breadth"))
    return SparkFitted(detector, {"breadth": breadth})


def waves(fitted: SparkFitted, wave_reports: DataFrame, log: SparkLog) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    detector: RepeatGroup = fitted.detector
    members = wave_reports.select("wave", "target_id", "reporter_id", "start").distinct()
    other = members.select(
        F.col("wave").alias("wave_other"),
        F.col("target_id").alias("target_other"),
        "reporter_id",
        F.col("start").alias("start_other"),
    )
    shared = (
        members.join(other, "reporter_id")
        .filter(F.col("target_id") != F.col("target_other"))
        .groupBy("wave", "wave_other", "start_other", "target_other")
        .agg(F.count("*").alias("shared"))
    )
    ranked = Window.partitionBy("wave").orderBy(
        F.col("shared").desc(), "start_other", "target_other"
    )
    best = (
        shared.withColumn("rank", F.row_number().over(ranked))
        .filter(F.col("rank") == 1)
        .select("wave", "wave_other", "shared")
    )
    sizes = members.groupBy("wave").agg(F.count("*").alias("n"))
    out = (
        sizes.join(best, "wave", "left")
        .join(
            sizes.select(F.col("wave").alias("wave_other"), F.col("n").alias("n_other")),
            "wave_other",
            "left",
        )
        .fillna(0, subset=["shared", "n_other"])
    )
    active = detector.active_reporters_
    p = F.least(F.greatest(F.col("n_other") / active, F.lit(1e-9)), F.lit(1.0))
    share = F.col("shared") / F.greatest(F.col("n"), F.lit(1))
    return out.select(
        "wave",
        F.col("wave_other").alias("repeat_wave"),
        F.col("shared").alias("repeat_shared"),
        udf.gated(
            udf.binomial(F.col("shared"), F.col("n"), p),
            share,
            p,
            detector.min_ratio,
            detector.min_share,
        ).alias("repeat_surprise"),
    )


def traits(fitted: SparkFitted, inside: DataFrame, table: DataFrame, log: SparkLog) -> DataFrame:
    """(wave, report_id) of reporters of two or more of the flagged waves' targets, more than
    their breadth explains (as ``RepeatGroup.traits``)."""
    from pyspark.sql import functions as F

    detector: RepeatGroup = fitted.detector
    share = min(1.0, inside.select("target_id").distinct().count() / detector.targets_)
    hits = inside.groupBy("reporter_id").agg(F.countDistinct("target_id").alias("h"))
    breadth = F.greatest(F.coalesce(F.col("breadth"), F.lit(0)), F.col("h"))
    repeaters = (
        hits.join(fitted.tables["breadth"], "reporter_id", "left")
        .withColumn("breadth", breadth)
        .filter(
            (F.col("h") >= 2)
            & (udf.binomial(F.col("h"), F.col("breadth"), F.lit(share)) >= detector.member_surprise)
        )
        .select("reporter_id")
    )
    return inside.join(repeaters, "reporter_id").select("wave", "report_id")
