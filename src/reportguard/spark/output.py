"""Write a Spark detection back as Parquet: campaigns, their reports, per-report scores, signals.

Written by Spark, so ``output`` may be any URI the cluster writes (HDFS, S3, a local folder).
Each table is its own folder, replaced on every run.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from reportguard.spark.engine import SparkDetection

TABLES = ("campaigns", "campaign_reports", "report_scores", "waves")


def write_outputs(spark: SparkSession, detection: SparkDetection, output: str) -> list[str]:
    """Write the four tables under ``output``; returns their URIs."""
    base = output.rstrip("/")
    campaigns = spark.createDataFrame(
        [
            (
                c.key,
                float(c.score),
                c.members,
                c.targets,
                c.first_report_at,
                c.last_report_at,
                len(c.report_ids),
                json.dumps(c.evidence),
            )
            for c in detection.campaigns
        ],
        "campaign_key string, score double, members array<string>, targets array<string>, "
        "first_report_at timestamp, last_report_at timestamp, n_reports long, evidence string",
    )
    tables = {
        "campaigns": campaigns,
        "campaign_reports": detection.campaign_reports.select("campaign_key", "report_id"),
        "report_scores": detection.report_scores,
        "waves": detection.waves,
    }
    written = []
    for name in TABLES:
        uri = f"{base}/{name}"
        tables[name].write.mode("overwrite").parquet(uri)
        written.append(uri)
    return written
