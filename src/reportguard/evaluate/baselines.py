"""Reference detectors for the evaluation table: what a platform without ReportGuard would do.

They are deliberately simple. They are not ReportGuard's detection (``reportguard.detect.signals``);
they show the problem it solves, e.g. that a report-count threshold calls every viral surge
against a real violator a "campaign".
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import polars as pl

from reportguard.evaluate.harness import DetectedCampaign, DetectionResult, Truth, count_ranking


def burst_threshold(
    truth: Truth, *, threshold: int = 20, window_minutes: int = 60
) -> DetectionResult:
    """Flag every target with ``threshold`` or more reports in one clock window as a campaign."""
    started = time.perf_counter()
    width = window_minutes * 60
    frame = truth.reports.select(
        "report_id", "reporter_id", "target_id", "created_at"
    ).with_columns((pl.col("created_at") // width).alias("window"))
    hot = frame.group_by("target_id", "window").len().filter(pl.col("len") >= threshold)
    flagged = frame.join(hot.select("target_id", "window"), on=["target_id", "window"])
    campaigns = []
    for (target, _window), group in flagged.group_by(["target_id", "window"], maintain_order=True):
        campaigns.append(
            DetectedCampaign(
                members=sorted(set(group["reporter_id"].to_list())),
                targets=[str(target)],
                report_ids=group["report_id"].to_list(),
                first_flagged_at=datetime.fromtimestamp(
                    int(group["created_at"].sort()[threshold - 1]), UTC
                ),
            )
        )
    return DetectionResult(
        detector=f"baseline: >= {threshold} reports in {window_minutes} min",
        seconds=round(time.perf_counter() - started, 3),
        campaigns=campaigns,
        queue=count_ranking(truth),
        automated_actions=[c.targets[0] for c in campaigns],
    )
