"""Reporter risk on Spark: young and batch-created reporter accounts per wave.

Mirrors :class:`reportguard.detect.signals.reporter_risk.ReporterRisk`. The densest creation span
of a wave is a range window over its reporters' creation times; the platform's share of accounts
created in that span is a day-bucketed join (each span touches ``cluster_days + 1`` day buckets),
so it stays linear in the number of accounts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportguard.detect.signals.reporter_risk import DAY, ReporterRisk, young_horizon
from reportguard.spark import udf
from reportguard.spark.fitted import SparkFitted

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from reportguard.spark.log import SparkLog


def _created(log: SparkLog) -> DataFrame:
    return log.accounts.select(log.accounts["account_id"].alias("reporter_id"), "account_created")


def fit(detector: ReporterRisk, log: SparkLog) -> SparkFitted:
    from pyspark.sql import functions as F

    joined = log.reports.select("reporter_id", "t").join(_created(log), "reporter_id", "left")
    age = (F.col("t") - F.col("account_created")) / DAY
    known = joined.filter(F.col("account_created").isNotNull())
    # Whether the platform is young is read per reporter, at their first report (as in process).
    first = known.groupBy("reporter_id").agg(
        F.min("t").alias("t"), F.min("account_created").alias("account_created")
    )
    horizon = first.agg(
        F.avg((age < detector.young_days).cast("double")).alias("young"),
        # The young horizon is cut to whole hours, which absorbs the approximation.
        F.percentile_approx(age, detector.max_young_share, 10_000).alias("young_quantile"),
    ).first()
    detector.young_days_ = young_horizon(
        detector.young_days,
        float(horizon["young"] or 0.0),  # type: ignore[index]
        horizon["young_quantile"],  # type: ignore[index]
        detector.max_young_share,
    )
    row = known.agg(
        F.avg((age < detector.young_days_).cast("double")).alias("young"),
        # Only a sentence quotes it: an approximate median (rank error 1e-4) spares the exact
        # one's buffer of every report's age in one task, which ran out of a 4 GB heap at 10M.
        F.percentile_approx(age, 0.5, 10_000).alias("median_age"),
    ).first()
    detector.young_share_ = float(row["young"] or 0.0)  # type: ignore[index]
    detector.median_age_days_ = float(row["median_age"] or 0.0)  # type: ignore[index]
    known_accounts = log.accounts.filter(F.col("account_created").isNotNull()).count()
    return SparkFitted(detector, {"accounts_known": known_accounts})


def waves(fitted: SparkFitted, wave_reports: DataFrame, log: SparkLog) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    detector: ReporterRisk = fitted.detector
    span = detector.cluster_days * DAY
    per_reporter = (
        wave_reports.select("wave", "reporter_id", "t")
        .join(_created(log), "reporter_id", "left")
        .groupBy("wave", "reporter_id")
        .agg(F.first("account_created").alias("account_created"), F.min("t").alias("t"))
    )
    young = per_reporter.groupBy("wave").agg(
        F.count("*").alias("reporters"),
        F.sum(
            ((F.col("t") - F.col("account_created")) < detector.young_days_ * DAY).cast("long")
        ).alias("young"),
        F.count("account_created").alias("known"),
    )
    # Densest span: for each creation time c, the reporters created in [c, c + span).
    inside = Window.partitionBy("wave").orderBy("account_created").rangeBetween(0, span - 1)
    dense = (
        per_reporter.filter(F.col("account_created").isNotNull())
        .withColumn("size", F.count("*").over(inside))
        .groupBy("wave")
        .agg(F.max(F.struct("size", (-F.col("account_created")).alias("neg"))).alias("best"))
        .select(
            "wave",
            F.col("best.size").alias("cluster"),
            (-F.col("best.neg")).alias("cluster_start"),
        )
    )
    out = young.join(dense, "wave", "left").fillna(0, subset=["young", "cluster", "cluster_start"])
    out = out.join(_span_share(fitted, out, log), "wave", "left").fillna(
        0.0, subset=["cluster_baseline"]
    )
    known_n = F.greatest(F.col("known"), F.lit(1))
    young_share = F.col("young") / known_n
    cluster_share = F.col("cluster") / known_n
    base = F.lit(detector.young_share_)
    return out.select(
        "wave",
        "reporters",
        "young",
        "known",
        "cluster",
        "cluster_start",
        young_share.alias("young_share"),
        udf.gated(
            udf.binomial(F.col("young"), known_n, base),
            young_share,
            base,
            detector.min_ratio,
            detector.min_share,
        ).alias("young_surprise"),
        cluster_share.alias("cluster_share"),
        "cluster_baseline",
        udf.gated(
            udf.binomial(F.col("cluster"), known_n, F.col("cluster_baseline")),
            cluster_share,
            F.col("cluster_baseline"),
            detector.min_ratio,
            detector.min_share,
        ).alias("cluster_surprise"),
    )


def _span_share(fitted: SparkFitted, spans: DataFrame, log: SparkLog) -> DataFrame:
    """Per wave: the share of all known accounts created in [cluster_start, + cluster_days)."""
    from pyspark.sql import functions as F

    detector: ReporterRisk = fitted.detector
    span = detector.cluster_days * DAY
    total = fitted.tables["accounts_known"]
    if total == 0:  # nothing known: every span holds "all" accounts, as in-process
        return spans.select("wave", F.lit(1.0).alias("cluster_baseline"))
    days = spans.select(
        "wave",
        "cluster_start",
        F.explode(
            F.sequence(
                F.floor(F.col("cluster_start") / DAY).cast("long"),
                F.floor((F.col("cluster_start") + span - 1) / DAY).cast("long"),
            )
        ).alias("day"),
    )
    created = log.accounts.filter(F.col("account_created").isNotNull()).select(
        "account_created", F.floor(F.col("account_created") / DAY).cast("long").alias("day")
    )
    hits = days.join(created, "day").filter(
        (F.col("account_created") >= F.col("cluster_start"))
        & (F.col("account_created") < F.col("cluster_start") + span)
    )
    return hits.groupBy("wave").agg((F.count("*") / F.lit(total)).alias("cluster_baseline"))


def traits(fitted: SparkFitted, inside: DataFrame, table: DataFrame, log: SparkLog) -> DataFrame:
    """(wave, report_id) of reports by young or batch-created reporters where that fired."""
    from pyspark.sql import functions as F

    detector: ReporterRisk = fitted.detector
    joined = (
        inside.select("wave", "report_id", "reporter_id", "t")
        .join(_created(log), "reporter_id", "left")
        .join(table.select("wave", "young_surprise", "cluster_surprise", "cluster_start"), "wave")
    )
    young = (F.col("young_surprise") > 0) & (
        F.col("t") - F.col("account_created") < detector.young_days_ * DAY
    )
    clustered = (
        (F.col("cluster_surprise") > 0)
        & (F.col("account_created") >= F.col("cluster_start"))
        & (F.col("account_created") < F.col("cluster_start") + detector.cluster_days * DAY)
    )
    return joined.filter(F.coalesce(young | clustered, F.lit(False))).select("wave", "report_id")
