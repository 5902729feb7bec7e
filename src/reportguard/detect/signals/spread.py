"""Content spread: the context that a wave centres on one post that was going round.

When a post spreads (shared in feeds, cross-posted on another site), the people who see it report
*that post*: the wave names one content item, and they reach it where it was shared, not by
visiting the account's profile. Sharing brings things that also mark a brigade: many arrive
through the same outside link, some sign up just to report, and they repeat the words of the
post that sent them. Those findings are then explained by the spread and do not flag the wave on
their own (see ``Detector.explained_by``). What sharing does not explain (accounts created in a
batch before the wave, shared devices or addresses, a group that acts together on other targets)
still counts in full.

A brigade called on an *account* looks different: its members go to the profile and report the
account or dig through its older posts, so the wave spreads over items, names none, or arrives
on the profile. A brigade told to report one post, and leaving no other trace, is not told apart
from a post that spread: the signals that remain (and triage, which never acts on volume) have
to carry that case.
"""

from __future__ import annotations

from typing import Any, Self

import polars as pl

from reportguard.detect.frame import ReportFrame
from reportguard.detect.signals.base import Detector


class ContentSpread(Detector):
    """Whether a wave centres on one content item reached where it was shared.

    >>> ContentSpread(min_item_share=0.6)
    ContentSpread(min_item_share=0.6)
    """

    name = "spread"
    context_column = "spread"
    spark_twin = "reportguard.spark.spread"

    def __init__(self, *, min_item_share: float = 0.5, max_profile_share: float = 0.5) -> None:
        self.min_item_share = min_item_share
        self.max_profile_share = max_profile_share

    def fit(self, frame: ReportFrame) -> Self:
        # Nothing platform-wide to learn: the context is read off each wave alone.
        self.fitted_on_ = len(frame)
        return self

    def waves(self, wave_reports: pl.DataFrame, frame: ReportFrame) -> pl.DataFrame:
        sizes = wave_reports.group_by("wave").agg(pl.len().alias("spread_reports"))
        top = (
            wave_reports.drop_nulls("content_id")
            .group_by("wave", "content_id")
            .agg(
                pl.len().alias("spread_item_reports"),
                (pl.col("surface") == "profile").sum().alias("spread_on_profile"),
            )
            .sort(["wave", "spread_item_reports", "content_id"], descending=[False, True, False])
            .group_by("wave", maintain_order=True)
            .first()
            .rename({"content_id": "spread_item"})
        )
        out = sizes.join(top, on="wave", how="left").with_columns(
            pl.col("spread_item_reports").fill_null(0), pl.col("spread_on_profile").fill_null(0)
        )
        share = pl.col("spread_item_reports") / pl.col("spread_reports")
        on_profile = pl.col("spread_on_profile") / pl.max_horizontal(
            pl.col("spread_item_reports"), pl.lit(1)
        )
        return out.with_columns(
            share.alias("spread_share"),
            ((share >= self.min_item_share) & (on_profile < self.max_profile_share)).alias(
                "spread"
            ),
        )

    def sentences(self, row: dict[str, Any]) -> list[tuple[str, float, str]]:
        if not row.get("spread"):
            return []
        return [
            (
                "spread",
                0.0,
                f"{row['spread_item_reports']} of {row['spread_reports']} reports name one post "
                f"({row['spread_item']}), reached where it was shared: a post going round explains "
                "a common link, new accounts and echoed words, so those alone do not make this "
                "wave a campaign",
            )
        ]
