"""Plan the action a violation leads to, as data: nothing here touches the database.

The ladder of the policy maps an account's active strike points (after this violation) to an
action; a zero-tolerance reason bans at once. The plan carries the statement of reasons a
platform must give the affected account under the EU Digital Services Act, Article 17(3): the
restriction and its duration, the facts relied on, whether it came from notices (reports) or the
platform's own initiative, whether automated means were used, the ground (the clause of the terms),
and the ways to seek redress.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reportguard.policy import Policy

KINDS = ("warn", "restrict", "suspend", "ban")


@dataclass(frozen=True)
class ActionPlan:
    """What should happen to an account, why, and until when."""

    account_id: str
    kind: str
    feature: str | None
    starts_at: datetime
    ends_at: datetime | None
    category: str
    clause: str
    strike_points: int
    strike_expires_at: datetime | None
    points_after: int
    automated: bool
    statement: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("starts_at", "ends_at", "strike_expires_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def plan_violation(
    *,
    account_id: str,
    category: str,
    clause: str | None,
    active_points: int,
    policy: Policy,
    now: datetime,
    automated: bool = False,
    facts: dict[str, Any] | None = None,
    source: str = "notice",
) -> ActionPlan:
    """The action for a violation of ``category`` by an account with ``active_points``.

    >>> from datetime import UTC
    >>> from reportguard.policy import load_policy
    >>> p = plan_violation(account_id="u1", category="harassment", clause=None, active_points=3,
    ...                    policy=load_policy(), now=datetime(2026, 1, 1, tzinfo=UTC))
    >>> (p.kind, p.ends_at.date().isoformat(), p.points_after)
    ('suspend', '2026-01-04', 4)
    """
    reason = policy.reason(category)
    clause = clause or reason.clause
    points_after = active_points + reason.points
    if reason.zero_tolerance:
        kind, feature, days = "ban", None, None
    else:
        rung = policy.rung(points_after)
        kind, feature, days = (
            (rung.action, rung.feature, rung.days) if rung else ("warn", None, None)
        )
    ends_at = now + timedelta(days=days) if days else None
    expires = now + timedelta(days=policy.strikes.expiry_days) if reason.points else None
    plan = ActionPlan(
        account_id=account_id,
        kind=kind,
        feature=feature,
        starts_at=now,
        ends_at=ends_at,
        category=category,
        clause=clause,
        strike_points=reason.points,
        strike_expires_at=expires,
        points_after=points_after,
        automated=automated,
    )
    statement = statement_of_reasons(plan, policy=policy, facts=facts or {}, source=source)
    return ActionPlan(**{**plan.__dict__, "statement": statement})


def statement_of_reasons(
    plan: ActionPlan, *, policy: Policy, facts: dict[str, Any], source: str
) -> dict[str, Any]:
    """The fields of a DSA Article 17(3) statement of reasons, as the platform will render it."""
    restriction = {
        "warn": "warning, no restriction of the service",
        "restrict": f"feature restricted: {plan.feature}",
        "suspend": "temporary suspension of the account",
        "ban": "termination of the account",
    }[plan.kind]
    appeal_until = plan.starts_at + timedelta(days=policy.appeals.window_days)
    return {
        "decision": plan.kind,
        "restriction": restriction,
        "feature": plan.feature,
        "duration_days": (plan.ends_at - plan.starts_at).days if plan.ends_at else None,
        "start": plan.starts_at.isoformat(),
        "end": plan.ends_at.isoformat() if plan.ends_at else None,
        "territorial_scope": "all territories where the service is offered",
        "facts_and_circumstances": facts,
        "source": "notices from users (reports)" if source == "notice" else "own initiative",
        "automated_detection": True,  # campaign detection and triage always take part
        "automated_decision": plan.automated,
        "ground": "incompatible with the terms of service",
        "clause": plan.clause,
        "strike": {
            "points": plan.strike_points,
            "expires": plan.strike_expires_at.isoformat() if plan.strike_expires_at else None,
            "active_points_after": plan.points_after,
        },
        "redress": {
            "internal_complaint": f"appeal through the platform until {appeal_until.date()}",
            "out_of_court_dispute_settlement": "a certified body under DSA Article 21",
            "judicial_redress": "the courts of the member state concerned",
        },
    }
