"""Repeat group: a wave's reporters turn up together again on another target.

Strangers who react to the same viral post rarely meet again on a different account; a ring that
moves from target to target does. For each wave, the other account that most of its reporters
also reported (at any time, in a wave of its own or not) is compared with what chance predicts:
that account's reporters as a share of every active reporter on the platform. A ring's second
raid is often too small or too slow to be a wave by itself (eight reports over an afternoon), so
it is looked for among all the accounts its members reported, not among waves alone. Taking the
best of many accounts is itself a chance to be lucky: the surprise is reduced by log10 of how
many accounts were compared (a Bonferroni correction).
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import polars as pl

from reportguard.detect.evidence import binomial_surprise, gated
from reportguard.detect.frame import ReportFrame
from reportguard.detect.signals.base import Detector


class RepeatGroup(Detector):
    """How many of a wave's reporters reported together again on one other account.

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
        self.active_reporters_ = max(1, frame.distinct_reporters())
        self.targets_ = max(1, frame.distinct_targets())
        # How many accounts each reporter ever reported: what their breadth alone explains.
        self.breadth_ = frame.breadth()
        # Who reported whom over the whole fitted log (shares the frame's columns, no copy): an
        # incremental score sees only some targets, a ring's other target may not be among them.
        self.fitted_ = frame
        return self

    def waves(self, wave_reports: pl.DataFrame, frame: ReportFrame) -> pl.DataFrame:
        members = wave_reports.select("wave", "target_id", "reporter_id").unique()
        sizes = members.group_by("wave").agg(pl.len().alias("n"))
        elsewhere = (
            self.fitted_.reports.select("reporter_id", "target_id")
            .filter(self.fitted_.reported_by(members["reporter_id"]))
            .unique()
            .rename({"target_id": "target_other"})
        )
        shared = (
            members.join(elsewhere, on="reporter_id")
            .filter(pl.col("target_id") != pl.col("target_other"))
            .group_by("wave", "target_other")
            .agg(pl.len().alias("shared"))
        )
        compared = shared.group_by("wave").agg(pl.len().alias("compared"))
        # Only a target two reporters share can be evidence; the rest are counted, not judged.
        shared = shared.filter(pl.col("shared") >= 2)
        crowd = (
            self.fitted_.reports.select("reporter_id", "target_id")
            .filter(self.fitted_.reporting(shared["target_other"]))
            .unique()
            .group_by("target_id")
            .agg(pl.len().alias("n_other"))
            .rename({"target_id": "target_other"})
        )
        judged = shared.join(sizes, on="wave").join(crowd, on="target_other", how="left")
        n = judged["n"].to_numpy()
        hits = judged["shared"].to_numpy()
        p = np.clip(judged["n_other"].fill_null(0).to_numpy() / self.active_reporters_, 1e-9, 1.0)
        surprise = gated(
            binomial_surprise(hits, n, p),
            hits / np.maximum(n, 1),
            p,
            self.min_ratio,
            self.min_share,
        )
        best = (
            judged.with_columns(pl.Series("surprise", surprise))
            .sort(
                ["wave", "surprise", "shared", "target_other"],
                descending=[False, True, True, False],
            )
            .group_by("wave", maintain_order=True)
            .first()
        )
        out = (
            sizes.join(
                best.select("wave", "target_other", "shared", "surprise"), on="wave", how="left"
            )
            .join(compared, on="wave", how="left")
            .with_columns(
                pl.col("shared").fill_null(0),
                pl.col("surprise").fill_null(0.0),
                pl.col("compared").fill_null(1),
            )
        )
        corrected = np.maximum(
            out["surprise"].to_numpy() - np.log10(out["compared"].to_numpy().astype(np.float64)),
            0.0,
        )
        return out.select(
            "wave",
            pl.col("target_other").alias("repeat_target"),
            pl.col("shared").alias("repeat_shared"),
        ).with_columns(pl.Series("repeat_surprise", np.where(out["surprise"] > 0, corrected, 0.0)))

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
                f"{row['repeat_shared']} of these reporters also reported one other account "
                f"({row['repeat_target']}), far more than chance predicts for it",
            )
        ]
