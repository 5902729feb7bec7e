"""Appeals: the affected account against an action, a reporter against a decision not to act, a
reporter against a suspension of their reporting, and remediation after a confirmed campaign.

A different moderator than the one who decided must decide the appeal (enforced here, not left
to the dashboard). Overturning an action reverses it by a new webhook, expunges its strikes and
counts against the reporters whose reports drove it; overturning a decision not to act takes the
violation decision and enforces it; overturning a misuse suspension lifts it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.enforce.carry_out import reverse
from reportguard.enforce.violation import enforce_violation
from reportguard.errors import Problem, ReportGuardError
from reportguard.notices.compose import reversal_notice
from reportguard.outbox.webhooks import enqueue
from reportguard.policy import Policy
from reportguard.reporters.credibility import CredibilityModel
from reportguard.reporters.track_record import apply_verdicts
from reportguard.store import audit
from reportguard.store.models import (
    Action,
    Appeal,
    CampaignReport,
    Case,
    CaseReport,
    Decision,
    ReportingRestriction,
    ReportVerdict,
)

SYSTEM = "reportguard"


class AppealError(ReportGuardError):
    """An appeal that cannot be filed or decided (unknown, not yours, already open, too late)."""

    problem = Problem.conflict


def file_appeal(
    engine: Engine,
    *,
    appellant: str,
    policy: Policy,
    action_key: str | None = None,
    decision_id: int | None = None,
    restriction_id: int | None = None,
    statement: str | None = None,
    now: datetime | None = None,
) -> Appeal:
    """Open an appeal within the policy's window (DSA Article 20: at least six months)."""
    now = now or datetime.now(UTC)
    window = timedelta(days=policy.appeals.window_days)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        appeal = Appeal(appellant_id=appellant, statement=statement, status="open", filed_at=now)
        decided_at = _bind(
            session,
            appeal,
            action_key=action_key,
            decision_id=decision_id,
            restriction_id=restriction_id,
        )
        if now > decided_at + window:
            raise AppealError(
                f"the appeal window of {policy.appeals.window_days} days closed on "
                f"{(decided_at + window).date()}",
                problem=Problem.invalid,
            )
        duplicate = session.scalar(
            sa.select(Appeal.id).where(
                Appeal.status == "open",
                Appeal.appellant_id == appellant,
                Appeal.kind == appeal.kind,
                Appeal.decision_id.is_(appeal.decision_id)
                if appeal.decision_id is None
                else Appeal.decision_id == appeal.decision_id,
                Appeal.restriction_id.is_(appeal.restriction_id)
                if appeal.restriction_id is None
                else Appeal.restriction_id == appeal.restriction_id,
            )
        )
        if duplicate is not None:
            raise AppealError(f"appeal {duplicate} on this is already open")
        session.add(appeal)
        session.flush()
        audit.record(
            session,
            actor=appellant,
            event="appeal_filed",
            subject_type="appeal",
            subject_id=appeal.id,
            payload={"kind": appeal.kind, "statement": statement},
            at=now,
        )
        return appeal


