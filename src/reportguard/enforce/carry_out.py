"""Carry out an action plan: the action and its strike are stored, the platform is told.

Everything happens in the caller's transaction: the action row, the strike, the outbox event
for the webhook and the audit entry land together or not at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from reportguard.enforce.plan import ActionPlan
from reportguard.outbox.webhooks import enqueue
from reportguard.store import audit
from reportguard.store.models import Action, Strike


def active_points(session: Session, account_id: str, now: datetime) -> int:
    """Strike points that still count: not expired, not expunged."""
    total = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Strike.points), 0)).where(
            Strike.account_id == account_id,
            Strike.expunged_at.is_(None),
            sa.or_(Strike.expires_at.is_(None), Strike.expires_at > now),
        )
    )
    return int(total or 0)


def action_view(action: Action) -> dict[str, Any]:
    """What the platform receives about an action."""
    return {
        "action_id": action.action_key,
        "account_id": action.account_id,
        "kind": action.kind,
        "feature": action.feature,
        "starts_at": action.starts_at.isoformat(),
        "ends_at": action.ends_at.isoformat() if action.ends_at else None,
        "automated": action.automated,
        "status": action.status,
        "statement_of_reasons": action.statement,
    }


def carry_out(
    session: Session, plan: ActionPlan, *, decision_id: int | None, actor: str, now: datetime
) -> Action:
    """Store the action and strike of ``plan`` and queue its webhook (idempotent per decision)."""
    key = (
        f"act-{decision_id}"
        if decision_id is not None
        else f"act-{plan.account_id}-{int(now.timestamp())}"
    )
    existing = session.scalar(sa.select(Action).where(Action.action_key == key))
    if existing is not None:
        return existing
    action = Action(
        action_key=key,
        decision_id=decision_id,
        account_id=plan.account_id,
        kind=plan.kind,
        feature=plan.feature,
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        automated=plan.automated,
        statement=plan.statement,
        status="active",
        created_at=now,
    )
    session.add(action)
    session.flush()
    if plan.strike_points:
        session.add(
            Strike(
                account_id=plan.account_id,
                action_id=action.id,
                category=plan.category,
                points=plan.strike_points,
                issued_at=now,
                expires_at=plan.strike_expires_at,
            )
        )
    enqueue(
        session,
        event_id=f"{key}.created",
        event_type="action.created",
        data=action_view(action),
        now=now,
    )
    audit.record(
        session,
        actor=actor,
        event="action",
        subject_type="account",
        subject_id=plan.account_id,
        payload={"action_id": key, "decision_id": decision_id, **plan.as_dict()},
        at=now,
    )
    return action


def reverse(session: Session, action: Action, *, actor: str, why: str, now: datetime) -> int:
    """Reverse an action: status, strikes expunged, the platform told; returns strikes expunged."""
    action.status = "reversed"
    action.reversed_at = now
    strikes = session.scalars(
        sa.select(Strike).where(Strike.action_id == action.id, Strike.expunged_at.is_(None))
    ).all()
    for strike in strikes:
        strike.expunged_at = now
    expunged = len(strikes)
    enqueue(
        session,
        event_id=f"{action.action_key}.reversed",
        event_type="action.reversed",
        data={
            **action_view(action),
            "reversed_at": now.isoformat(),
            "why": why,
            "notify_account": True,
        },
        now=now,
    )
    audit.record(
        session,
        actor=actor,
        event="action_reversed",
        subject_type="account",
        subject_id=action.account_id,
        payload={"action_id": action.action_key, "why": why, "strikes_expunged": expunged},
        at=now,
    )
    return expunged
