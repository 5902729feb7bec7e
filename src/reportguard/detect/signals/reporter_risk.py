"""Reporter risk: new accounts, and accounts created together, among a wave's reporters.

Throwaway accounts are cheap: a ring creates them in batches shortly before use. The signal
compares a wave with the platform's own reporters: the share of reports filed by accounts younger
than ``young_days``, and the share of the wave's reporters created inside the densest
``cluster_days`` span, against the share of all accounts created in that same span.

"Young" is relative to the platform. On a platform that is itself a few months old, a fifth of
all reporters may be under 30 days old, and no wave can then be four times the platform's share.
Where more than ``max_young_share`` of reporters were younger than ``young_days`` at their first
report, the horizon shrinks to the age below which only that share of them fall (in whole hours,
at least one), so a batch made days before a raid still stands out. It is read per reporter, not
per report, so a brigade's own volume does not move it.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import polars as pl

from reportguard.detect.evidence import binomial_surprise, gated
from reportguard.detect.frame import ReportFrame
from reportguard.detect.signals.base import Detector

DAY = 86_400


class ReporterRisk(Detector):
    """Young and batch-created reporter accounts, per wave.

    >>> ReporterRisk(young_days=14)
    ReporterRisk(young_days=14)
    """

    name = "reporter_risk"
    surprise_columns = ("young_surprise", "cluster_surprise")
    explained_by = (("young_surprise", "spread"),)  # some sign up to report a post they saw
    spark_twin = "reportguard.spark.reporter_risk"

    def __init__(
        self,
        *,
        young_days: int = 30,
        cluster_days: int = 3,
        min_ratio: float = 4.0,
        min_share: float = 0.3,
        max_young_share: float = 0.05,
    ) -> None:
        self.young_days = young_days
        self.cluster_days = cluster_days
        self.min_ratio = min_ratio
        self.min_share = min_share
        self.max_young_share = max_young_share

    def fit(self, frame: ReportFrame) -> Self:
        # Only the three columns read: joining whole reports would copy the log once more.
        known = frame.reports.select("reporter_id", "t").join(
            frame.accounts.select("account_id", "account_created").filter(
                pl.col("account_created").is_not_null()
            ),
            left_on="reporter_id",
            right_on="account_id",
        )
        age = (pl.col("t") - pl.col("account_created")) / DAY
        # Whether the platform itself is young is read per reporter (age at the first report),
        # so a brigade's own volume of reports cannot move the horizon.
        first = known.group_by("reporter_id").agg(
            pl.col("t").min(), pl.col("account_created").min()
        )
        self.young_days_ = young_horizon(
            self.young_days,
            float(first.select((age < self.young_days).mean()).item() or 0.0),
            first.select(age.quantile(self.max_young_share, "lower")).item(),
            self.max_young_share,
        )
        self.young_share_ = float(known.select((age < self.young_days_).mean()).item() or 0.0)
        created = frame.accounts["account_created"].drop_nulls().sort().to_numpy()
        self.created_ = created
        self.median_age_days_ = float(known.select(age.median()).item() or 0.0)
        return self

    def _span_share(self, start: np.ndarray) -> np.ndarray:
        """Share of all known accounts created within [start, start + cluster_days)."""
        if len(self.created_) == 0:
            return np.ones_like(start, dtype=np.float64)
        lo = np.searchsorted(self.created_, start, side="left")
        hi = np.searchsorted(self.created_, start + self.cluster_days * DAY, side="left")
        return (hi - lo) / len(self.created_)

    def waves(self, wave_reports: pl.DataFrame, frame: ReportFrame) -> pl.DataFrame:
        """Per wave: young share and creation clustering, with surprise and a sentence."""
        joined = wave_reports.join(
            frame.accounts.select("account_id", "account_created"),
            left_on="reporter_id",
            right_on="account_id",
            how="left",
        )
        per_reporter = joined.group_by("wave", "reporter_id").agg(
            pl.col("account_created").first(), pl.col("t").min()
        )
        young = (
            per_reporter.with_columns(
                ((pl.col("t") - pl.col("account_created")) < self.young_days_ * DAY).alias("young")
            )
            .group_by("wave")
            .agg(
                pl.len().alias("reporters"),
                pl.col("young").sum().alias("young"),
                pl.col("account_created").is_not_null().sum().alias("known"),
                pl.col("account_created").sort().alias("created"),
            )
        )
        rows = []
        for wave, reporters, n_young, known, created in young.iter_rows():
            times = np.array([c for c in created if c is not None], dtype=np.int64)
            best, start = 0, 0
            if len(times):
                ends = np.searchsorted(times, times + self.cluster_days * DAY, side="left")
                sizes = ends - np.arange(len(times))
                i = int(np.argmax(sizes))
                best, start = int(sizes[i]), int(times[i])
            rows.append((wave, reporters, n_young, known, best, start))
        out = pl.DataFrame(
            rows,
            schema=["wave", "reporters", "young", "known", "cluster", "cluster_start"],
            orient="row",
        )
        if out.is_empty():
            return out
        known_n = np.maximum(out["known"].to_numpy(), 1)
        young_share = out["young"].to_numpy() / known_n
        young_surprise = gated(
            binomial_surprise(out["young"].to_numpy(), known_n, self.young_share_),
            young_share,
            self.young_share_,
            self.min_ratio,
            self.min_share,
        )
        span_p = self._span_share(out["cluster_start"].to_numpy())
        cluster_share = out["cluster"].to_numpy() / known_n
        cluster_surprise = gated(
            binomial_surprise(out["cluster"].to_numpy(), known_n, span_p),
            cluster_share,
            span_p,
            self.min_ratio,
            self.min_share,
        )
        return out.with_columns(
            pl.Series("young_share", young_share),
            pl.Series("young_surprise", young_surprise),
            pl.Series("cluster_share", cluster_share),
            pl.Series("cluster_baseline", span_p),
            pl.Series("cluster_surprise", cluster_surprise),
        )

    def traits(
        self, wave_reports: pl.DataFrame, waves: pl.DataFrame, frame: ReportFrame
    ) -> pl.Series:
        joined = (
            wave_reports.select("wave", "reporter_id", "t")
            .join(
                frame.accounts.select("account_id", "account_created"),
                left_on="reporter_id",
                right_on="account_id",
                how="left",
            )
            .join(
                waves.select("wave", "young_surprise", "cluster_surprise", "cluster_start"),
                on="wave",
                how="left",
            )
        )
        young = (pl.col("young_surprise") > 0) & (
            pl.col("t") - pl.col("account_created") < self.young_days_ * DAY
        )
        clustered = (pl.col("cluster_surprise") > 0) & pl.col("account_created").is_between(
            pl.col("cluster_start"),
            pl.col("cluster_start") + self.cluster_days * DAY,
            closed="left",
        )
        return joined.select((young | clustered).fill_null(False).alias("trait")).to_series()

    def sentences(self, row: dict[str, Any]) -> list[tuple[str, float, str]]:
        """Plain sentences for a wave row: (signal, surprise, sentence)."""
        out = []
        if float(row["young_surprise"]) > 0:
            out.append(
                (
                    "young_accounts",
                    float(row["young_surprise"]),
                    f"{row['young']} of {row['known']} reporters' accounts were under "
                    f"{_age(self.young_days_)} old when they reported; across the platform "
                    f"{self.young_share_:.1%} of reports come from such accounts",
                )
            )
        if float(row["cluster_surprise"]) > 0:
            out.append(
                (
                    "creation_cluster",
                    float(row["cluster_surprise"]),
                    f"{row['cluster']} of {row['known']} reporters were created within "
                    f"{self.cluster_days} days of each other; only "
                    f"{float(row['cluster_baseline']):.2%} of all accounts were created in "
                    f"that span (platform median reporter age "
                    f"{self.median_age_days_ / 365:.1f} years)",
                )
            )
        return out


def young_horizon(
    young_days: float, young_share: float, quantile: float | None, max_young_share: float
) -> float:
    """The age in days below which a reporter counts as young on this platform.

    ``young_days`` unless more than ``max_young_share`` of reports come from accounts that young;
    then the ``max_young_share`` quantile of reporters' ages, down to the whole hour (at least
    one), so both engines agree although Spark's quantile is approximate.

    >>> young_horizon(30, 0.01, 200.0, 0.05)
    30
    >>> young_horizon(30, 0.2, 15.61, 0.05)
    15.583333333333334
    >>> young_horizon(30, 0.5, 0.01, 0.05)
    0.041666666666666664
    """
    if young_share <= max_young_share or quantile is None:
        return young_days
    hours = max(1.0, np.floor(float(quantile) * 24))
    return float(min(young_days, hours / 24))


def _age(days: float) -> str:
    if days >= 2:
        return f"{days:g} days"
    return f"{days * 24:.0f} hours"
