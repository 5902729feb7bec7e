"""Campaign verdicts: a moderator confirms or dismisses a detected campaign.

Confirming marks the campaign's reports manifestly unfounded (unless a decision already judged
them), lowers its members' credibility and proposes reversing every action its reports drove;
dismissing lets them count as ordinary reports again. Re-scoring the cases it moves is the
pipeline's step (:func:`reportguard.pipeline.verdicts.record_campaign_verdict`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.errors import Problem
from reportguard.moderation.appeals import propose_remediation
from reportguard.moderation.review import ReviewError
from reportguard.policy import Policy
from reportguard.reporters.credibility import CredibilityModel
from reportguard.reporters.misuse import apply_misuse_rules
from reportguard.reporters.track_record import Judged, audit_credibility, store_verdicts
from reportguard.store import audit
from reportguard.store.models import Campaign, CampaignReport, Report, ReportVerdict


def judge_campaign(
    engine: Engine,
    campaign_id: int,
    moderator: str,
    *,
    status: str,
    policy: Policy,
    note: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Confirm or dismiss a detected campaign.

    Confirming marks every report of the campaign manifestly unfounded unless a decision already
    judged it (a campaign against a real violator still reported a real violation), which lowers
    the members' credibility at once.
    """
    now = now or datetime.now(UTC)
    if status not in ("confirmed", "dismissed"):
        raise ReviewError("a campaign is either confirmed or dismissed", problem=Problem.invalid)
    with Session(engine) as session, session.begin():
        campaign = session.get(Campaign, campaign_id, with_for_update=True)
        if campaign is None:
            raise ReviewError(f"campaign {campaign_id} does not exist", problem=Problem.not_found)
        if campaign.status == status:
            raise ReviewError(f"campaign {campaign_id} is already {status}")
        audit.note_policy(session, policy, actor=moderator, at=now)
        campaign.status = status
        campaign.decided_by = moderator
        campaign.decided_at = now
        changes: list[dict[str, Any]] = []
        measures: list[dict[str, Any]] = []
        proposals: list[int] = []
        marked = 0
        if status == "confirmed":
            rows = session.execute(
                sa.select(Report.id, Report.reporter_id, Report.reason, ReportVerdict.verdict)
                .join(CampaignReport, CampaignReport.report_pk == Report.id)
                .outerjoin(ReportVerdict, ReportVerdict.report_pk == Report.id)
                .where(CampaignReport.campaign_id == campaign_id)
            ).all()
            # A report a decision already judged keeps that verdict: a record counts it once.
            judged = [
                Judged(row.id, row.reporter_id, row.reason, "unfounded")
                for row in rows
                if row.verdict is None
            ]
            changes = store_verdicts(
                session,
                judged,
                decision_id=None,
                campaign_id=campaign_id,
                at=now,
                model=CredibilityModel(policy.credibility),
            )
            marked = len(judged)
            measures = apply_misuse_rules(
                session, [j.reporter_id for j in judged], policy=policy, actor=moderator, now=now
            )
            proposals = propose_remediation(session, campaign_id, actor=moderator, now=now)
        audit.record(
            session,
            actor=moderator,
            event=f"campaign_{status}",
            subject_type="campaign",
            subject_id=campaign_id,
            payload={
                "note": note,
                "reports_marked_unfounded": marked,
                "members": campaign.n_members,
            },
            at=now,
        )
        audit_credibility(
            session,
            changes,
            actor=moderator,
            subject_type="campaign",
            subject_id=campaign_id,
            at=now,
        )
        return {
            "campaign_id": campaign_id,
            "status": status,
            "reports_marked_unfounded": marked,
            "credibility": changes,
            "misuse": measures,
            "remediation_appeals": proposals,
        }
