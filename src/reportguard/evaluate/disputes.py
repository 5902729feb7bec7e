"""How well disputes are routed, on a simulated platform with its ground truth.

Every account's reports form one case (the queue at the end of the period, as in a cold start).
The truth names the quarrelling pairs and labels each of their reports ``dispute``. A case is a
true dispute case when all its reports carry that label; the router should send exactly those to
the dispute queue, and never a violating account's case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from reportguard.detect.frame import ReportFrame
from reportguard.evaluate.harness import Truth
from reportguard.evaluate.metrics import prf
from reportguard.policy import Policy, load_policy
from reportguard.triage.disputes import DAY, mutual_partners, route_disputes


@dataclass
class DisputeRun:
    name: str
    pairs: dict[str, Any] = field(default_factory=dict)
    cases: dict[str, Any] = field(default_factory=dict)
    violation_queue: dict[str, Any] = field(default_factory=dict)


def evaluate_disputes(directory: Path, *, policy: Policy | None = None) -> DisputeRun:
    policy = policy or load_policy()
    truth = Truth(directory)
    reports = (
        ReportFrame.from_simulation(directory)
        .reports.select("report_id", "reporter_id", "target_id", "reason", "t")
        .join(truth.reports.select("report_id", "label"), on="report_id", how="left")
        .with_columns(case=pl.col("target_id"))
    )
    partners = mutual_partners(reports, window_s=policy.disputes.window_days * DAY)
    reasons = (
        reports.group_by("case", "reason")
        .len()
        .sort(["case", "len", "reason"], descending=[False, True, False])
        .group_by("case", maintain_order=True)
        .first()
        .select("case", "reason")
    )
    routed = route_disputes(reports, partners, reasons=reasons, policy=policy)
    run = DisputeRun(name=directory.name)

    planted = {frozenset(p) for p in truth.doc.get("disputes", [])}
    found = {frozenset(p) for p in partners.select("reporter_id", "target_id").iter_rows()}
    run.pairs = prf(found, planted).as_dict() | {"planted": len(planted), "found": len(found)}

    per_case = reports.group_by("case").agg(
        reports=pl.len(), all_dispute=(pl.col("label") == "dispute").all()
    )
    cases = per_case.join(routed.select("case", "dispute"), on="case")
    true_cases = set(cases.filter(pl.col("all_dispute"))["case"].to_list())
    routed_cases = set(cases.filter(pl.col("dispute"))["case"].to_list())
    run.cases = prf(routed_cases, true_cases).as_dict() | {
        "true_dispute_cases": len(true_cases),
        "routed": len(routed_cases),
        "violating_accounts_routed": len(routed_cases & truth.violating),
    }
    dispute_reports = int((reports["label"] == "dispute").sum())
    moved = int(cases.filter(pl.col("dispute"))["reports"].sum())
    run.violation_queue = {
        "reports_before": len(reports),
        "reports_after": len(reports) - moved,
        "dispute_reports": dispute_reports,
        "dispute_reports_still_in_violation_queue": dispute_reports
        - int(
            reports.filter(pl.col("case").is_in(sorted(routed_cases)))
            .filter(pl.col("label") == "dispute")
            .height
        ),
    }
    return run
