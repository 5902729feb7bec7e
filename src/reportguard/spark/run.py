"""One entry for both front ends (``reportguard detect --engine spark`` and spark-submit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reportguard.detect.campaigns import CampaignDetector

if TYPE_CHECKING:
    from reportguard.spark.engine import SparkDetection


@dataclass
class LogLocation:
    """Where the report log and (optionally) the account snapshots are."""

    reports: str
    accounts: str | None = None

    @classmethod
    def resolve(cls, reports: str, accounts: str | None = None) -> LogLocation:
        """A local folder written by ``reportguard simulate --format parquet`` names both files.

        >>> LogLocation.resolve("s3a://bucket/reports/").reports
        's3a://bucket/reports/'
        """
        folder = Path(reports)
        if accounts is None and "://" not in reports and (folder / "reports.parquet").exists():
            found = folder / "accounts.parquet"
            return cls(str(folder / "reports.parquet"), str(found) if found.exists() else None)
        return cls(reports, accounts)


def detect_on_spark(
    location: LogLocation,
    *,
    output: str | None = None,
    master: str | None = None,
    conf: dict[str, str] | None = None,
    engine: CampaignDetector | None = None,
    step: Callable[[str], None] = lambda _: None,
) -> SparkDetection:
    """Read the log, detect on Spark, write Parquet when ``output`` is given."""
    from reportguard.spark.engine import SparkCampaignDetector
    from reportguard.spark.log import read_log
    from reportguard.spark.output import write_outputs
    from reportguard.spark.session import spark_session

    step("starting Spark")
    spark = spark_session(master, conf)
    step(f"reading {location.reports}")
    log = read_log(spark, location.reports, location.accounts)
    step("detecting on Spark")
    detection = SparkCampaignDetector(engine).run(log)
    if output is not None:
        step(f"writing {output}")
        write_outputs(spark, detection, output)
    return detection
