"""Shared infrastructure on Spark: reporters of one wave behind the same hashed IP or device.

Mirrors :class:`reportguard.detect.signals.infrastructure.SharedInfrastructure`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportguard.detect.signals.infrastructure import SharedInfrastructure
from reportguard.spark import udf
from reportguard.spark.fitted import SparkFitted

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from reportguard.spark.log import SparkLog

COLUMNS = ("ip_hash", "device_hash")


def _collision(log: SparkLog, column: str) -> float:
    """The chance that two reporters picked at random share this identifier."""
    from pyspark.sql import functions as F

    per_value = (
        log.reports.select("reporter_id", column)
        .dropna()
        .distinct()
        .groupBy(column)
        .agg(F.count("*").alias("n"))
    )
    row = per_value.agg(F.sum(F.col("n") * F.col("n")).alias("sq"), F.sum("n").alias("n")).first()
    if row is None or not row["n"]:
        return 0.0
    return float(row["sq"]) / float(row["n"]) ** 2


def _crowded(reports: DataFrame, column: str) -> DataFrame:
    """(wave, value) of the addresses or devices that two or more of a wave's reporters share."""
    from pyspark.sql import functions as F

    return (
        reports.select("wave", column, "reporter_id")
        .dropna()
        .distinct()
        .groupBy("wave", column)
        .agg(F.count("*").alias("n"))
        .filter(F.col("n") >= 2)
        .select("wave", column)
    )


def fit(detector: SharedInfrastructure, log: SparkLog) -> SparkFitted:
    detector.ip_collision_ = _collision(log, "ip_hash")
    detector.device_collision_ = _collision(log, "device_hash")
    return SparkFitted(detector)


def waves(fitted: SparkFitted, wave_reports: DataFrame, log: SparkLog) -> DataFrame:
    from pyspark.sql import functions as F

    detector: SharedInfrastructure = fitted.detector
    shared = [
        wave_reports.join(_crowded(wave_reports, column), ["wave", column]).select(
            "wave", "reporter_id"
        )
        for column in COLUMNS
    ]
    sharing = (
        shared[0]
        .unionByName(shared[1])
        .distinct()
        .groupBy("wave")
        .agg(F.count("*").alias("sharing"))
    )
    out = (
        wave_reports.groupBy("wave")
        .agg(
            F.countDistinct("reporter_id").alias("reporters"),
            F.countDistinct("ip_hash").alias("addresses"),
        )
        .join(sharing, "wave", "left")
        .fillna(0, subset=["sharing"])
    )
    q = min(1.0, detector.ip_collision_ + detector.device_collision_)
    n = F.col("reporters")
    p = F.least(F.lit(0.999), F.greatest(n - 1, F.lit(1)) * q)
    share = F.col("sharing") / F.greatest(n, F.lit(1))
    return out.select(
        "wave",
        "reporters",
        "addresses",
        "sharing",
        share.alias("infra_share"),
        p.alias("infra_baseline"),
        udf.gated(
            udf.binomial(F.col("sharing"), n, p), share, p, detector.min_ratio, detector.min_share
        ).alias("infra_surprise"),
    )


def traits(fitted: SparkFitted, inside: DataFrame, table: DataFrame, log: SparkLog) -> DataFrame:
    """(wave, report_id) of reports whose address or device another reporter there shares."""
    from pyspark.sql import functions as F

    fired = table.filter(F.col("infra_surprise") > 0).select("wave")
    marked = inside.select("wave", "report_id", "reporter_id", *COLUMNS).join(fired, "wave")
    found = [
        marked.join(_crowded(marked, column), ["wave", column]).select("wave", "report_id")
        for column in COLUMNS
    ]
    return found[0].unionByName(found[1]).distinct()
