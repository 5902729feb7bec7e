"""Burst on Spark: per-target sliding windows over time buckets, merged into waves.

Mirrors :class:`reportguard.detect.signals.burst.BurstDetector` and reads its parameters. The
rolling sums are range windows over (target, bucket) counts, so each target is one sorted
partition and the work is linear in the number of non-empty buckets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportguard.detect.signals.burst import MINUTE, BurstDetector
from reportguard.spark import udf

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from reportguard.spark.log import SparkLog


def bucket_of(t: Column, width: int) -> Column:
    """The time bucket of epoch seconds ``t`` (floor division, as Polars' ``//``)."""
    from pyspark.sql import functions as F

    return F.floor(t / F.lit(width)).cast("long")


def per_target(log: SparkLog) -> DataFrame:
    from pyspark.sql import functions as F

    counts = log.reports.groupBy("target_id").agg(F.count("*").alias("n_total"))
    followers = log.accounts.select(F.col("account_id").alias("target_id"), "followers")
    return counts.join(followers, "target_id", "left").fillna(0, subset=["followers"])


def fit(detector: BurstDetector, log: SparkLog) -> BurstDetector:
    """Set the platform-wide rates on ``detector`` (as ``BurstDetector.fit``)."""
    from pyspark.sql import functions as F

    width = detector.bucket_minutes * MINUTE
    span = log.reports.agg(F.min("t").alias("start"), F.max("t").alias("end")).first()
    start, end = int(span["start"] or 0), int(span["end"] or 0)  # type: ignore[index]
    detector.span_ = (start, end)
    detector.buckets_total_ = max(1, (end - start) // width + 1)
    exposure = F.pow(F.col("followers") + 1, F.lit(detector.popularity_exponent))
    unit = per_target(log).agg(F.median(F.col("n_total") / exposure)).first()[0]  # type: ignore[index]
    detector.popularity_rate_ = float(unit or 1.0) / detector.buckets_total_
    return detector


def find_waves(detector: BurstDetector, log: SparkLog) -> DataFrame:
    """Waves as in ``BurstDetector.find_waves``; the wave id is ``target@start``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    width = detector.bucket_minutes * MINUTE
    counts = log.reports.groupBy("target_id", bucket_of(F.col("t"), width).alias("bucket")).agg(
        F.count("*").alias("k")
    )
    order = Window.partitionBy("target_id").orderBy("bucket")
    sums = counts.select(
        "target_id",
        "bucket",
        *[
            F.sum("k").over(order.rangeBetween(-(w - 1), 0)).alias(f"k{w}")
            for w in detector.windows
        ],
    )
    rolled = sums.select(
        "target_id",
        "bucket",
        F.explode(
            F.array(
                *[
                    F.struct(F.lit(w).alias("window"), F.col(f"k{w}").alias("k_w"))
                    for w in detector.windows
                ]
            )
        ).alias("rolled"),
    ).select("target_id", "bucket", "rolled.window", "rolled.k_w")
    rolled = rolled.filter(F.col("k_w") >= detector.min_reports).join(per_target(log), "target_id")
    total = detector.buckets_total_
    outside = (F.col("n_total") - F.col("k_w")) / F.greatest(F.lit(1), total - F.col("window"))
    prior = detector.popularity_rate_ * F.pow(
        F.col("followers") + 1.0, F.lit(detector.popularity_exponent)
    )
    hot = (
        rolled.withColumn("expected", F.greatest(outside, prior) * F.col("window"))
        .withColumn("surprise", udf.poisson(F.col("k_w"), F.col("expected")))
        .filter(F.col("surprise") >= detector.min_surprise)
        .withColumn("first_bucket", F.col("bucket") - (F.col("window") - 1))
    )
    # Overlapping or adjacent hot windows of one target are one wave.
    ordered = Window.partitionBy("target_id").orderBy("first_bucket", "bucket", "window")
    earlier = ordered.rowsBetween(Window.unboundedPreceding, -1)
    numbered = hot.withColumn("prev_end", F.max("bucket").over(earlier)).withColumn(
        "wave_no",
        F.sum(
            (F.col("prev_end").isNull() | (F.col("first_bucket") > F.col("prev_end") + 1)).cast(
                "int"
            )
        ).over(ordered.rowsBetween(Window.unboundedPreceding, 0)),
    )
    # The busiest window names the wave's expectation; on a tie, the shortest, then the earliest.
    best = _top("surprise", "expected", "window")
    waves = numbered.groupBy("target_id", "wave_no").agg(
        F.min("first_bucket").alias("first_bucket"),
        F.max("bucket").alias("last_bucket"),
        F.max("surprise").alias("burst_surprise"),
        best.alias("best"),
    )
    # As in-process (``BurstDetector._peaks``): a wave much longer than its peak, the window
    # most likely to hold a higher rate than the rest of the wave, is also judged there, under
    # its own id (it may start where the wave starts).
    peaks = _peaks(detector, counts, numbered, waves)
    whole = waves.select(
        "target_id",
        "first_bucket",
        "last_bucket",
        F.col("first_bucket").alias("wave_bucket"),
        "burst_surprise",
        F.col("best.expected").alias("expected"),
        F.col("best.window").alias("window"),
        F.lit(None).cast("string").alias("tag"),
    )
    at_peak = waves.join(peaks, ["target_id", "wave_no"]).select(
        "target_id",
        (F.col("peak.bucket") - F.col("peak.window") + 1).alias("first_bucket"),
        F.col("peak.bucket").alias("last_bucket"),
        F.col("first_bucket").alias("wave_bucket"),
        F.col("peak.surprise").alias("burst_surprise"),
        F.col("peak.expected").alias("expected"),
        F.col("peak.window").alias("window"),
        F.lit("core").alias("tag"),
    )
    return whole.unionByName(at_peak).select(
        F.concat_ws("@", "target_id", (F.col("first_bucket") * width).cast("string"), "tag").alias(
            "wave"
        ),
        "target_id",
        (F.col("first_bucket") * width).alias("start"),
        ((F.col("last_bucket") + 1) * width).alias("end"),
        (F.col("wave_bucket") * width).alias("wave_start"),
        "burst_surprise",
        "expected",
        F.col("window").cast("int").alias("window"),
    )


def _peaks(
    detector: BurstDetector, counts: DataFrame, windows: DataFrame, waves: DataFrame
) -> DataFrame:
    """Per wave, its peak window as a struct ``peak`` (as ``BurstDetector._peaks``)."""
    from pyspark.sql import functions as F

    spans = waves.select(
        "target_id",
        "wave_no",
        F.col("first_bucket").alias("wave_first"),
        F.col("last_bucket").alias("wave_last"),
    )
    totals = (
        counts.join(spans, "target_id")
        .filter(F.col("bucket").between(F.col("wave_first"), F.col("wave_last")))
        .groupBy("target_id", "wave_no")
        .agg(F.sum("k").alias("wave_reports"))
    )
    length = F.col("wave_last") - F.col("wave_first") + 1
    k, total = F.col("k_w"), F.col("wave_reports")
    uniform = total * F.col("window") / length
    inside = (
        windows.join(spans, ["target_id", "wave_no"])
        .join(totals, ["target_id", "wave_no"])
        .filter(
            (length > detector.peak_factor * F.col("window"))
            & (k <= detector.peak_max_share * total)
        )
        .withColumn("expected_in", (total - k) / (length - F.col("window")) * F.col("window"))
        .withColumn("within", udf.poisson(k, F.col("expected_in")))
        .filter(F.col("within") >= detector.min_surprise)
        .withColumn(
            "scan", k * F.log(k / uniform) + (total - k) * F.log((total - k) / (total - uniform))
        )
    )
    return inside.groupBy("target_id", "wave_no").agg(
        _top("scan", "bucket", "window", "expected", "surprise").alias("peak")
    )


def _top(by: str, *columns: str) -> Column:
    """The window with the largest ``by`` (on a tie the shortest, then the earliest), as a
    struct of ``columns``: the ``sort_by(...).last()`` of the in-process engine."""
    from pyspark.sql import functions as F

    return F.max(
        F.struct(
            by,
            (-F.col("window")).alias("shorter"),
            (-F.col("bucket")).alias("earlier"),
            *columns,
        )
    )


def wave_reports(log: SparkLog, waves: DataFrame) -> DataFrame:
    """Each report inside a wave, with the wave's id and span."""
    from pyspark.sql import functions as F

    spans = waves.select("wave", "target_id", "start", "end")
    return log.reports.join(spans, "target_id").filter(
        (F.col("t") >= F.col("start")) & (F.col("t") < F.col("end"))
    )
