"""Referral: many reporters arriving through one outside source.

A referrer that is common everywhere (a notification, the search page) says nothing. One that
shows up in a wave far more often than its share of all reports (a forum thread calling for a
raid) does. The baseline is that referrer's own share of every report on the platform.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import polars as pl

from reportguard.detect.evidence import binomial_surprise, gated
from reportguard.detect.frame import ReportFrame
from reportguard.detect.signals.base import Detector


class Referral(Detector):
    """The most common referrer of each wave against its platform-wide frequency.

    >>> Referral(min_share=0.5)
    Referral(min_share=0.5)
    """

    name = "referral"
    surprise_columns = ("referral_surprise",)
    explained_by = (("referral_surprise", "spread"),)  # a post shared elsewhere: one link
    spark_twin = "reportguard.spark.referral"

    def __init__(self, *, min_ratio: float = 10.0, min_share: float = 0.3) -> None:
        self.min_ratio = min_ratio
        self.min_share = min_share

    def fit(self, frame: ReportFrame) -> Self:
        total = max(1, len(frame))
        # Most reports have no referrer: counting the few that do, not grouping ten million
        # rows by a mostly null text (that took 1.8 GB of transient memory on `large`).
        counts = frame.reports.get_column("referrer").drop_nulls().value_counts(name="len")
        self.referrer_share_ = dict(
            zip(counts["referrer"].to_list(), (counts["len"] / total).to_list(), strict=True)
        )
        return self

    def waves(self, wave_reports: pl.DataFrame, frame: ReportFrame) -> pl.DataFrame:
        sizes = wave_reports.group_by("wave").agg(pl.len().alias("reports"))
        top = (
            wave_reports.drop_nulls("referrer")
            .group_by("wave", "referrer")
            .len()
            .sort(["wave", "len", "referrer"], descending=[False, True, False])
            .group_by("wave", maintain_order=True)
            .first()
        )
        out = sizes.join(top, on="wave", how="left").with_columns(pl.col("len").fill_null(0))
        baseline = np.array(
            [
                self.referrer_share_.get(r, 0.0) if r is not None else 1.0
                for r in out["referrer"].to_list()
            ]
        )
        n = out["reports"].to_numpy()
        hits = out["len"].to_numpy()
        share = hits / np.maximum(n, 1)
        surprise = gated(
            binomial_surprise(hits, n, baseline), share, baseline, self.min_ratio, self.min_share
        )
        return out.rename({"len": "referred"}).with_columns(
            pl.Series("referral_share", share),
            pl.Series("referral_baseline", baseline),
            pl.Series("referral_surprise", surprise),
        )

    def traits(
        self, wave_reports: pl.DataFrame, waves: pl.DataFrame, frame: ReportFrame
    ) -> pl.Series:
        top = waves.select("wave", pl.col("referrer").alias("top"), "referral_surprise")
        joined = wave_reports.select("wave", "referrer").join(top, on="wave", how="left")
        same = (pl.col("referral_surprise") > 0) & (pl.col("referrer") == pl.col("top"))
        return joined.select(same.fill_null(False).alias("trait")).to_series()

    def sentences(self, row: dict[str, Any]) -> list[tuple[str, float, str]]:
        surprise = float(row["referral_surprise"])
        if surprise <= 0:
            return []
        return [
            (
                "referral",
                surprise,
                f"{row['referred']} of {row['reports']} reports arrived from the same outside "
                f"page ({row['referrer']}); it accounts for "
                f"{float(row['referral_baseline']):.3%} of all reports",
            )
        ]
