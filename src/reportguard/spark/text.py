"""Near-duplicate text on Spark: MinHash LSH clusters inside each wave.

Mirrors :class:`reportguard.detect.signals.text.NearDuplicateText` and runs its very ``clusters``
(datasketch) on each wave's texts, grouped by wave with ``applyInPandas``: Python runs once per
wave, over the reports of waves only (a small share of the log), never once per report. The
platform's near-duplicate rate is learned from a sample of ``sample`` texts, as in-process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportguard.detect.evidence import CAP
from reportguard.detect.signals.text import NearDuplicateText
from reportguard.spark import udf
from reportguard.spark.fitted import SparkFitted

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame

    from reportguard.spark.log import SparkLog


def fit(detector: NearDuplicateText, log: SparkLog) -> SparkFitted:
    from pyspark.sql import functions as F

    texts = log.reports.select("text").filter(F.col("text").isNotNull())
    n = texts.count()
    if n > detector.sample:
        # Oversample a little so the limit is met; a Bernoulli sample can fall short.
        fraction = min(1.0, 1.2 * detector.sample / n + 100 / n)
        texts = texts.sample(fraction=fraction, seed=detector.seed).limit(detector.sample)
    detector.pair_rate_ = detector._pair_rate([row[0] for row in texts.collect()])
    return SparkFitted(detector)


def labels(detector: NearDuplicateText, wave_reports: DataFrame) -> DataFrame:
    """(wave, report_id, label): each text's near-duplicate cluster inside its wave."""
    from pyspark.sql import functions as F

    def cluster(wave: pd.DataFrame) -> pd.DataFrame:
        wave = wave.sort_values(["t", "report_id"], kind="stable")
        wave["label"] = detector.clusters(wave["text"].tolist())
        return wave[["wave", "report_id", "label"]]

    return (
        wave_reports.select("wave", "report_id", "t", "text")
        .filter(F.col("text").isNotNull())
        .groupBy("wave")
        .applyInPandas(cluster, "wave string, report_id string, label long")
    )


def waves(fitted: SparkFitted, wave_reports: DataFrame, log: SparkLog) -> DataFrame:
    """Per wave: texts, largest cluster and near-duplicate pairs against the platform's rate.

    The labels are kept (``tables["labels"]``) for :func:`traits`.
    """
    from pyspark.sql import functions as F

    detector: NearDuplicateText = fitted.detector
    text_labels = labels(detector, wave_reports).localCheckpoint()
    fitted.tables["labels"] = text_labels
    sizes = text_labels.groupBy("wave", "label").agg(F.count("*").alias("size"))
    clustered = sizes.groupBy("wave").agg(
        F.sum("size").alias("texts"),
        F.max("size").alias("largest_cluster"),
        F.sum(F.col("size") * (F.col("size") - 1) / 2).alias("dup_pairs"),
    )
    out = (
        wave_reports.groupBy("wave")
        .agg(F.count("*").alias("reports"))
        .join(clustered, "wave", "left")
        .fillna(0, subset=["texts", "largest_cluster"])
        .fillna(0.0, subset=["dup_pairs"])
    )
    m = F.col("texts").cast("double")
    expected = F.greatest(detector.pair_rate_ * m * (m - 1) / 2, F.lit(1e-6))
    ratio = F.col("dup_pairs") / F.col("text_expected_pairs")
    bound = F.when(
        ratio > 1,
        F.col("text_expected_pairs") * (ratio * F.log(ratio) - ratio + 1),
    ).otherwise(F.lit(0.0))
    share = F.col("largest_cluster") / F.greatest(F.col("reports"), F.lit(1))
    material = (F.col("text_share") >= detector.min_share) & (ratio >= detector.min_ratio)
    surprise = F.least(F.greatest(bound / F.log(F.lit(10.0)), F.lit(0.0)), F.lit(CAP))
    return (
        out.withColumn("text_share", share)
        .withColumn("text_expected_pairs", expected)
        .withColumn("text_surprise", F.when(material, surprise).otherwise(F.lit(0.0)))
    )


def traits(fitted: SparkFitted, inside: DataFrame, table: DataFrame, log: SparkLog) -> DataFrame:
    """(wave, report_id) of reports whose text is in a near-duplicate cluster larger than
    chance makes, in a wave where text fired (as ``NearDuplicateText.shared_wording``)."""
    from pyspark.sql import functions as F

    detector: NearDuplicateText = fitted.detector
    text_labels: DataFrame = fitted.tables["labels"]
    fired = table.filter(F.col("text_surprise") > 0).select("wave")
    sizes = text_labels.groupBy("wave", "label").agg(F.count("*").alias("size"))
    texts = text_labels.groupBy("wave").agg(F.count("*").alias("texts"))
    chance = detector.pair_rate_ * F.greatest(F.col("texts") - 1, F.lit(0))
    shared = sizes.join(texts, "wave").filter(
        (F.col("size") >= 2) & (udf.tail(F.col("size") - 1, chance) < detector.member_p)
    )
    duplicated = (
        text_labels.join(fired, "wave")
        .join(shared.select("wave", "label"), ["wave", "label"])
        .select("wave", "report_id")
    )
    return duplicated.join(inside.select("wave", "report_id"), ["wave", "report_id"])