def _bind(
    session: Session,
    appeal: Appeal,
    *,
    action_key: str | None,
    decision_id: int | None,
    restriction_id: int | None,
) -> datetime:
    """Attach the appeal to what it contests; return when that was decided."""
    appellant = appeal.appellant_id
    if restriction_id is not None:
        restriction = session.get(ReportingRestriction, restriction_id)
        if restriction is None:
            raise AppealError(
                f"restriction {restriction_id} does not exist", problem=Problem.not_found
            )
        if restriction.reporter_id != appellant:
            raise AppealError(
                "only the restricted reporter can appeal it", problem=Problem.forbidden
            )
        decided_at = restriction.created_at
        appeal.kind, appeal.restriction_id = "misuse", restriction_id
    elif action_key is not None:
        action = session.scalar(sa.select(Action).where(Action.action_key == action_key))
        if action is None:
            raise AppealError(f"action {action_key} does not exist", problem=Problem.not_found)
        if action.account_id != appellant:
            raise AppealError(
                "only the affected account can appeal an action", problem=Problem.forbidden
            )
        decided_at = action.created_at
        appeal.kind, appeal.action_id, appeal.decision_id = (
            "against_action",
            action.id,
            action.decision_id,
        )
    elif decision_id is not None:
        decision = session.get(Decision, decision_id)
        if decision is None:
            raise AppealError(f"decision {decision_id} does not exist", problem=Problem.not_found)
        if decision.outcome == "violation":
            raise AppealError("a violation is appealed through its action", problem=Problem.invalid)
        reporters = set(
            session.scalars(
                sa.select(ReportVerdict.reporter_id).where(ReportVerdict.decision_id == decision_id)
            )
        )
        if appellant not in reporters:
            raise AppealError(
                "only a reporter of the case can contest it", problem=Problem.forbidden
            )
        decided_at = decision.decided_at
        appeal.kind, appeal.decision_id = "against_no_action", decision_id
    else:
        raise AppealError(
            "say what is appealed: an action, a decision or a restriction", problem=Problem.invalid
        )
    return decided_at


def propose_remediation(
    session: Session, campaign_id: int, *, actor: str, now: datetime
) -> list[int]:
    """Re-open every active action that rested on reports of a confirmed campaign.

    Each becomes an appeal of kind ``remediation`` in the appeals queue, to be decided by a
    moderator other than the one who took the action.
    """
    rows = session.execute(
        sa.select(Action.id, Action.decision_id, sa.func.count())
        .join(Decision, Decision.id == Action.decision_id)
        .join(CaseReport, CaseReport.case_id == Decision.case_id)
        .join(CampaignReport, CampaignReport.report_pk == CaseReport.report_pk)
        .where(CampaignReport.campaign_id == campaign_id, Action.status == "active")
        .group_by(Action.id, Action.decision_id)
    ).all()
    opened: list[int] = []
    for action_id, decision_id, n in rows:
        exists = session.scalar(
            sa.select(Appeal.id).where(
                Appeal.action_id == action_id,
                Appeal.kind == "remediation",
                Appeal.status == "open",
            )
        )
        if exists is not None:
            continue
        appeal = Appeal(
            decision_id=decision_id,
            action_id=action_id,
            appellant_id=SYSTEM,
            kind="remediation",
            status="open",
            filed_at=now,
            statement=f"campaign #{campaign_id} was confirmed; this action rested on {n} of its "
            "reports. Proposed: reverse it.",
        )
        session.add(appeal)
        session.flush()
        audit.record(
            session,
            actor=actor,
            event="remediation_proposed",
            subject_type="appeal",
            subject_id=appeal.id,
            payload={"campaign_id": campaign_id, "action_id": action_id, "reports": n},
            at=now,
        )
        opened.append(appeal.id)
    return opened


def _original_decider(session: Session, appeal: Appeal) -> str | None:
    if appeal.decision_id is not None:
        decision = session.get(Decision, appeal.decision_id)
        return decision.moderator if decision else None
    if appeal.restriction_id is not None:
        restriction = session.get(ReportingRestriction, appeal.restriction_id)
        return (restriction.grounds or {}).get("decided_by") if restriction else None
    return None


