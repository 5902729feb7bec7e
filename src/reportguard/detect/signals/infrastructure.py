"""Shared infrastructure: several reporters of one wave behind the same hashed IP or device.

The baseline is the platform's own collision rate: the chance that two reporters picked at random
share an address or device (households, offices, carrier NAT). In a wave of n reporters, each one
then shares with another with probability about (n - 1) * q.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import polars as pl

from reportguard.detect.evidence import binomial_surprise, gated
from reportguard.detect.frame import ReportFrame
from reportguard.detect.signals.base import Detector


def _collision(frame: ReportFrame, column: str) -> float:
    pairs = frame.reports.select("reporter_id", column).drop_nulls().unique()
    if pairs.is_empty():
        return 0.0
    per_value = pairs.group_by(column).len()["len"].to_numpy().astype(np.float64)
    share = per_value / per_value.sum()
    return float((share**2).sum())


class SharedInfrastructure(Detector):
    """Reporters of a wave sharing an IP address or a device (keyed hashes).

    >>> SharedInfrastructure().get_params()
    {'min_ratio': 4.0, 'min_share': 0.25}
    """

    name = "shared_infrastructure"
    surprise_columns = ("infra_surprise",)
    spark_twin = "reportguard.spark.infrastructure"

    def __init__(self, *, min_ratio: float = 4.0, min_share: float = 0.25) -> None:
        self.min_ratio = min_ratio
        self.min_share = min_share

    def fit(self, frame: ReportFrame) -> Self:
        self.ip_collision_ = _collision(frame, "ip_hash")
        self.device_collision_ = _collision(frame, "device_hash")
        return self

    def waves(self, wave_reports: pl.DataFrame, frame: ReportFrame) -> pl.DataFrame:
        shared_rows = []
        for column in ("ip_hash", "device_hash"):
            pairs = wave_reports.select("wave", "reporter_id", column).drop_nulls().unique()
            crowded = pairs.group_by("wave", column).agg(
                pl.col("reporter_id").n_unique().alias("n")
            )
            crowded = crowded.filter(pl.col("n") >= 2)
            shared_rows.append(
                pairs.join(crowded.select("wave", column), on=["wave", column]).select(
                    "wave", "reporter_id"
                )
            )
        sharing = pl.concat(shared_rows).unique().group_by("wave").agg(pl.len().alias("sharing"))
        addresses = wave_reports.group_by("wave").agg(
            pl.col("reporter_id").n_unique().alias("reporters"),
            pl.col("ip_hash").drop_nulls().n_unique().alias("addresses"),
        )
        out = addresses.join(sharing, on="wave", how="left").with_columns(
            pl.col("sharing").fill_null(0)
        )
        n = out["reporters"].to_numpy()
        q = min(1.0, self.ip_collision_ + self.device_collision_)
        p = np.minimum(0.999, np.maximum(n - 1, 1) * q)
        share = out["sharing"].to_numpy() / np.maximum(n, 1)
        surprise = gated(
            binomial_surprise(out["sharing"].to_numpy(), n, p),
            share,
            p,
            self.min_ratio,
            self.min_share,
        )
        return out.with_columns(
            pl.Series("infra_share", share),
            pl.Series("infra_baseline", p),
            pl.Series("infra_surprise", surprise),
        )

    def traits(
        self, wave_reports: pl.DataFrame, waves: pl.DataFrame, frame: ReportFrame
    ) -> pl.Series:
        marked = wave_reports.select("wave", "reporter_id", "ip_hash", "device_hash")
        shared = pl.lit(False)
        for column in ("ip_hash", "device_hash"):
            crowd = pl.col("reporter_id").n_unique().over("wave", column)
            shared = shared | (pl.col(column).is_not_null() & (crowd >= 2))
        fired = marked.join(waves.select("wave", "infra_surprise"), on="wave", how="left")
        return fired.select(
            (shared & (pl.col("infra_surprise") > 0)).fill_null(False).alias("trait")
        ).to_series()

    def sentences(self, row: dict[str, Any]) -> list[tuple[str, float, str]]:
        surprise = float(row["infra_surprise"])
        if surprise <= 0:
            return []
        return [
            (
                "shared_infrastructure",
                surprise,
                f"{row['sharing']} of {row['reporters']} reporters share an IP address or device "
                f"with another reporter of this wave ({row['addresses']} distinct addresses); by "
                f"chance about {float(row['infra_baseline']):.1%} would",
            )
        ]
