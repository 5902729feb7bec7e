"""Arrival: reports filed on the account's profile far more than the platform's own reports are.

Where in the app a report was filed (the contract's ``surface``) follows how the reporter got
there. People who report what they came across do it where they saw it: in the feed, under a
post, in search. Members of a brigade are sent to a *person*: they open the profile and report
the account, or posts from it. A wave that arrives on the profile far more often than the
platform's reports do is that trace. It needs the platform to send ``surface``: a wave with
fewer than ``min_known`` reports whose surface is known is not judged.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import polars as pl

from reportguard.detect.evidence import binomial_surprise, gated
from reportguard.detect.frame import ReportFrame
from reportguard.detect.signals.base import Detector

PROFILE = "profile"


class Arrival(Detector):
    """Each wave's share of reports filed on the profile against the platform's share.

    >>> Arrival(min_share=0.5)
    Arrival(min_share=0.5)
    """

    name = "arrival"
    surprise_columns = ("arrival_surprise",)
    spark_twin = "reportguard.spark.arrival"

    def __init__(
        self, *, min_ratio: float = 2.5, min_share: float = 0.4, min_known: int = 10
    ) -> None:
        self.min_ratio = min_ratio
        self.min_share = min_share
        self.min_known = min_known

    def fit(self, frame: ReportFrame) -> Self:
        known = frame.reports.filter(pl.col("surface").is_not_null())
        on_profile = known.select((pl.col("surface") == PROFILE).mean()).item()
        self.profile_share_: float | None = float(on_profile) if len(known) else None
        return self

    def waves(self, wave_reports: pl.DataFrame, frame: ReportFrame) -> pl.DataFrame:
        out = wave_reports.group_by("wave").agg(
            pl.col("surface").is_not_null().sum().alias("arrival_known"),
            (pl.col("surface") == PROFILE).sum().alias("on_profile"),
        )
        n = out["arrival_known"].to_numpy()
        hits = out["on_profile"].fill_null(0).to_numpy()
        if self.profile_share_ is None:
            surprise = np.zeros(len(out))
            baseline = np.ones(len(out))
        else:
            baseline = np.full(len(out), self.profile_share_)
            share = hits / np.maximum(n, 1)
            surprise = gated(
                binomial_surprise(hits, n, baseline),
                share,
                baseline,
                self.min_ratio,
                self.min_share,
            )
            # A wave judged on a handful of known surfaces says nothing about how it arrived.
            surprise = np.where(n >= self.min_known, surprise, 0.0)
        return out.with_columns(
            pl.Series("arrival_baseline", baseline),
            pl.Series("arrival_surprise", surprise),
        )

    def traits(
        self, wave_reports: pl.DataFrame, waves: pl.DataFrame, frame: ReportFrame
    ) -> pl.Series:
        fired = waves.select("wave", (pl.col("arrival_surprise") > 0).alias("fired"))
        joined = wave_reports.select("wave", "surface").join(fired, on="wave", how="left")
        mark = pl.col("fired").fill_null(False) & (pl.col("surface") == PROFILE).fill_null(False)
        return joined.select(mark.alias("trait")).to_series()

    def sentences(self, row: dict[str, Any]) -> list[tuple[str, float, str]]:
        surprise = float(row["arrival_surprise"])
        if surprise <= 0:
            return []
        return [
            (
                "arrival",
                surprise,
                f"{row['on_profile']} of {row['arrival_known']} reports were filed on the "
                f"account's profile, not where its posts are seen; across the platform "
                f"{float(row['arrival_baseline']):.0%} of reports are",
            )
        ]
