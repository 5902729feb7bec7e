"""Burst: a target's report rate in sliding windows against its own baseline and popularity.

For every target and window length (1 h, 6 h, 24 h and 7 days by default) the reports inside
the window are compared with a Poisson expectation: the target's own rate outside the window,
floored by what its popularity predicts (reports grow with followers on every platform; the
factor is learned from the data being scored, not fixed). The surprise is -log10 of the Poisson
upper tail. Overlapping hot windows of one target merge into a *wave*: the candidate that the
coordination signals then examine. A wave over ``peak_factor`` times as long as its peak (the
window most likely to hold a higher rate than the rest of the wave, by Kulldorff's scan
statistic) is examined at that peak too, so a raid is not judged diluted among days of an
account's ordinary reports. A burst alone is never a campaign: a genuinely violating
account going viral bursts too.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import polars as pl
from scipy import special

from reportguard.detect.evidence import poisson_surprise
from reportguard.detect.frame import ReportFrame, check_span
from reportguard.detect.signals.base import Detector

MINUTE = 60


class BurstDetector(Detector):
    """Finds waves of reports against single targets.

    >>> det = BurstDetector(min_reports=12)
    >>> det
    BurstDetector(min_reports=12)
    >>> det.clone().get_params() == det.get_params()
    True
    """

    name = "burst"
    surprise_columns = ("burst_surprise",)
    spark_twin = "reportguard.spark.burst"

    def __init__(
        self,
        *,
        bucket_minutes: int = 10,
        windows: tuple[int, ...] = (6, 36, 144, 1008),
        min_reports: int = 10,
        min_surprise: float = 6.0,
        popularity_exponent: float = 0.7,
        peak_factor: float = 2.0,
        peak_max_share: float = 0.9,
    ) -> None:
        self.peak_factor = peak_factor
        self.peak_max_share = peak_max_share
        self.bucket_minutes = bucket_minutes
        self.windows = windows
        self.min_reports = min_reports
        self.min_surprise = min_surprise
        self.popularity_exponent = popularity_exponent

    def fit(self, frame: ReportFrame) -> Self:
        """Learn the platform-wide quantities (popularity rate, time span); waves are found by
        :meth:`find_waves`, for whichever targets are then judged."""
        width = self.bucket_minutes * MINUTE
        self.span_ = (frame.start, frame.end)
        self.buckets_total_ = max(1, (frame.end - frame.start) // width + 1)
        per_target = self._per_target(frame)
        exposure = (pl.col("followers") + 1).pow(self.popularity_exponent)
        # Reports per bucket per unit of exposure, for a typical reported target.
        unit = per_target.select((pl.col("n_total") / exposure).median()).item() or 1.0
        self.popularity_rate_ = float(unit) / self.buckets_total_
        return self

    def _per_target(self, frame: ReportFrame) -> pl.DataFrame:
        """Each target's report count ``n_total``, followers and frame code ``code``."""
        codes = frame.codes()
        counted = codes.target.rename("code").value_counts(name="n_total")
        per_target = counted.select(
            "code", codes.targets.gather(counted["code"]).alias("target_id"), "n_total"
        )
        followers = frame.accounts.select("account_id", "followers")
        return per_target.join(
            followers, left_on="target_id", right_on="account_id", how="left"
        ).with_columns(pl.col("followers").fill_null(0))

    def find_waves(self, frame: ReportFrame) -> pl.DataFrame:
        """Waves of the targets in ``frame``, which must hold each one's whole history.

        Uses the rates from :meth:`learn`, so a frame of a few targets gives the same waves for
        them as the whole log does (what incremental detection relies on).
        """
        width = self.bucket_minutes * MINUTE
        buckets_total = self.buckets_total_
        per_target = self._per_target(frame)
        # A window can hold no more reports than the target has in all: targets with fewer than
        # min_reports are never a wave, and on a large log they are nearly all of them.
        # Counted and rolled by an integer number per target (``g``), which sorts and groups
        # far faster than the id text; the ids come back once the few hot windows are known.
        per_target = per_target.filter(pl.col("n_total") >= self.min_reports).with_row_index("g")
        number = np.full(len(frame.codes().targets), -1, dtype=np.int64)
        number[per_target["code"].to_numpy()] = per_target["g"].to_numpy()
        g = number[frame.codes().target.to_numpy()]
        bucket = (frame.reports["t"] // width).to_numpy()[g >= 0]
        g = g[g >= 0]
        first = int(bucket.min()) if len(bucket) else 0
        # (target, bucket) as one number, each target's buckets apart by more than the longest
        # window, so that no window sum reaches into the target before; one sort counts them.
        span = (int(bucket.max()) - first + 1 if len(bucket) else 1) + max(self.windows) + 1
        check_span(len(per_target) * span, first * width, int(bucket.max(initial=first)) * width)
        key, k = np.unique(g * span + (bucket - first), return_counts=True)
        g, bucket = key // span, key % span + first
        # Window sums from one running total: the reports of a target in the w buckets up to
        # and including each counted bucket (what a rolling sum over "w buckets" gives).
        running = np.concatenate([[0], np.cumsum(k, dtype=np.int64)])
        n_total = per_target["n_total"].to_numpy().astype(np.float64)
        exposure = (per_target["followers"].to_numpy() + 1.0) ** self.popularity_exponent
        hot = []
        for w in self.windows:
            k_w = running[1:] - running[np.searchsorted(key, key - w, side="right")]
            at = np.flatnonzero(k_w >= self.min_reports)
            k = k_w[at].astype(np.float64)
            outside = (n_total[g[at]] - k) / max(1, buckets_total - w)
            expected = np.maximum(outside, self.popularity_rate_ * exposure[g[at]]) * w
            surprise = _surprise_over(k, expected, self.min_surprise)
            keep = surprise >= self.min_surprise
            if not keep.any():
                continue
            at, end = at[keep], bucket[at[keep]]
            hot.append(
                pl.DataFrame(
                    {
                        "target_id": per_target["target_id"].gather(g[at]),
                        "g": g[at],
                        "first_bucket": end - (w - 1),
                        "bucket": end,
                        "k_w": pl.Series(k_w[at], dtype=pl.UInt32),
                        "expected": expected[keep],
                        "surprise": surprise[keep],
                        "window": pl.Series([w] * len(at), dtype=pl.Int32),
                    }
                )
            )
        if not hot:
            return _empty_waves()
        windows = pl.concat(hot).sort("target_id", "first_bucket")
        # Merge overlapping windows of the same target into waves.
        windows = windows.with_columns(
            (pl.col("bucket").cum_max().over("target_id").shift(1).over("target_id")).alias(
                "prev_end"
            )
        ).with_columns(
            ((pl.col("prev_end").is_null()) | (pl.col("first_bucket") > pl.col("prev_end") + 1))
            .cast(pl.Int64)
            .cum_sum()
            .over("target_id")
            .alias("wave_no")
        )
        waves = windows.group_by("target_id", "wave_no").agg(
            pl.col("first_bucket").min().alias("first_bucket"),
            pl.col("bucket").max().alias("last_bucket"),
            pl.col("surprise").max().alias("burst_surprise"),
            # The busiest window names the wave's expectation; on a tie (surprises are capped)
            # the shortest, then the earliest: both engines break ties the same way.
            pl.col("expected")
            .sort_by(["surprise", "window", "bucket"], descending=[False, True, True])
            .last()
            .alias("expected"),
            pl.col("window")
            .sort_by(["surprise", "window", "bucket"], descending=[False, True, True])
            .last()
            .alias("window"),
            pl.col("g").first(),
        )
        offset = waves["g"].to_numpy() * span - first  # a bucket's (target, bucket) number
        waves = waves.with_columns(
            pl.Series(
                "wave_reports",
                _counted(
                    key,
                    running,
                    offset + waves["first_bucket"].to_numpy(),
                    offset + waves["last_bucket"].to_numpy(),
                ),
            )
        )
        waves = waves.join(self._peaks(windows, waves), on=["target_id", "wave_no"], how="left")
        # A wave much longer than its peak, the window most above the rest of the wave, is also
        # judged at that window: a brigade's afternoon inside days of an account's ordinary
        # reports (and a 7-day window reaches a week back) would otherwise be judged diluted
        # among them. ``wave_start`` names the wave a row belongs to: its own or its wave's.
        waves = waves.with_columns(pl.col("first_bucket").alias("wave_bucket"))
        peaks = waves.filter(pl.col("peak_bucket").is_not_null()).with_columns(
            (pl.col("peak_bucket") - pl.col("peak_window") + 1).alias("first_bucket"),
            pl.col("peak_bucket").alias("last_bucket"),
            pl.col("peak_surprise").alias("burst_surprise"),
            pl.col("peak_expected").alias("expected"),
            pl.col("peak_window").alias("window"),
        )
        waves = (
            pl.concat([waves, peaks])
            .with_columns(
                (pl.col("first_bucket") * width).alias("start"),
                ((pl.col("last_bucket") + 1) * width).alias("end"),
                (pl.col("wave_bucket") * width).alias("wave_start"),
            )
            .sort("start", "target_id", "end", descending=[False, False, True])
            .with_row_index("wave")
        )
        return waves.select(
            "wave",
            "target_id",
            "start",
            "end",
            "wave_start",
            "burst_surprise",
            "expected",
            "window",
        )

    def _peaks(self, windows: pl.DataFrame, waves: pl.DataFrame) -> pl.DataFrame:
        """Per wave, the hot window most likely to hold a higher rate than the rest of the wave
        (Kulldorff 1997), among those that are a burst against it (``min_surprise``), over
        ``peak_factor`` times shorter than the wave and holding at most ``peak_max_share`` of
        its reports (one that holds nearly all of them would be judged as the wave is);
        ``peak_*`` are that window's own values (against the target's baseline, as every
        wave row's)."""
        inside = windows.join(
            waves.select("target_id", "wave_no", "first_bucket", "last_bucket", "wave_reports"),
            on=["target_id", "wave_no"],
            suffix="_wave",
        )
        length = pl.col("last_bucket") - pl.col("first_bucket_wave") + 1
        inside = inside.filter(
            (length > self.peak_factor * pl.col("window"))
            & (pl.col("k_w") <= self.peak_max_share * pl.col("wave_reports"))
        ).with_columns(
            (
                (pl.col("wave_reports") - pl.col("k_w"))
                / (length - pl.col("window"))
                * pl.col("window")
            ).alias("expected_in")
        )
        within = _surprise_over(
            inside["k_w"].to_numpy().astype(np.float64),
            inside["expected_in"].to_numpy(),
            self.min_surprise,
        )
        inside = inside.filter(pl.Series(within >= self.min_surprise))
        # Of those, the most likely cluster by Kulldorff's scan statistic (the log-likelihood
        # ratio of "a higher rate inside this window" against "one rate over the wave"): a
        # tail's surprise grows with a window's length and would pick the day around a raid of
        # three hours; its intensity alone, the raid's first hour.
        k, total = pl.col("k_w"), pl.col("wave_reports")
        uniform = total * pl.col("window") / length
        inside = inside.with_columns(
            (k * (k / uniform).log() + (total - k) * ((total - k) / (total - uniform)).log()).alias(
                "scan"
            )
        )
        order = ["scan", "window", "bucket"], [False, True, True]
        return inside.group_by("target_id", "wave_no").agg(
            *(
                pl.col(column).sort_by(order[0], descending=order[1]).last().alias(f"peak_{column}")
                for column in ("bucket", "window", "expected", "surprise")
            )
        )

    def wave_reports(self, frame: ReportFrame, waves: pl.DataFrame) -> pl.DataFrame:
        """Each report inside one of ``waves``, with its wave's number."""
        waves = waves.select("wave", "target_id", "start", "end")
        # Only the waves' targets' reports are joined, picked by their codes, not by id text.
        inside = frame.reports.filter(frame.reporting(waves["target_id"]))
        joined = inside.join(waves, on="target_id", how="inner")
        return joined.filter((pl.col("t") >= pl.col("start")) & (pl.col("t") < pl.col("end")))

    def waves(self, wave_reports: pl.DataFrame, frame: ReportFrame) -> pl.DataFrame:
        """The waves of ``frame`` (this detector proposes them rather than judging them)."""
        return self.find_waves(frame)

    def sentences(self, row: dict[str, Any]) -> list[tuple[str, float, str]]:
        hours = int(row["window"]) * self.bucket_minutes / 60
        span = (
            f"{hours:g} hour" + ("s" if hours != 1 else "")
            if hours < 48
            else f"{hours / 24:g} days"
        )
        return [
            (
                "burst",
                float(min(row["burst_surprise"], 999.0)),
                f"{row.get('reports', row.get('reporters', '?'))} reports against this target in "
                f"the wave (everyone's, members or not), busiest {span}: about "
                f"{float(row['expected']):.1f} expected from its own history and popularity",
            )
        ]


def _counted(key: np.ndarray, running: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Reports whose (target, bucket) number lies in ``[low, high]``, from the running total."""
    counted: np.ndarray = (
        running[np.searchsorted(key, high, side="right")]
        - running[np.searchsorted(key, low, side="left")]
    )
    return counted


def _surprise_over(k: np.ndarray, expected: np.ndarray, bar: float) -> np.ndarray:
    """:func:`poisson_surprise` where it can reach ``bar``, 0 where it cannot.

    Why: the Poisson tail costs far more than its first term, and on a large log nearly every
    window is ordinary. P(X >= k) >= P(X = k), so a window whose P(X = k) is above 10**-bar is
    below the bar for certain, and its tail is not computed.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = -expected + k * np.log(expected) - special.gammaln(k + 1.0)
    # A margin for rounding; NaN and -inf (no expectation at all) are computed.
    can = ~(-log_pmf / np.log(10.0) < bar - 1e-6)
    surprise = np.zeros(len(k), dtype=np.float64)
    surprise[can] = poisson_surprise(k[can], expected[can])
    return surprise


def _empty_waves() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "wave": pl.UInt32,
            "target_id": pl.Utf8,
            "start": pl.Int64,
            "end": pl.Int64,
            "wave_start": pl.Int64,
            "burst_surprise": pl.Float64,
            "expected": pl.Float64,
            "window": pl.Int32,
        }
    )
