"""A Spark session for ReportGuard: local on one machine, or whatever spark-submit provides."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from reportguard.errors import ReportGuardError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Settings every run needs; anything given by the caller (or spark-defaults.conf) wins.
DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.adaptive.enabled": "true",
}


def spark_session(
    master: str | None = None,
    conf: dict[str, str] | None = None,
    *,
    app_name: str = "reportguard-detect",
) -> SparkSession:
    """Start (or join) a Spark session.

    Without ``master`` the session takes spark-submit's master, else runs locally on every core.
    The Python that runs this also runs the workers' pandas functions, unless
    ``PYSPARK_PYTHON`` says otherwise: a worker on another interpreter lacks the dependencies.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ReportGuardError(
            "the Spark engine needs PySpark: pip install 'reportguard[spark]'"
        ) from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    local = master is None or master.startswith("local")
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    settings = dict(DEFAULTS)
    if local:
        # A few partitions per core: Spark's default of 200 is for clusters, not a laptop.
        settings["spark.sql.shuffle.partitions"] = str(4 * (os.cpu_count() or 2))
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def parse_conf(pairs: list[str]) -> dict[str, str]:
    """``key=value`` options (as on spark-submit's ``--conf``) as a dict.

    >>> parse_conf(["spark.executor.memory=8g"])
    {'spark.executor.memory': '8g'}
    """
    conf = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ReportGuardError(f"--spark-conf {pair!r}: expected key=value")
        conf[key.strip()] = value.strip()
    return conf
