"""Read a Parquet report log into the columns every Spark signal works on.

The columns of :class:`reportguard.detect.frame.ReportFrame`: times as epoch seconds, ids as
strings, network identifiers as hash text (the in-process frame holds 64-bit keys of it; both
are only compared for equality). A log exported with ``ip_hash``/``device_hash`` keeps
them; raw ``ip``/``device`` columns are hashed here with a salt made for this run only (detection
needs equality, nothing else), so no raw address reaches a shuffle file or an output.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reportguard.errors import InputFileError, ReportGuardError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

REQUIRED = ("report_id", "reporter_id", "target_id", "created_at")
OPTIONAL = ("content_id", "reason", "text", "referrer", "surface")


@dataclass
class SparkLog:
    """Reports and account snapshots as Spark DataFrames (the Spark side of ReportFrame)."""

    reports: DataFrame
    accounts: DataFrame
    _active: int | None = None
    _pairs: int | None = None

    def active_reporters(self) -> int:
        """Distinct reporters in the log (at least 1), counted once: a full pass over the log."""
        if self._active is None:
            self._active = max(1, self.reports.select("reporter_id").distinct().count())
        return self._active

    def distinct_pairs(self) -> int:
        """Distinct (reporter, target) pairs in the log, counted once."""
        if self._pairs is None:
            self._pairs = self.reports.select("reporter_id", "target_id").distinct().count()
        return self._pairs


def read_log(spark: SparkSession, reports: str, accounts: str | None = None) -> SparkLog:
    """Read ``reports`` (a Parquet file or folder, any URI Spark reads) and optional accounts.

    A row without an id or with a time that does not parse stops the run with the first such
    record named: detection over a log that silently lost rows would be wrong without a trace.
    """
    from pyspark.sql import functions as F

    raw = _read(spark, reports, "reports")
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise InputFileError(f"{reports}: the report log has no column {', '.join(missing)}")
    salt = secrets.token_hex(16)
    columns = [F.col(c).cast("string").alias(c) for c in ("report_id", "reporter_id", "target_id")]
    columns += [
        (F.col(c).cast("string") if c in raw.columns else F.lit(None).cast("string")).alias(c)
        for c in OPTIONAL
    ]
    columns += [
        _epoch(raw, "created_at").alias("t"),
        _hashed(raw, "ip", salt).alias("ip_hash"),
        _hashed(raw, "device", salt).alias("device_hash"),
    ]
    if "reporter_kind" in raw.columns:
        # A remote server's flags are one reporter forwarding many people's: detection looks
        # for people acting together and does not read them (as pipeline.batch.without_servers).
        raw = raw.filter(F.coalesce(F.col("reporter_kind").cast("string"), F.lit("")) != "server")
    frame = raw.select(*columns)
    _check(frame, reports)
    account_frame = _accounts(spark, accounts) if accounts is not None else _no_accounts(spark)
    return SparkLog(reports=frame, accounts=account_frame)


def _read(spark: SparkSession, uri: str, what: str) -> DataFrame:
    from pyspark.errors import AnalysisException

    try:
        return spark.read.parquet(uri)
    except AnalysisException as exc:
        first = str(exc).splitlines()[0]
        raise InputFileError(f"{uri}: cannot read the {what} as Parquet ({first})") from None


def _epoch(raw: DataFrame, name: str) -> Column:
    """Epoch seconds from a timestamp, an ISO 8601 text or a number of seconds."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import NumericType, StringType

    kind = raw.schema[name].dataType
    if isinstance(kind, NumericType):
        return F.col(name).try_cast("long")
    # try_: an unreadable time becomes null, which the check below names, not a Java trace.
    column = F.try_to_timestamp(F.col(name)) if isinstance(kind, StringType) else F.col(name)
    return F.unix_timestamp(column.try_cast("timestamp"))


def _hashed(raw: DataFrame, name: str, salt: str) -> Column:
    from pyspark.sql import functions as F

    # A row's own hash where the log holds one, else its raw value hashed with the salt (the
    # in-process reader does the same with a seed drawn for its run).
    own = F.col(f"{name}_hash").cast("string") if f"{name}_hash" in raw.columns else None
    if name in raw.columns:
        value = F.lower(F.trim(F.col(name).cast("string")))
        if name == "ip":
            # As ingest's normalise_ip for the common case: an IPv4 address written IPv4-mapped
            # (::ffff:203.0.113.9) is the same address. Other IPv6 spellings are not rewritten.
            value = F.regexp_replace(value, r"^(0{0,4}:)+ffff:(\d+\.\d+\.\d+\.\d+)$", "$2")
        hashed = F.when(value.isNull() | (value == ""), None).otherwise(
            F.sha2(F.concat(F.lit(f"{salt}:{name}:"), value), 256)
        )
        return hashed if own is None else F.coalesce(own, hashed)
    return own if own is not None else F.lit(None).cast("string")


def _check(frame: DataFrame, uri: str) -> None:
    from pyspark.sql import functions as F

    bad = frame.filter(
        F.col("report_id").isNull()
        | F.col("reporter_id").isNull()
        | F.col("target_id").isNull()
        | F.col("t").isNull()
    )
    first = bad.select("report_id", "reporter_id", "target_id", "t").limit(1).collect()
    if first:
        row = first[0]
        field = next(
            name
            for name, value in (
                ("report_id", row.report_id),
                ("reporter_id", row.reporter_id),
                ("target_id", row.target_id),
                ("created_at", row.t),
            )
            if value is None
        )
        count = bad.count()
        who = f"report {row.report_id}" if row.report_id is not None else "a report"
        raise ReportGuardError(
            f"{uri}: {who}: {field} is missing or not a time ({count:,} such rows); "
            "fix the export or drop them before detection"
        )


def _accounts(spark: SparkSession, uri: str) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    raw = _read(spark, uri, "accounts")
    if "account_id" not in raw.columns:
        raise InputFileError(f"{uri}: the accounts file has no column account_id")
    created = _epoch(raw, "created_at") if "created_at" in raw.columns else F.lit(None).cast("long")
    frame = raw.select(
        F.col("account_id").cast("string").alias("account_id"),
        created.alias("account_created"),
        *[
            (F.col(c).try_cast("long") if c in raw.columns else F.lit(None).cast("long")).alias(c)
            for c in ("followers", "posts")
        ],
        (F.col("handle").cast("string") if "handle" in raw.columns else F.lit(None))
        .cast("string")
        .alias("handle"),
        (_epoch(raw, "snapshot_at") if "snapshot_at" in raw.columns else F.lit(0)).alias(
            "snapshot"
        ),
    ).filter(F.col("account_id").isNotNull())
    # Several snapshots of one account: the latest describes it.
    latest = Window.partitionBy("account_id").orderBy(F.col("snapshot").desc_nulls_last())
    return (
        frame.withColumn("n", F.row_number().over(latest))
        .filter(F.col("n") == 1)
        .drop("n", "snapshot")
    )


def _no_accounts(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [],
        "account_id string, account_created long, followers long, posts long, handle string",
    )
