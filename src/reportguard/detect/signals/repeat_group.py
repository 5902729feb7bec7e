"""Repeat group: a wave's reporters turn up together again, in a wave against another target.

Strangers who react to the same viral post rarely meet again on a different account; a ring that
moves from target to target does, wave after wave. For each wave, the other wave sharing most of
its reporters is found, and the share is compared with what chance predicts: that other wave's
reporters as a share of every active reporter on the platform.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import polars as pl

from reportguard.detect.evidence import binomial_surprise, gated
from reportguard.detect.frame import ReportFrame
from reportguard.detect.signals.base import Detector


class RepeatGroup(Detector):
    """How many of a wave's reporters reported together again in a wave on another target.

    >>> RepeatGroup(min_share=0.5)
    RepeatGroup(min_share=0.5)
    """

    name = "repeat_group"
    surprise_columns = ("repeat_surprise",)
    spark_twin = "reportguard.spark.repeat_group"

    def __init__(
        self, *, min_ratio: float = 10.0, min_share: float = 0.3, member_surprise: float = 3.0
    ) -> None:
        self.min_ratio = min_ratio
        self.min_share = min_share
        self.member_surprise = member_surprise

    def fit(self, frame: ReportFrame) -> Self:
        self.active_reporters_ = max(1, frame.reports["reporter_id"].n_unique())
        self.targets_ = max(1, frame.distinct_targets())
        # How many accounts each reporter ever reported: what their breadth alone explains.
        self.breadth_ = frame.breadth()
        return self

    def waves(self, wave_reports: pl.DataFrame, frame: ReportFrame) -> pl.DataFrame:
        members = wave_reports.select("wave", "target_id", "reporter_id").unique()
        pairs = members.join(members, on="reporter_id", suffix="_other").filter(
            pl.col("target_id") != pl.col("target_id_other")
        )
        shared = pairs.group_by("wave", "wave_other").agg(pl.len().alias("shared"))
        sizes = members.group_by("wave").agg(pl.len().alias("n"))
        best = (
            shared.sort(["wave", "shared", "wave_other"], descending=[False, True, False])
            .group_by("wave", maintain_order=True)
            .first()
        )
        out = (
            sizes.join(best, on="wave", how="left")
            .join(sizes.rename({"wave": "wave_other", "n": "n_other"}), on="wave_other", how="left")
            .with_columns(pl.col("shared").fill_null(0), pl.col("n_other").fill_null(0))
        )
        n = out["n"].to_numpy()
        hits = out["shared"].to_numpy()
        p = np.clip(out["n_other"].to_numpy() / self.active_reporters_, 1e-9, 1.0)
        share = hits / np.maximum(n, 1)
        surprise = gated(binomial_surprise(hits, n, p), share, p, self.min_ratio, self.min_share)
        return out.select(
            "wave",
            pl.col("wave_other").alias("repeat_wave"),
            pl.col("shared").alias("repeat_shared"),
        ).with_columns(pl.Series("repeat_surprise", surprise))

    def traits(
        self, wave_reports: pl.DataFrame, waves: pl.DataFrame, frame: ReportFrame
    ) -> pl.Series:
        """Reporters of two or more of the flagged waves' targets, more than their breadth
        explains: a trusted flagger who reports hundreds of accounts meets a few flagged waves by
        volume alone, a ring member who reports a handful does not."""
        hits = wave_reports.group_by("reporter_id").agg(pl.col("target_id").n_unique().alias("h"))
        share = wave_reports["target_id"].n_unique() / self.targets_
        judged = hits.join(self.breadth_, on="reporter_id", how="left").with_columns(
            pl.max_horizontal(pl.col("breadth").fill_null(0), pl.col("h")).alias("breadth")
        )
        surprise = binomial_surprise(
            judged["h"].to_numpy(), judged["breadth"].to_numpy(), min(1.0, share)
        )
        repeaters = judged.filter((pl.col("h") >= 2) & pl.Series(surprise >= self.member_surprise))[
            "reporter_id"
        ]
        return wave_reports.select(
            pl.col("reporter_id").is_in(repeaters.implode()).alias("trait")
        ).to_series()

    def sentences(self, row: dict[str, Any]) -> list[tuple[str, float, str]]:
        surprise = float(row["repeat_surprise"])
        if surprise <= 0:
            return []
        return [
            (
                "repeat_group",
                surprise,
                f"{row['repeat_shared']} of these reporters also reported together in another "
                "wave against a different target",
            )
        ]
