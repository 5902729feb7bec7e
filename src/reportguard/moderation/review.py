"""Review: moderators claim a case, decide it, and confirm or dismiss campaigns.

A claim is a lock that expires, so two moderators never work the same case and an abandoned claim
frees itself. A decision writes a verdict for every report of the case (upheld for a violation,
rejected for none, manifestly unfounded where the moderator says so), updates each reporter's
credibility at once and writes all of it to the audit log in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.enforce.carry_out import action_view, active_points, carry_out
from reportguard.enforce.plan import plan_violation
from reportguard.errors import ReportGuardError
from reportguard.moderation.appeals import propose_remediation
from reportguard.notices.compose import action_notice, decision_notices
from reportguard.policy import Policy
from reportguard.reporters.credibility import CredibilityModel
from reportguard.reporters.misuse import apply_misuse_rules
from reportguard.reporters.track_record import apply_verdicts
from reportguard.store import audit
from reportguard.store.models import (
    Action,
    Campaign,
    CampaignReport,
    Case,
    CaseReport,
    Decision,
    Report,
    ReportVerdict,
)

Outcome = Literal["violation", "no_violation", "dispute"]
OUTCOMES = ("violation", "no_violation", "dispute")


class ReviewError(ReportGuardError):
    """A review step that cannot happen (unknown case, claimed by someone else, ...)."""

    def __init__(self, message: str, *, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class DecisionOutcome:
    decision_id: int
    case_id: int
    target_id: str
    outcome: str
    clause: str | None
    verdicts: dict[str, int]
    credibility: list[dict[str, Any]] = field(default_factory=list)
    action: dict[str, Any] | None = None
    misuse: list[dict[str, Any]] = field(default_factory=list)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise ReviewError(f"case {case_id} does not exist", status=404)
    return case


def claim(
    engine: Engine, case_id: int, moderator: str, *, policy: Policy, now: datetime | None = None
) -> Case:
    """Claim a case for ``claim_minutes``; refused while another moderator's claim runs."""
    now = _now(now)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        case = _case(session, case_id)
        if case.status != "open":
            raise ReviewError(f"case {case_id} is {case.status}, not open")
        held = case.claimed_by and case.claim_expires_at and case.claim_expires_at > now
        if held and case.claimed_by != moderator:
            raise ReviewError(
                f"case {case_id} is claimed by {case.claimed_by} until "
                f"{case.claim_expires_at:%H:%M:%S} UTC"
            )
        case.claimed_by = moderator
        case.claim_expires_at = now + timedelta(minutes=policy.triage.claim_minutes)
        return case


def release(engine: Engine, case_id: int, moderator: str) -> None:
    with Session(engine) as session, session.begin():
        case = _case(session, case_id)
        if case.claimed_by == moderator:
            case.claimed_by = None
            case.claim_expires_at = None


def enforce_violation(
    session: Session,
    case: Case,
    decision: Decision,
    *,
    policy: Policy,
    actor: str,
    now: datetime,
    automated: bool = False,
) -> Action:
    """Plan the action for a violation on the target's record, then carry it out."""
    explanation = case.explanation or {}
    plan = plan_violation(
        account_id=case.target_id,
        category=case.reason or "other",
        clause=decision.policy_clause,
        active_points=active_points(session, case.target_id, now),
        policy=policy,
        now=now,
        automated=automated,
        facts={
            "case_id": case.id,
            "reports": case.n_reports,
            "independent_voices": case.n_voices,
            "reason": case.reason,
            "assessment": explanation.get("sentences", [])[:4],
            "moderator_note": decision.reason,
        },
    )
    action = carry_out(session, plan, decision_id=decision.id, actor=actor, now=now)
    action_notice(session, policy, action, now=now, case_id=case.id)
    return action


def _verdict(outcome: str, unfounded: bool) -> str | None:
    if unfounded:
        return "unfounded"
    # A dispute between users says nothing about the reporter's judgement: no verdict.
    return {"violation": "upheld", "no_violation": "rejected"}.get(outcome)


