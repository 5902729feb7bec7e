"""Content spread on Spark: whether a wave centres on one post reached where it was shared.

Mirrors :class:`reportguard.detect.signals.spread.ContentSpread` (a context: no evidence, no
traits of its own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportguard.detect.signals.spread import ContentSpread
from reportguard.spark.fitted import SparkFitted

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from reportguard.spark.log import SparkLog


def fit(detector: ContentSpread, log: SparkLog) -> SparkFitted:
    detector.fitted_on_ = log.reports.count()
    return SparkFitted(detector)


def waves(fitted: SparkFitted, wave_reports: DataFrame, log: SparkLog) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    detector: ContentSpread = fitted.detector
    sizes = wave_reports.groupBy("wave").agg(F.count("*").alias("spread_reports"))
    ranked = Window.partitionBy("wave").orderBy(
        F.col("spread_item_reports").desc(), F.col("content_id")
    )
    top = (
        wave_reports.filter(F.col("content_id").isNotNull())
        .groupBy("wave", "content_id")
        .agg(
            F.count("*").alias("spread_item_reports"),
            F.sum(F.coalesce((F.col("surface") == "profile").cast("long"), F.lit(0))).alias(
                "spread_on_profile"
            ),
        )
        .withColumn("rank", F.row_number().over(ranked))
        .filter(F.col("rank") == 1)
        .select(
            "wave",
            F.col("content_id").alias("spread_item"),
            "spread_item_reports",
            "spread_on_profile",
        )
    )
    out = sizes.join(top, "wave", "left").fillna(
        0, subset=["spread_item_reports", "spread_on_profile"]
    )
    share = F.col("spread_item_reports") / F.col("spread_reports")
    on_profile = F.col("spread_on_profile") / F.greatest(F.col("spread_item_reports"), F.lit(1))
    return out.withColumn("spread_share", share).withColumn(
        "spread",
        (share >= detector.min_item_share) & (on_profile < detector.max_profile_share),
    )


def traits(fitted: SparkFitted, inside: DataFrame, table: DataFrame, log: SparkLog) -> DataFrame:
    """A context marks no report as a member's."""
    return inside.select("wave", "report_id").limit(0)
