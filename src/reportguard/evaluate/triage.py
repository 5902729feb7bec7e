"""How well the triage queue ranks truly violating targets, against a count of the same reports.

A simulated platform is split in time. Reports before the split stand for the platform's past:
moderators decided them (with the ground truth: reports on violating accounts upheld, reports of
a planted campaign on an innocent one manifestly unfounded, the rest rejected), which gives every
reporter a record. Reports after the split are the open queue, ranked once by ReportGuard's
priority and once by how many reports each target drew. Detection runs over the whole stream, as
it would live. ``history=0`` is the cold start: no records at all, everything rests on voices.
"""

from __future__ import annotations

import math
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from reportguard.detect.campaigns import CampaignDetector
from reportguard.detect.frame import ReportFrame
from reportguard.evaluate.harness import Truth
from reportguard.evaluate.metrics import ndcg_at_k, precision_at_k, reliability
from reportguard.policy import Policy, load_policy
from reportguard.reporters.credibility import (
    CredibilityModel,
    empty_records,
    records_from_verdicts,
)
from reportguard.triage.calibration import fit_calibration
from reportguard.triage.priority import score_cases, stray_rate

KS = (10, 50, 100)


@dataclass
class TriageRun:
    """The two rankings of one open queue and their scores."""

    name: str
    history: float
    scores: dict[str, dict[str, Any]]
    open_reports: int
    cases: int
    seconds: float
    brier: float = float("nan")
    calibration: list[dict[str, float]] = field(default_factory=list)
    # P(violation) refitted (Platt) on a random half of the cases, scored on the other half.
    fitted_brier: float = float("nan")
    fitted_calibration: list[dict[str, float]] = field(default_factory=list)

    def worst_gap(self, fitted: bool = False) -> float:
        """The largest distance between a decile's mean P(violation) and its observed share."""
        table = self.fitted_calibration if fitted else self.calibration
        return max((abs(b["predicted"] - b["observed"]) for b in table), default=0.0)


def truth_verdicts(truth: Truth, reports: pl.DataFrame) -> pl.DataFrame:
    """What perfect moderators would have said of each report (reporter_id, reason, verdict, t)."""
    labels = truth.reports.select("report_id", "label")
    violating = pl.Series(sorted(truth.violating), dtype=pl.Utf8)
    return (
        reports.join(labels, on="report_id", how="left")
        .with_columns(
            verdict=pl.when(pl.col("target_id").is_in(violating.implode()))
            .then(pl.lit("upheld"))
            .when(pl.col("label").is_in(["campaign", "camouflage"]))
            .then(pl.lit("unfounded"))
            .otherwise(pl.lit("rejected"))
        )
        .select("reporter_id", "reason", "verdict", "t")
    )


def open_queue(
    frame: ReportFrame, *, split: int, policy: Policy, records: pl.DataFrame, now: int
) -> pl.DataFrame:
    """The open reports after ``split`` with each report's credibility and new-account flag."""
    model = CredibilityModel(policy.credibility)
    open_reports = model.flag_new_accounts(
        frame.reports.filter(pl.col("t") >= split)
        .join(
            frame.accounts.select("account_id", "account_created"),
            left_on="reporter_id",
            right_on="account_id",
            how="left",
        )
        .join(
            frame.accounts.select("account_id", target_followers="followers"),
            left_on="target_id",
            right_on="account_id",
            how="left",
        )
        .with_columns(case=pl.col("target_id"))
    )
    return model.score(open_reports, records, now=now)


def rank_scores(
    ranking: list[str], truth: Truth, waves: set[str], ks: tuple[int, ...] = KS
) -> dict[str, Any]:
    """Precision and NDCG at k for violating targets; where brigades and viral waves landed.

    ``waves`` are the viral targets whose wave is in the open queue (50 or more open reports);
    a viral target whose wave was decided before the split is no wave any more.
    """
    scores: dict[str, Any] = {}
    for k in ks:
        scores[f"p@{k}"] = round(precision_at_k(ranking, truth.violating, k), 4)
        scores[f"ndcg@{k}"] = round(ndcg_at_k(ranking, truth.violating, k), 4)
    innocent_brigaded = truth.brigaded - truth.violating
    scores["brigaded_in_top_50"] = len(set(ranking[:50]) & innocent_brigaded)
    position = {target: i + 1 for i, target in enumerate(ranking)}
    viral = sorted(position[t] for t in waves if t in position)
    scores["viral_ranks"] = (
        f"{len(viral)}: median {viral[len(viral) // 2]:,}, worst {viral[-1]:,}" if viral else "-"
    )
    return scores


