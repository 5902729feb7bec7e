"""Repeat group on Spark: a wave's reporters together again on one other account.

Mirrors :class:`reportguard.detect.signals.repeat_group.RepeatGroup`, ties broken the same way
(the most surprising other account, then the one sharing most, then the smallest id), with the
same Bonferroni correction for the number of accounts compared.
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
    return SparkFitted(detector, {"breadth": breadth, "pairs": pairs})


def waves(fitted: SparkFitted, wave_reports: DataFrame, log: SparkLog) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    detector: RepeatGroup = fitted.detector
    pairs = fitted.tables["pairs"]
    members = wave_reports.select("wave", "target_id", "reporter_id").distinct()
    sizes = members.groupBy("wave").agg(F.count("*").alias("n"))
    elsewhere = pairs.join(members.select("reporter_id").distinct(), "reporter_id").select(
        "reporter_id", F.col("target_id").alias("target_other")
    )
    shared = (
        members.join(elsewhere, "reporter_id")
        .filter(F.col("target_id") != F.col("target_other"))
        .groupBy("wave", "target_other")
        .agg(F.count("*").alias("shared"))
    )
    compared = shared.groupBy("wave").agg(F.count("*").alias("compared"))
    candidates = shared.filter(F.col("shared") >= 2)
    crowd = (
        pairs.join(
            candidates.select(F.col("target_other").alias("target_id")).distinct(), "target_id"
        )
        .groupBy("target_id")
        .agg(F.count("*").alias("n_other"))
        .withColumnRenamed("target_id", "target_other")
    )
    active = detector.active_reporters_
    p = F.least(
        F.greatest(F.coalesce(F.col("n_other"), F.lit(0)) / active, F.lit(1e-9)), F.lit(1.0)
    )
    judged = (
        candidates.join(sizes, "wave")
        .join(crowd, "target_other", "left")
        .withColumn(
            "surprise",
            udf.gated(
                udf.binomial(F.col("shared"), F.col("n"), p),
                F.col("shared") / F.greatest(F.col("n"), F.lit(1)),
                p,
                detector.min_ratio,
                detector.min_share,
            ),
        )
    )
    ranked = Window.partitionBy("wave").orderBy(
        F.col("surprise").desc(), F.col("shared").desc(), "target_other"
    )
    best = (
        judged.withColumn("rank", F.row_number().over(ranked))
        .filter(F.col("rank") == 1)
        .select("wave", "target_other", "shared", "surprise")
    )
    out = (
        sizes.join(best, "wave", "left")
        .join(compared, "wave", "left")
        .fillna(0, subset=["shared"])
        .fillna(0.0, subset=["surprise"])
        .fillna(1, subset=["compared"])
    )
    corrected = F.greatest(F.col("surprise") - F.log10(F.col("compared")), F.lit(0.0))
    return out.select(
        "wave",
        F.col("target_other").alias("repeat_target"),
        F.col("shared").alias("repeat_shared"),
        F.when(F.col("surprise") > 0, corrected).otherwise(F.lit(0.0)).alias("repeat_surprise"),
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