def decide(
    engine: Engine,
    case_id: int,
    moderator: str,
    *,
    outcome: str,
    policy: Policy,
    clause: str | None = None,
    reason: str | None = None,
    unfounded: list[str] | None = None,
    now: datetime | None = None,
    automated: bool = False,
) -> DecisionOutcome:
    """Rule on a claimed case; verdicts, credibility, the action and its webhook in one go."""
    now = _now(now)
    if outcome not in OUTCOMES:
        raise ReviewError(f"outcome must be one of {', '.join(OUTCOMES)}", status=422)
    with Session(engine) as session, session.begin():
        case = _case(session, case_id)
        if case.status != "open":
            raise ReviewError(f"case {case_id} is already {case.status}")
        claimed = case.claimed_by == moderator and bool(
            case.claim_expires_at and case.claim_expires_at > now
        )
        if not (claimed or automated):
            raise ReviewError(f"claim case {case_id} before deciding it (or your claim expired)")
        if outcome == "violation":
            clause = clause or (policy.reason(case.reason).clause if case.reason else None)
            if not clause:
                raise ReviewError("a violation needs the policy clause it breaks", status=422)
        reports = session.execute(
            sa.select(Report.id, Report.report_id, Report.reporter_id, Report.reason)
            .join(CaseReport, CaseReport.report_pk == Report.id)
            .where(CaseReport.case_id == case_id)
        ).all()
        known = {row.report_id for row in reports}
        # Reports already judged (through a confirmed campaign) keep that verdict: a record
        # counts each report once.
        judged = set(
            session.scalars(
                sa.select(ReportVerdict.report_pk).where(
                    ReportVerdict.report_pk.in_(
                        sa.select(CaseReport.report_pk).where(CaseReport.case_id == case_id)
                    )
                )
            )
        )
        marked = set(unfounded or [])
        if marked - known:
            raise ReviewError(
                f"not reports of case {case_id}: {', '.join(sorted(marked - known)[:5])}",
                status=422,
            )
        audit.note_policy(session, policy, actor=moderator, at=now)
        decision = Decision(
            case_id=case_id,
            moderator=moderator,
            outcome=outcome,
            policy_clause=clause,
            reason=reason,
            decided_at=now,
        )
        session.add(decision)
        session.flush()
        verdicts: list[tuple[str, str, str]] = []
        counts = {"upheld": 0, "rejected": 0, "unfounded": 0}
        for row in reports:
            verdict = None if row.id in judged else _verdict(outcome, row.report_id in marked)
            if verdict is None:
                continue
            counts[verdict] += 1
            verdicts.append((row.reporter_id, row.reason, verdict))
            session.add(
                ReportVerdict(
                    report_pk=row.id,
                    decision_id=decision.id,
                    campaign_id=None,
                    reporter_id=row.reporter_id,
                    reason=row.reason,
                    verdict=verdict,
                    decided_at=now,
                )
            )
        changes = apply_verdicts(
            session, verdicts, at=now, model=CredibilityModel(policy.credibility)
        )
        case.status = "decided"
        case.claimed_by = None
        case.claim_expires_at = None
        case.updated_at = now
        action = None
        if outcome == "violation":
            action = enforce_violation(
                session,
                case,
                decision,
                policy=policy,
                actor=moderator,
                now=now,
                automated=automated,
            )
        measures = apply_misuse_rules(
            session,
            [r for r, _, v in verdicts if v == "unfounded"],
            policy=policy,
            actor=moderator,
            now=now,
        )
        decision_notices(
            session,
            policy,
            case=case,
            decision=decision,
            reports=[(row.report_id, row.reporter_id, row.reason) for row in reports],
            acted=action is not None,
            now=now,
        )
        audit.record(
            session,
            actor=moderator,
            event="decision",
            subject_type="case",
            subject_id=case_id,
            payload={
                "decision_id": decision.id,
                "target_id": case.target_id,
                "outcome": outcome,
                "clause": clause,
                "reason": reason,
                "verdicts": counts,
                "priority": case.priority,
            },
            at=now,
        )
        if changes:
            audit.record(
                session,
                actor=moderator,
                event="credibility",
                subject_type="decision",
                subject_id=decision.id,
                payload={"changes": changes},
                at=now,
            )
        return DecisionOutcome(
            decision_id=decision.id,
            case_id=case_id,
            target_id=case.target_id,
            outcome=outcome,
            clause=clause,
            verdicts=counts,
            credibility=changes,
            action=action_view(action) if action is not None else None,
            misuse=measures,
        )


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
    now = _now(now)
    if status not in ("confirmed", "dismissed"):
        raise ReviewError("a campaign is either confirmed or dismissed", status=422)
    with Session(engine) as session, session.begin():
        campaign = session.get(Campaign, campaign_id, with_for_update=True)
        if campaign is None:
            raise ReviewError(f"campaign {campaign_id} does not exist", status=404)
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
            verdicts = []
            for row in rows:
                if row.verdict is not None:  # already judged by a decision: counted once
                    continue
                verdicts.append((row.reporter_id, row.reason, "unfounded"))
                session.add(
                    ReportVerdict(
                        report_pk=row.id,
                        decision_id=None,
                        campaign_id=campaign_id,
                        reporter_id=row.reporter_id,
                        reason=row.reason,
                        verdict="unfounded",
                        decided_at=now,
                    )
                )
            marked = len(verdicts)
            changes = apply_verdicts(
                session, verdicts, at=now, model=CredibilityModel(policy.credibility)
            )
            measures = apply_misuse_rules(
                session, [r for r, _, _ in verdicts], policy=policy, actor=moderator, now=now
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
        if changes:
            audit.record(
                session,
                actor=moderator,
                event="credibility",
                subject_type="campaign",
                subject_id=campaign_id,
                payload={"changes": changes},
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
