"""A decided violation becomes an action: planned from the target's record, then carried out.

Shared by a moderator's decision, an automated one and an appeal that overturns a no-action
decision, so each of them enforces through the same steps and sends the same notice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from reportguard.enforce.carry_out import active_points, carry_out
from reportguard.enforce.plan import plan_violation
from reportguard.notices.compose import action_notice
from reportguard.policy import Policy
from reportguard.store.models import Action, Case, Decision


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
