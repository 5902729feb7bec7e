"""Referral on Spark: a wave's most common outside referrer against its platform-wide share.

Mirrors :class:`reportguard.detect.signals.referral.Referral`. The shares stay a DataFrame joined to
the waves (a platform can have millions of distinct referrers); they are not collected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportguard.detect.signals.referral import Referral
from reportguard.spark import udf
from reportguard.spark.fitted import SparkFitted

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from reportguard.spark.log import SparkLog


def fit(detector: Referral, log: SparkLog) -> SparkFitted:
    from pyspark.sql import functions as F

    total = max(1, log.reports.count())
    shares = (
        log.reports.filter(F.col("referrer").isNotNull())
        .groupBy("referrer")
        .agg((F.count("*") / F.lit(total)).alias("referral_baseline"))
    )
    return SparkFitted(detector, {"shares": shares})


def waves(fitted: SparkFitted, wave_reports: DataFrame, log: SparkLog) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    detector: Referral = fitted.detector
    sizes = wave_reports.groupBy("wave").agg(F.count("*").alias("reports"))
    ranked = Window.partitionBy("wave").orderBy(F.col("len").desc(), F.col("referrer"))
    top = (
        wave_reports.filter(F.col("referrer").isNotNull())
        .groupBy("wave", "referrer")
        .agg(F.count("*").alias("len"))
        .withColumn("rank", F.row_number().over(ranked))
        .filter(F.col("rank") == 1)
        .drop("rank")
    )
    out = (
        sizes.join(top, "wave", "left")
        .join(fitted.tables["shares"], "referrer", "left")
        .select(
            "wave",
            "reports",
            "referrer",
            F.coalesce(F.col("len"), F.lit(0)).alias("referred"),
            F.when(F.col("referrer").isNull(), F.lit(1.0))
            .otherwise(F.coalesce(F.col("referral_baseline"), F.lit(0.0)))
            .alias("referral_baseline"),
        )
    )
    n = F.col("reports")
    share = F.col("referred") / F.greatest(n, F.lit(1))
    base = F.col("referral_baseline")
    return out.withColumn("referral_share", share).withColumn(
        "referral_surprise",
        udf.gated(
            udf.binomial(F.col("referred"), n, base),
            share,
            base,
            detector.min_ratio,
            detector.min_share,
        ),
    )


def traits(fitted: SparkFitted, inside: DataFrame, table: DataFrame, log: SparkLog) -> DataFrame:
    """(wave, report_id) of reports that came through the wave's top referrer, where it fired."""
    from pyspark.sql import functions as F

    top = table.filter(F.col("referral_surprise") > 0).select(
        "wave", F.col("referrer").alias("top")
    )
    return (
        inside.select("wave", "report_id", "referrer")
        .join(top, "wave")
        .filter(F.col("referrer") == F.col("top"))
        .select("wave", "report_id")
    )
