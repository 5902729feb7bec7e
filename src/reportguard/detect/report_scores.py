"""One score per report: its campaign's evidence, then its own burst.

Campaigns are judged per group; a moderator, an export and an evaluation also want a number for
every single report. Two inputs: the evidence of the campaign the report belongs to, if any (in
the unit the signals use, -log10 of a chance), and the report's own stream surprise
(:mod:`reportguard.detect.stream_score`, MIDAS-R: how far its reporter's, its target's and its
pair's counts this minute stand above their history).

The stream surprise is kept as it is (``stream``) for explanations, but it is not added as
evidence: read as a chi-squared tail it is wildly overconfident (a pair never seen before scores
``t - 1`` after ``t`` ticks, hundreds of "orders of magnitude" after a day of minutes). What it
does well is rank reports, so ``score`` is the campaign evidence plus the report's rank among all
reports by stream surprise, a share between 0 and 1: every campaign report is above every report
outside a campaign of less evidence, and within each, the more sudden report ranks first.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import polars as pl

from reportguard.detect.campaigns import FoundCampaign
from reportguard.detect.frame import ReportFrame
from reportguard.detect.stream_score import StreamScorer, chi2_surprise, node_keys

REPORT_SCORE_SCHEMA = {
    "report_id": pl.Utf8,
    "score": pl.Float64,
    "stream": pl.Float64,
    "campaign": pl.Utf8,
    "campaign_evidence": pl.Float64,
    "suspect": pl.Utf8,
}
MAX_CAMPAIGN_EVIDENCE = 100.0  # a score of 1.0 would be infinite evidence


def campaign_evidence(score: float) -> float:
    """A campaign's score in [0, 1) back to its evidence (the inverse of ``campaign_score``).

    >>> round(campaign_evidence(0.632), 1)
    20.0
    """
    if score >= 1.0:
        return MAX_CAMPAIGN_EVIDENCE
    return float(min(-20.0 * np.log1p(-max(score, 0.0)), MAX_CAMPAIGN_EVIDENCE))


def score_reports(
    frame: ReportFrame,
    campaigns: Iterable[FoundCampaign],
    *,
    scorer: StreamScorer | None = None,
    suspects: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per report of ``frame``: ``score`` = ``campaign_evidence`` + the ``stream`` rank share,
    and ``suspect``, the burst key from ``suspects`` (``Detection.suspects``) where it has one.

    Reports are scored in time order (ties by report_id), the order they arrived in; a report in
    several campaigns takes the strongest.
    """
    reports = frame.reports.select("report_id", "t")  # a frame is in (t, report_id) order
    if reports.is_empty():
        return pl.DataFrame(schema=REPORT_SCORE_SCHEMA)
    scorer = (scorer or StreamScorer()).clone()
    # Each distinct account is keyed once, through the frame's codes, instead of per report.
    codes = frame.codes()
    keys = node_keys(pl.concat([codes.reporters, codes.targets]))
    src = keys[: len(codes.reporters)][codes.reporter.to_numpy()]
    dst = keys[len(codes.reporters) :][codes.target.to_numpy()]
    stream = chi2_surprise(scorer.score_keyed(src, dst, reports["t"].to_numpy()))
    rows = [(rid, c.key, campaign_evidence(c.score)) for c in campaigns for rid in c.report_ids]
    links = (
        pl.DataFrame(
            rows,
            schema={"report_id": pl.Utf8, "campaign": pl.Utf8, "campaign_evidence": pl.Float64},
            orient="row",
        )
        .sort(["campaign_evidence", "campaign"], descending=[True, False])
        .unique("report_id", keep="first")
    )
    # The few reports in a campaign or a suspect burst, in one table: every report is then
    # looked up once (one join over ten million report ids, not two).
    marked = links.join(
        suspects.select("report_id", "suspect")
        if suspects is not None
        else pl.DataFrame(schema={"report_id": pl.Utf8, "suspect": pl.Utf8}),
        on="report_id",
        how="full",
        coalesce=True,
    )
    return (
        reports.select("report_id")
        .with_columns(stream=pl.Series(stream, dtype=pl.Float64))
        .join(marked, on="report_id", how="left", maintain_order="left")
        .with_columns(pl.col("campaign_evidence").fill_null(0.0))
        .with_columns(
            score=pl.col("campaign_evidence")
            + (pl.col("stream").rank("average") - 1) / max(len(reports), 1)
        )
        .select(list(REPORT_SCORE_SCHEMA))
    )
