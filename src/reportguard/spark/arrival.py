"""Arrival on Spark: a wave's reports filed on the profile against the platform's share.

Mirrors :class:`reportguard.detect.signals.arrival.Arrival`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportguard.detect.signals.arrival import PROFILE, Arrival
from reportguard.spark import udf
from reportguard.spark.fitted import SparkFitted

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from reportguard.spark.log import SparkLog


def fit(detector: Arrival, log: SparkLog) -> SparkFitted:
    from pyspark.sql import functions as F

    row = log.reports.agg(
        F.count("surface").alias("known"),
        F.sum((F.col("surface") == PROFILE).cast("long")).alias("on_profile"),
    ).first()
    known = int(row["known"] or 0) if row is not None else 0
    detector.profile_share_ = int(row["on_profile"] or 0) / known if row and known else None
    return SparkFitted(detector)


def waves(fitted: SparkFitted, wave_reports: DataFrame, log: SparkLog) -> DataFrame:
    from pyspark.sql import functions as F

    detector: Arrival = fitted.detector
    out = wave_reports.groupBy("wave").agg(
        F.count("surface").alias("arrival_known"),
        F.sum(F.coalesce((F.col("surface") == PROFILE).cast("long"), F.lit(0))).alias("on_profile"),
    )
    if detector.profile_share_ is None:
        return out.withColumn("arrival_baseline", F.lit(1.0)).withColumn(
            "arrival_surprise", F.lit(0.0)
        )
    base = F.lit(float(detector.profile_share_))
    n = F.col("arrival_known")
    share = F.col("on_profile") / F.greatest(n, F.lit(1))
    surprise = udf.gated(
        udf.binomial(F.col("on_profile"), n, base), share, base, detector.min_ratio,
        detector.min_share,
    )  # fmt: skip
    return out.withColumn("arrival_baseline", base).withColumn(
        "arrival_surprise", F.when(n >= detector.min_known, surprise).otherwise(F.lit(0.0))
    )


def traits(fitted: SparkFitted, inside: DataFrame, table: DataFrame, log: SparkLog) -> DataFrame:
    """(wave, report_id) of reports filed on the profile, in waves where arrival fired."""
    from pyspark.sql import functions as F

    fired = table.filter(F.col("arrival_surprise") > 0).select("wave")
    return (
        inside.filter(F.col("surface") == PROFILE).join(fired, "wave").select("wave", "report_id")
    )
