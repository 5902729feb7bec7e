"""Incremental detection: campaigns flagged while they are still happening.

Reports arrive in batches (an import, an API call). For each batch the detector

1. counts the batch into per-target 10-minute buckets and marks as *candidates* the targets
   that now have at least ``min_reports`` reports in some window that contains new reports
   (every target batch detection could find a wave on passes this test at some point);
2. refits the platform-wide baselines when the log has grown by ``refit_growth`` since the last
   fit (they move slowly; refitting on every batch would cost a batch job each time);
3. judges, with the same engine as batch detection, the candidates this batch made *hot* (a
   window far above the target's own rate so far) and the targets of campaigns already found,
   and records the moment each campaign was first flagged.

:meth:`settle` refits on everything and judges the candidates once more. Batch detection finds
waves only on targets that at some point had ``min_reports`` reports in a window, and every such
target became a candidate when that window filled, so the settled campaigns equal the batch
campaigns on the same reports (tested in tests/test_incremental.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import polars as pl

from reportguard.detect.campaigns import CampaignDetector, Detection, FoundCampaign
from reportguard.detect.frame import (
    ACCOUNT_COLUMNS,
    HELD_COLUMNS,
    ReportFrame,
    held,
)

MINUTE = 60


@dataclass
class IncrementalDetector:
    """Detection that keeps up with a stream of report batches."""

    engine: CampaignDetector = field(default_factory=CampaignDetector.default)
    refit_growth: float = 1.0
    accounts: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ACCOUNT_COLUMNS))

    def __post_init__(self) -> None:
        burst = self.engine.burst
        assert burst is not None, "the engine needs a burst detector"
        self._width = burst.bucket_minutes * MINUTE
        self._windows = burst.windows
        self._min_reports = burst.min_reports
        self._min_surprise = burst.min_surprise
        self._log: list[pl.DataFrame] = []
        self._watched = pl.DataFrame(schema=HELD_COLUMNS)  # every report of every candidate
        self._recent = pl.DataFrame(
            schema={"target_id": pl.Utf8, "bucket": pl.Int64, "k": pl.Int64}
        )
        self._horizon = max(self._windows) + 144  # buckets: the longest window and a day
        self._compacted = 0  # rows in the recent counts when they were last merged
        self._candidates: set[str] = set()
        self._fitted: CampaignDetector | None = None
        self._fitted_at = 0
        self.total_ = 0
        self.now_ = 0
        self.campaigns_: list[FoundCampaign] = []

    # -- input ---------------------------------------------------------------------------------

    def add_accounts(self, accounts: pl.DataFrame) -> None:
        """Account snapshots, as they arrive (the newest row for an account wins)."""
        fresh = accounts.select(list(ACCOUNT_COLUMNS))
        merged = pl.concat([self.accounts, fresh], how="vertical_relaxed")
        self.accounts = merged.unique("account_id", keep="last", maintain_order=True)

    def update(self, reports: pl.DataFrame) -> list[FoundCampaign]:
        """Take a batch of reports; return the campaigns flagged for the first time by it."""
        batch = reports.select(held(reports.schema))
        if batch.is_empty():
            return []
        self._log.append(batch)
        self.total_ += len(batch)
        previous_now = self.now_
        self.now_ = max(self.now_, int(batch["t"].max()))  # type: ignore[arg-type]
        windowed = self._windowed(self._count(batch))
        fresh = self._candidates_among(windowed) - self._candidates
        if fresh:
            history = self._history(fresh)  # their reports before this batch, and this batch
            self._watched = pl.concat([self._watched, history])
            self._candidates |= fresh
        old = batch.filter(pl.col("target_id").is_in(list(self._candidates - fresh)))
        if not old.is_empty():
            self._watched = pl.concat([self._watched, old])
        hot = self._hot(windowed)
        if not hot:
            return []
        if self._fitted is None or self.total_ >= self._fitted_at * (1 + self.refit_growth):
            self._refit()
        new = self._judge(hot | self._affected(batch, hot))
        for campaign in new:
            campaign.first_flagged_at = self._first_flag(campaign, since=previous_now)
        return new

    def settle(self) -> Detection:
        """Refit on everything received and judge every candidate: equals batch detection."""
        self._refit()
        missed = self._all_candidates() - self._candidates  # reports that arrived very late
        if missed:
            self._watched = pl.concat([self._watched, self._history(missed)])
            self._candidates |= missed
        detection = self._score(self._candidates)
        self._remember(detection.campaigns)
        return detection

    # -- steps -------------------------------------------------------------------------------------

    def _count(self, batch: pl.DataFrame) -> pl.DataFrame:
        """This batch's per-target bucket counts, added to the recent counts.

        Only the last ``_horizon`` buckets count (:meth:`_oldest`). A report older than that is
        still stored, and :meth:`settle` re-derives the candidates from all reports. The counts
        are appended, not merged: a (target, bucket) may stand in several rows, which window
        sums over a running total do not mind, and the table is merged (and rows past the
        horizon dropped) only when it has grown by half, not on every batch.
        """
        counts = batch.group_by("target_id", (pl.col("t") // self._width).alias("bucket")).agg(
            pl.len().cast(pl.Int64).alias("k")
        )
        self._recent = pl.concat([self._recent, counts])
        if len(self._recent) > 1.5 * self._compacted + len(counts):
            self._recent = (
                self._recent.filter(pl.col("bucket") >= self._oldest())
                .group_by("target_id", "bucket")
                .agg(pl.col("k").sum())
            )
            self._compacted = len(self._recent)
        return counts

    def _oldest(self) -> int:
        """The first bucket of the recent counts."""
        return self.now_ // self._width - self._horizon

    def _windowed(self, counts: pl.DataFrame) -> pl.DataFrame:
        """Per target and window length: the most reports in a window holding new reports.

        Also each target's recent total ``n``, the rate it is measured against in :meth:`_hot`.

        The fullest window that holds a new bucket can always be shifted to end on a non-empty
        bucket between the first new bucket and the last new bucket plus the window length, so
        the sums of the windows ending at those buckets suffice (a superset, never missing a
        window). Window sums are differences of one running total over the targets' buckets,
        sorted by (target, bucket), so every window length costs one binary search per bucket.
        """
        span = (
            counts.group_by("target_id")
            .agg(pl.col("bucket").min().alias("lo"), pl.col("bucket").max().alias("hi"))
            .with_row_index("code")  # integer target codes: sorting by strings costs more
        )
        history = (
            self._recent.lazy()
            .filter(pl.col("bucket") >= self._oldest())
            .join(span.lazy(), on="target_id")
            # A target with fewer recent reports than the minimum cannot fill any window.
            .filter(pl.col("k").sum().over("code") >= self._min_reports)
            .sort("code", "bucket")
            .collect()
        )
        if history.is_empty():
            return pl.DataFrame(
                schema={"target_id": pl.Utf8, "window": pl.Int32, "k_w": pl.Int64, "n": pl.Int64}
            )
        code = history["code"].to_numpy().astype(np.int64)
        bucket = history["bucket"].to_numpy()
        key = (code << 32) + bucket  # one sorted key: target, then bucket
        running = np.concatenate([[0], np.cumsum(history["k"].to_numpy())])
        lo, hi = history["lo"].to_numpy(), history["hi"].to_numpy()
        starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])  # each target's first row
        ids = history["target_id"].gather(starts)
        totals = np.diff(running[np.r_[starts, len(code)]])
        parts = []
        for window in self._windows:
            first = np.searchsorted(key, key - window, side="right")  # window (b - w, b]
            inside = (bucket >= lo) & (bucket <= hi + window - 1)
            sums = np.where(inside, running[1:] - running[first], -1)
            parts.append(
                pl.DataFrame(
                    {
                        "target_id": ids,
                        "window": np.full(len(starts), window, dtype=np.int32),
                        "k_w": np.maximum.reduceat(sums, starts),
                        "n": totals,
                    }
                )
            )
        return pl.concat(parts)

    def _candidates_among(self, windowed: pl.DataFrame) -> set[str]:
        """Targets with ``min_reports`` reports in some window that holds new reports."""
        return set(windowed.filter(pl.col("k_w") >= self._min_reports)["target_id"].to_list())

    def _hot(self, windowed: pl.DataFrame) -> set[str]:
        """Candidates whose new window is far above their own rate so far: worth judging now."""
        touched = windowed.filter(pl.col("target_id").is_in(list(self._candidates)))
        if touched.is_empty():
            return set()
        buckets = self._recent["bucket"]
        first = int(buckets.filter(buckets >= self._oldest()).min())  # type: ignore[arg-type]
        span = max(1, self.now_ // self._width - first + 1)
        usual = pl.col("n") * pl.col("window") / span
        hot = touched.filter(
            (pl.col("k_w") >= self._min_reports) & (pl.col("k_w") >= 3 * usual + 3)
        )
        return set(hot["target_id"].to_list())

    def _all_candidates(self) -> set[str]:
        """Every target with ``min_reports`` reports in some window, over the whole log."""
        counts = (
            self._log[0]
            .group_by("target_id", (pl.col("t") // self._width).alias("bucket"))
            .agg(pl.len().alias("k"))
            .sort("target_id", "bucket")
        )
        found: set[str] = set()
        for window in self._windows:
            rolled = counts.rolling(
                index_column="bucket", period=f"{window}i", group_by="target_id"
            ).agg(pl.col("k").sum().alias("k_w"))
            found |= set(rolled.filter(pl.col("k_w") >= self._min_reports)["target_id"].to_list())
        return found

    def _history(self, targets: set[str]) -> pl.DataFrame:
        wanted = list(targets)
        return pl.concat([chunk.filter(pl.col("target_id").is_in(wanted)) for chunk in self._log])

    def _refit(self) -> None:
        if len(self._log) > 1:
            self._log = [pl.concat(self._log)]
        frame = ReportFrame(reports=self._log[0], accounts=self.accounts)
        self._fitted = self.engine.clone().fit(frame)
        self._fitted_at = self.total_

    def _score(self, targets: set[str]) -> Detection:
        assert self._fitted is not None
        reports = self._watched.filter(pl.col("target_id").is_in(list(targets)))
        return self._fitted.score(self._frame(reports))

    def _frame(self, reports: pl.DataFrame) -> ReportFrame:
        """Some targets' reports with their own accounts only: scoring reads no other account
        (the fitted baselines hold the platform's), and joining every account of the platform
        at each judgement cost more than the judgement."""
        ids = pl.concat([reports["reporter_id"], reports["target_id"]]).unique()
        mine = self.accounts.filter(pl.col("account_id").is_in(ids.implode()))
        return ReportFrame(reports=reports, accounts=mine)

    def _first_flag(self, campaign: FoundCampaign, *, since: int) -> datetime:
        """The report of this batch at which the campaign's evidence first sufficed.

        A binary search over the batch's reports on the campaign's targets: judged with only the
        reports up to time t, is a campaign with these members flagged? The answer only grows
        with t, so about log2(n) judgements find the earliest t.
        """
        assert self._fitted is not None
        targets = set(campaign.targets)
        mine = self._watched.filter(pl.col("target_id").is_in(list(targets)))
        times = sorted(set(mine.filter(pl.col("t") > since)["t"].to_list()))
        members = set(campaign.members)

        def flagged_by(t: int) -> bool:
            frame = self._frame(mine.filter(pl.col("t") <= t))
            assert self._fitted is not None
            found = self._fitted.score(frame).campaigns
            return any(len(members & set(c.members)) > 0 for c in found)

        lo, hi = 0, len(times) - 1
        if hi < 0 or not flagged_by(times[hi]):
            return datetime.fromtimestamp(self.now_, UTC)
        while lo < hi:
            mid = (lo + hi) // 2
            if flagged_by(times[mid]):
                hi = mid
            else:
                lo = mid + 1
        return datetime.fromtimestamp(times[lo], UTC)

    def _affected(self, batch: pl.DataFrame, hot: set[str]) -> set[str]:
        """The targets of the campaigns this batch can change, judged again with the hot ones.

        A campaign changes only when its own targets get reports, or when a hot target's wave
        can join it, which takes reporters in common. Campaigns of neither kind keep their
        judgement until then (and :meth:`settle` judges every candidate again), so a finished
        brigade's thousands of reports are not re-read on every batch.
        """
        touched = set(batch["target_id"].unique().to_list())
        reporters = set(batch.filter(pl.col("target_id").is_in(list(hot)))["reporter_id"].to_list())
        return {
            t
            for c in self.campaigns_
            if touched.intersection(c.targets) or reporters.intersection(c.members)
            for t in c.targets
        }

    def _judge(self, targets: set[str]) -> list[FoundCampaign]:
        return self._remember(self._score(targets).campaigns)

    def _remember(self, campaigns: list[FoundCampaign]) -> list[FoundCampaign]:
        """Keep the campaigns found; carry each one's first-flag time over from earlier runs.

        A campaign grows as its wave goes on, so it is recognised by its members: one that
        shares half its members with an earlier campaign is the same campaign.
        """
        now = datetime.fromtimestamp(self.now_, UTC)
        new: list[FoundCampaign] = []
        kept = {c.key: c for c in self.campaigns_}
        for campaign in campaigns:
            members = set(campaign.members)
            flagged = None
            for old in list(kept.values()):
                shared = len(members & set(old.members))
                if shared and shared >= 0.5 * min(len(members), len(old.members)):
                    first = old.first_flagged_at or now
                    flagged = first if flagged is None else min(flagged, first)
                    del kept[old.key]
            if flagged is None:
                flagged = now
                new.append(campaign)
            campaign.first_flagged_at = flagged
            kept[campaign.key] = campaign
        self.campaigns_ = list(kept.values())
        return new
