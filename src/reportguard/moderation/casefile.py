"""One case (or campaign) with everything a moderator reads before deciding it, for the API and
the dashboard.

The case, its reports (each with its verdict and the campaigns it belongs to), the decisions on
it, the actions they led to, the appeals against them and the audit entries about all of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from reportguard.store.models import (
    Action,
    Appeal,
    AuditEntry,
    Campaign,
    CampaignMember,
    CampaignReport,
    CampaignTarget,
    Case,
    CaseReport,
    Decision,
    Report,
    ReportVerdict,
)

MAX_CASE_REPORTS = 500
MAX_HISTORY = 200


@dataclass
class CaseFile:
    case: Case
    reports: list[tuple[Report, str | None]]
    reports_total: int
    report_campaigns: dict[int, list[int]] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    appeals: list[Appeal] = field(default_factory=list)
    history: list[AuditEntry] = field(default_factory=list)

    @property
    def campaign_ids(self) -> list[int]:
        return sorted({c for ids in self.report_campaigns.values() for c in ids})

    def action_keys(self) -> dict[int, str]:
        return {a.id: a.action_key for a in self.actions}


def load_case_file(
    session: Session, case_id: int, *, max_reports: int = MAX_CASE_REPORTS
) -> CaseFile | None:
    """The case file of ``case_id`` (its first ``max_reports`` reports), or None."""
    case = session.get(Case, case_id)
    if case is None:
        return None
    reports: list[Any] = list(
        session.execute(
            sa.select(Report, ReportVerdict.verdict)
            .join(CaseReport, CaseReport.report_pk == Report.id)
            .outerjoin(ReportVerdict, ReportVerdict.report_pk == Report.id)
            .where(CaseReport.case_id == case_id)
            .order_by(Report.created_at, Report.id)
            .limit(max_reports)
        ).all()
    )
    total = session.scalar(
        sa.select(sa.func.count()).select_from(CaseReport).where(CaseReport.case_id == case_id)
    )
    campaigns: dict[int, list[int]] = {}
    pks = [r.id for r, _ in reports]
    if pks:
        for pk, campaign_id in session.execute(
            sa.select(CampaignReport.report_pk, CampaignReport.campaign_id)
            .join(Campaign, Campaign.id == CampaignReport.campaign_id)
            .where(CampaignReport.report_pk.in_(pks))
        ):
            campaigns.setdefault(pk, []).append(campaign_id)
    decisions = list(
        session.scalars(
            sa.select(Decision).where(Decision.case_id == case_id).order_by(Decision.id)
        )
    )
    decision_ids = [d.id for d in decisions]
    actions = list(
        session.scalars(
            sa.select(Action).where(Action.decision_id.in_(decision_ids)).order_by(Action.id)
        )
    )
    appeals = list(
        session.scalars(
            sa.select(Appeal).where(Appeal.decision_id.in_(decision_ids)).order_by(Appeal.id)
        )
    )
    subjects = [("case", str(case_id))] + [("decision", str(i)) for i in decision_ids]
    subjects += [("appeal", str(a.id)) for a in appeals]
    history = list(
        session.scalars(
            sa.select(AuditEntry)
            .where(sa.tuple_(AuditEntry.subject_type, AuditEntry.subject_id).in_(subjects))
            .order_by(AuditEntry.seq)
            .limit(MAX_HISTORY)
        )
    )
    return CaseFile(
        case=case,
        reports=reports,
        reports_total=int(total or 0),
        report_campaigns=campaigns,
        decisions=decisions,
        actions=actions,
        appeals=appeals,
        history=history,
    )


def campaign_people(
    session: Session, campaign_id: int, *, members: int | None, targets: int | None = None
) -> tuple[list[str], list[str]]:
    """A campaign's members and targets by id (the first ``members`` / ``targets`` of each)."""

    def ids(column: Any, owner: Any, limit: int | None) -> list[str]:
        query = sa.select(column).where(owner == campaign_id).order_by(column).limit(limit)
        return list(session.scalars(query))

    return (
        ids(CampaignMember.reporter_id, CampaignMember.campaign_id, members),
        ids(CampaignTarget.target_id, CampaignTarget.campaign_id, targets),
    )