def evaluate_triage(
    directory: Path,
    *,
    history: float = 0.5,
    policy: Policy | None = None,
    engine: CampaignDetector | None = None,
) -> TriageRun:
    """Rank the open queue of a simulation by priority and by count; score both on the truth."""
    policy = policy or load_policy()
    truth = Truth(directory)
    frame = ReportFrame.from_simulation(directory)
    started = time.perf_counter()
    detection = (engine or CampaignDetector.default()).run(frame)
    start, end = frame.start, frame.end + 1
    split = int(start + history * (end - start))
    past = frame.reports.filter(pl.col("t") < split)
    model = CredibilityModel(policy.credibility)
    records = (
        records_from_verdicts(truth_verdicts(truth, past), now=end, model=model)
        if len(past)
        else empty_records()
    )
    queue = open_queue(frame, split=split, policy=policy, records=records, now=end).join(
        detection.suspects, on="report_id", how="left"
    )
    # The perfect moderators decided every case of the past: its share of violating targets.
    past_targets = past["target_id"].unique()
    case_rate = (
        int(past_targets.is_in(sorted(truth.violating)).sum()) / len(past_targets)
        if len(past_targets) >= 50
        else None
    )
    campaigns = pl.DataFrame(
        [
            (rid, number, "active")
            for number, found in enumerate(detection.campaigns)
            for rid in found.report_ids
        ],
        schema={"report_id": pl.Utf8, "campaign_id": pl.Int64, "status": pl.Utf8},
        orient="row",
    )
    cases, _ = score_cases(
        queue,
        policy=policy,
        campaigns=campaigns,
        base_rate=model.base_rate(records),
        case_rate=case_rate,
        stray_rate=stray_rate(len(queue), int(frame.accounts["followers"].sum() or 0)),
    )
    seconds = time.perf_counter() - started
    per_target = (
        queue.group_by("target_id").len().sort(["len", "target_id"], descending=[True, False])
    )
    counts = per_target["target_id"].to_list()
    waves = set(per_target.filter(pl.col("len") >= 50)["target_id"].to_list()) & truth.viral
    violating = [c in truth.violating for c in cases["case"].to_list()]
    brier, calibration = reliability(cases["probability"].to_list(), violating)
    # Refitting needs decided cases; with none decided (a cold start) there is nothing to fit.
    fitted_brier, fitted_calibration = (
        _refitted(cases, violating) if history > 0 else (math.nan, [])
    )
    return TriageRun(
        name=directory.name,
        history=history,
        scores={
            "count": rank_scores(counts, truth, waves),
            "reportguard": rank_scores(cases["case"].to_list(), truth, waves),
        },
        open_reports=len(queue),
        cases=len(cases),
        seconds=seconds,
        brier=round(brier, 4),
        calibration=calibration,
        fitted_brier=round(fitted_brier, 4),
        fitted_calibration=fitted_calibration,
    )


def _refitted(cases: pl.DataFrame, violating: list[bool]) -> tuple[float, list[dict[str, float]]]:
    """Reliability of P(violation) refitted as the product does once cases are decided.

    The decided cases are a random half (by a hash of the target, so the same in every run);
    the figures are on the other half. Real moderators decide the top of the queue first, so
    the product's fit sees fewer low-evidence cases than this one.
    """
    half = np.array([zlib.crc32(c.encode()) % 2 == 0 for c in cases["case"].to_list()])
    evidence = cases["evidence"].to_numpy()
    truth = np.array(violating, dtype=bool)
    if half.sum() < 50 or (~half).sum() < 50:
        return math.nan, []
    fit = fit_calibration(evidence[half], truth[half])
    held = ~half
    return reliability(fit.probability(evidence[held]).tolist(), truth[held].tolist())
