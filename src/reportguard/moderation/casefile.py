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

from reportguard.policy.schema import Links
from reportguard.store.models import (
    Account,
    Action,
    Appeal,
    AuditEntry,
    Campaign,
    CampaignMember,
    CampaignReport,
    CampaignTarget,
    Case,
    CaseReport,
    Content,
    Decision,
    Report,
    ReportVerdict,
)
from reportguard.store.sql import chunked

MAX_CASE_REPORTS = 500
MAX_HISTORY = 200


@dataclass
class ReportedItem:
    """One reported item as the platform sent it, the link out to it and the reports it drew."""

    content_id: str
    report_ids: list[str]
    content: Content | None = None  # None: the platform sent no content record for it
    url: str | None = None


@dataclass
class Target:
    """The reported account: its handle and its page on the platform."""

    account_id: str
    account: Account | None = None
    url: str | None = None


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
    items: list[ReportedItem] = field(default_factory=list)
    target: Target | None = None

    @property
    def campaign_ids(self) -> list[int]:
        return sorted({c for ids in self.report_campaigns.values() for c in ids})

    def action_keys(self) -> dict[int, str]:
        return {a.id: a.action_key for a in self.actions}


def reported_items(session: Session, reports: list[Report], links: Links) -> list[ReportedItem]:
    """The items the reports name, in the order they were first reported, each with the reports
    that drew it and its link out (its own url, else the policy's template)."""
    drawn: dict[str, list[str]] = {}
    for report in reports:
        if report.content_id is not None:
            drawn.setdefault(report.content_id, []).append(report.report_id)
    if not drawn:
        return []
    stored = {
        c.content_id: c
        for part in chunked(sorted(drawn))
        for c in session.scalars(sa.select(Content).where(Content.content_id.in_(part)))
    }
    items = []
    for content_id, report_ids in drawn.items():
        content = stored.get(content_id)
        owner = content.account_id if content is not None else None
        url = (content.url if content is not None else None) or links.content_url(content_id, owner)
        items.append(ReportedItem(content_id, report_ids, content, url))
    return items


def case_target(session: Session, account_id: str, links: Links) -> Target:
    """The reported account with its handle and profile link."""
    account = session.get(Account, account_id)
    return Target(
        account_id, account, links.account_url(account_id, account.handle if account else None)
    )


def load_case_file(
    session: Session,
    case_id: int,
    *,
    max_reports: int = MAX_CASE_REPORTS,
    links: Links | None = None,
) -> CaseFile | None:
    """The case file of ``case_id`` (its first ``max_reports`` reports), or None; with the
    reported items and the target's profile, linked with ``links``."""
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
    links = links or Links()
    return CaseFile(
        case=case,
        items=reported_items(session, [r for r, _ in reports], links),
        target=case_target(session, case.target_id, links),
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
