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

from reportguard.enforce.carry_out import action_view
from reportguard.enforce.violation import enforce_violation
from reportguard.errors import Problem, ReportGuardError
from reportguard.notices.compose import decision_notices
from reportguard.policy import Policy
from reportguard.reporters.credibility import CredibilityModel
from reportguard.reporters.misuse import apply_misuse_rules
from reportguard.reporters.track_record import Judged, audit_credibility, store_verdicts
from reportguard.store import audit
from reportguard.store.models import (
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

    problem = Problem.conflict


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
        raise ReviewError(f"case {case_id} does not exist", problem=Problem.not_found)
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
    """Give up your claim; refused when you hold none (a client that thinks it holds a claim it
    does not should hear so) and for a claim someone else holds (it stays theirs)."""
    with Session(engine) as session, session.begin():
        case = _case(session, case_id)
        if case.claimed_by is None:
            raise ReviewError(f"case {case_id} is not claimed: there is no claim to release")
        if case.claimed_by != moderator:
            raise ReviewError(f"case {case_id} is not yours to release: {case.claimed_by} holds it")
        case.claimed_by = None
        case.claim_expires_at = None


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
        raise ReviewError(f"outcome must be one of {', '.join(OUTCOMES)}", problem=Problem.invalid)
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
                raise ReviewError(
                    "a violation needs the policy clause it breaks", problem=Problem.invalid
                )
        reports = session.execute(
            sa.select(Report.id, Report.report_id, Report.reporter_id, Report.reason)
            .join(CaseReport, CaseReport.report_pk == Report.id)
            .where(CaseReport.case_id == case_id)
        ).all()
        known = {row.report_id for row in reports}
        # Reports already judged (through a confirmed campaign) keep that verdict: a record
        # counts each report once.
        judged_before = set(
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
                problem=Problem.invalid,
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
        judged: list[Judged] = []
        counts = {"upheld": 0, "rejected": 0, "unfounded": 0}
        for row in reports:
            verdict = (
                None if row.id in judged_before else _verdict(outcome, row.report_id in marked)
            )
            if verdict is None:
                continue
            counts[verdict] += 1
            judged.append(Judged(row.id, row.reporter_id, row.reason, verdict))
        changes = store_verdicts(
            session,
            judged,
            decision_id=decision.id,
            campaign_id=None,
            at=now,
            model=CredibilityModel(policy.credibility),
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
            [j.reporter_id for j in judged if j.verdict == "unfounded"],
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
        audit_credibility(
            session,
            changes,
            actor=moderator,
            subject_type="decision",
            subject_id=decision.id,
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
