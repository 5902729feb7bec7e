"""The batch flow over a whole report log: import files, detect campaigns, score the queue.

Each step is a function over a database engine, so the command line can run one at a time and
the demo (or a platform's nightly job) all of them in order. Detection reads the stored log, so
it sees every report however many imports it took to arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from reportguard.detect.campaigns import CampaignDetector, Detection
from reportguard.detect.frame import ReportFrame
from reportguard.detect.persist import store_campaigns, store_report_scores
from reportguard.detect.report_scores import score_reports
from reportguard.pipeline.imports import read_outcomes
from reportguard.policy import Policy
from reportguard.store.models import Report
from reportguard.triage.cases import TriageSummary, refresh_cases


def detect_log(
    reports: Path,
    *,
    accounts: Path | None = None,
    detector: CampaignDetector | None = None,
    output: Path | None = None,
    step: Callable[[str], None] | None = None,
) -> Detection:
    """Detect campaigns straight on a report log (Parquet or JSON Lines), without a database;
    with ``output``, write campaigns, their reports and every report's score there as Parquet."""
    from reportguard.detect.log import LogFiles, read_log

    tell = step or (lambda _what: None)
    tell(f"reading {reports}")
    frame = read_log(LogFiles.resolve(reports, accounts))
    tell(f"detecting in {len(frame):,} reports")
    detection = (detector or CampaignDetector.default()).run(frame)
    tell("scoring every report")
    detection.report_scores = score_reports(frame, detection.campaigns, suspects=detection.suspects)
    if output is not None:
        tell(f"writing {output}")
        write_results(detection, output)
    return detection


def write_results(detection: Detection, folder: Path) -> None:
    """campaigns.parquet, campaign_reports.parquet and report_scores.parquet in ``folder``
    (the same tables the Spark engine writes)."""
    folder.mkdir(parents=True, exist_ok=True)
    campaigns = pl.DataFrame(
        [
            {
                "campaign_key": c.key,
                "score": c.score,
                "members": c.members,
                "targets": c.targets,
                "first_report_at": c.first_report_at,
                "last_report_at": c.last_report_at,
            }
            for c in detection.campaigns
        ],
        schema={
            "campaign_key": pl.Utf8,
            "score": pl.Float64,
            "members": pl.List(pl.Utf8),
            "targets": pl.List(pl.Utf8),
            "first_report_at": pl.Datetime("us", "UTC"),
            "last_report_at": pl.Datetime("us", "UTC"),
        },
    )
    reports = pl.DataFrame(
        [(c.key, r) for c in detection.campaigns for r in c.report_ids],
        schema={"campaign_key": pl.Utf8, "report_id": pl.Utf8},
        orient="row",
    )
    campaigns.write_parquet(folder / "campaigns.parquet")
    reports.write_parquet(folder / "campaign_reports.parquet")
    if detection.report_scores is not None:
        detection.report_scores.write_parquet(folder / "report_scores.parquet")


def detect(
    engine: Engine,
    *,
    policy: Policy,
    since: int | None = None,
    until: int | None = None,
    store: bool = True,
    detector: CampaignDetector | None = None,
    step: Callable[[str], None] | None = None,
) -> Detection:
    """Detect campaigns over the stored reports (epoch-second bounds) and store them.

    ``step`` hears what is being done (reading, detecting, storing), for a progress display.
    """
    tell = step or (lambda _what: None)
    tell("reading reports")
    frame = without_servers(engine, ReportFrame.from_database(engine, since=since, until=until))
    tell(f"detecting in {len(frame):,} reports")
    detection = (detector or CampaignDetector.default()).run(frame)
    tell("scoring every report")
    detection.report_scores = score_reports(frame, detection.campaigns, suspects=detection.suspects)
    if store:
        tell("storing campaigns")
        store_campaigns(engine, detection.campaigns, policy=policy)
        store_report_scores(engine, detection.report_scores)
    return detection


def without_servers(engine: Engine, frame: ReportFrame) -> ReportFrame:
    """The frame less the reports remote servers filed (``reporter_kind = "server"``).

    A server flags for its users but is one reporter: it has no account age, address or device,
    and one server forwarding many people's flags would read as one very busy person. Detection
    looks for people acting together, so it does not read them; triage still counts each server
    as one voice on its cases (docs/integrate.md).
    """
    with engine.connect() as conn:
        servers = list(
            conn.scalars(
                sa.select(Report.reporter_id).where(Report.reporter_kind == "server").distinct()
            )
        )
    if not servers:
        return frame
    reports = frame.reports.filter(~pl.col("reporter_id").is_in(servers))
    return ReportFrame(reports=reports, accounts=frame.accounts)


def triage(engine: Engine, *, policy: Policy) -> TriageSummary:
    """Put every report without a case into one and re-score every open case.

    Outcomes imported since the last reading (through the API, say) are read first, so the
    scores use every track record there is.
    """
    read_outcomes(engine, policy=policy)
    return refresh_cases(engine, policy=policy)