def decide_appeal(
    engine: Engine,
    appeal_id: int,
    moderator: str,
    *,
    outcome: str,
    policy: Policy,
    note: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Uphold or overturn; refused when ``moderator`` took the decision under appeal."""
    now = now or datetime.now(UTC)
    if outcome not in ("upheld", "overturned"):
        raise AppealError("an appeal is upheld or overturned", problem=Problem.invalid)
    with Session(engine) as session, session.begin():
        appeal = session.get(Appeal, appeal_id, with_for_update=True)
        if appeal is None:
            raise AppealError(f"appeal {appeal_id} does not exist", problem=Problem.not_found)
        if appeal.status != "open":
            raise AppealError(f"appeal {appeal_id} is already {appeal.status}")
        if _original_decider(session, appeal) == moderator:
            raise AppealError(
                f"{moderator} took the decision under appeal; another moderator must decide it",
                problem=Problem.forbidden,
            )
        audit.note_policy(session, policy, actor=moderator, at=now)
        appeal.status, appeal.decided_by, appeal.decided_at = outcome, moderator, now
        result: dict[str, Any] = {"appeal_id": appeal_id, "kind": appeal.kind, "outcome": outcome}
        if outcome == "overturned":
            result.update(_overturn(session, appeal, moderator=moderator, policy=policy, now=now))
        audit.record(
            session,
            actor=moderator,
            event="appeal_decided",
            subject_type="appeal",
            subject_id=appeal_id,
            payload={**result, "note": note},
            at=now,
        )
        return result


def _overturn(
    session: Session, appeal: Appeal, *, moderator: str, policy: Policy, now: datetime
) -> dict[str, Any]:
    model = CredibilityModel(policy.credibility)
    if appeal.kind == "misuse":
        restriction = session.get(ReportingRestriction, appeal.restriction_id)
        assert restriction is not None
        restriction.status = "lifted"
        enqueue(
            session,
            event_id=f"misuse-{restriction.id}.lifted",
            event_type="reporter.restriction_lifted",
            data={"restriction_id": restriction.id, "reporter_id": restriction.reporter_id},
            now=now,
        )
        return {"restriction_lifted": restriction.id}
    if appeal.kind in ("against_action", "remediation"):
        action = session.get(Action, appeal.action_id)
        assert action is not None
        why = (
            "reversed on appeal"
            if appeal.kind == "against_action"
            else "reversed: it rested on a confirmed campaign"
        )
        expunged = reverse(session, action, actor=moderator, why=why, now=now)
        plain = (
            "we agree with your appeal"
            if appeal.kind == "against_action"
            else "it rested on reports from a coordinated campaign"
        )
        reversal_notice(session, policy, action, why=plain, strikes_removed=expunged > 0, now=now)
        changes = _flip(
            session, appeal.decision_id, old="upheld", new="rejected", model=model, now=now
        )
        return {
            "action_reversed": action.action_key,
            "strikes_expunged": expunged,
            "credibility": changes,
        }
    # against_no_action: the reporters were right; the violation is decided and enforced.
    original = session.get(Decision, appeal.decision_id)
    assert original is not None
    case = session.get(Case, original.case_id)
    assert case is not None
    decision = Decision(
        case_id=case.id,
        moderator=moderator,
        outcome="violation",
        policy_clause=policy.reason(case.reason or "other").clause,
        reason=f"appeal {appeal.id} overturned decision {original.id}",
        decided_at=now,
    )
    session.add(decision)
    session.flush()
    original.superseded_by = decision.id
    changes = _flip(session, original.id, old="rejected", new="upheld", model=model, now=now)
    action = enforce_violation(session, case, decision, policy=policy, actor=moderator, now=now)
    return {"new_decision": decision.id, "action": action.action_key, "credibility": changes}


def _flip(
    session: Session,
    decision_id: int | None,
    *,
    old: str,
    new: str,
    model: CredibilityModel,
    now: datetime,
) -> list[dict[str, Any]]:
    """Turn a decision's ``old`` verdicts into ``new`` ones, in the records too."""
    verdicts = session.scalars(
        sa.select(ReportVerdict).where(
            ReportVerdict.decision_id == decision_id, ReportVerdict.verdict == old
        )
    ).all()
    changes: list[tuple[str, str, str, float]] = []
    for verdict in verdicts:
        verdict.verdict = new
        changes.append((verdict.reporter_id, verdict.reason, old, -1.0))
        changes.append((verdict.reporter_id, verdict.reason, new, 1.0))
    return apply_verdicts(session, changes, at=now, model=model)
