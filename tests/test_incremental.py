"""Incremental detection: flags while the campaign is on, and agrees with batch at the end."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from reportguard.detect.campaigns import CampaignDetector
from reportguard.detect.frame import ReportFrame
from reportguard.detect.incremental import IncrementalDetector


def members_of(campaigns: list) -> list[list[str]]:  # type: ignore[type-arg]
    return sorted(sorted(c.members) for c in campaigns)


@pytest.fixture(scope="module")
def frame(small_simulation: Path) -> ReportFrame:
    return ReportFrame.from_simulation(small_simulation)


@pytest.fixture(scope="module")
def batch_members(frame: ReportFrame) -> list[list[str]]:
    return members_of(CampaignDetector.default().run(frame).campaigns)


def test_settled_equals_batch_and_flags_come_during_the_campaign(
    frame: ReportFrame, batch_members: list[list[str]]
) -> None:
    detector = IncrementalDetector(accounts=frame.accounts)
    flagged_live = []
    for i in range(0, len(frame), 4000):
        flagged_live += detector.update(frame.reports.slice(i, 4000))
    assert len(flagged_live) >= 7  # found while streaming, not only at the end
    settled = detector.settle()
    assert members_of(settled.campaigns) == batch_members
    for campaign in settled.campaigns:
        assert campaign.first_flagged_at is not None
        # flagged at one of its own reports, not before the campaign and not after it
        assert campaign.first_report_at <= campaign.first_flagged_at <= campaign.last_report_at


def test_out_of_order_and_very_late_batches_still_settle_to_batch(
    frame: ReportFrame, batch_members: list[list[str]]
) -> None:
    chunks = [frame.reports.slice(i, 3000) for i in range(0, len(frame), 3000)]
    late = chunks.pop(2)  # arrives last, weeks late: older than the counting horizon
    chunks[5], chunks[6] = chunks[6], chunks[5]
    detector = IncrementalDetector(accounts=frame.accounts)
    for chunk in [*chunks, late]:
        detector.update(chunk)
    assert members_of(detector.settle().campaigns) == batch_members


def test_update_returns_only_new_campaigns(frame: ReportFrame) -> None:
    detector = IncrementalDetector(accounts=frame.accounts)
    seen: list[str] = []
    for i in range(0, len(frame), 5000):
        for campaign in detector.update(frame.reports.slice(i, 5000)):
            seen.append(campaign.key)
    assert len(seen) == len(set(seen))
    assert detector.update(frame.reports.slice(0, 0)) == []


def test_a_quiet_stream_judges_nothing(frame: ReportFrame) -> None:
    organic = frame.reports.filter(pl.col("text").is_null()).slice(0, 300)
    detector = IncrementalDetector(accounts=frame.accounts)
    assert detector.update(organic) == []
    assert detector.campaigns_ == []
