"""Automatic enforcement, only where the policy allows it and never on a shielded case.

A case is actioned without a moderator when automation is enabled, its reason is marked
``automatable``, its *proven* priority (what reporters' records say, never the number of voices
alone) and its number of independent voices reach the policy's floors, and no report of it
belongs to an active or confirmed campaign. The decision is recorded as automated
(the statement of reasons says so) and can be appealed like any other.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.policy import Policy
from reportguard.store.models import Case

AUTOMATION = "reportguard-automation"


def _proven(case: Case) -> float:
    """Priority from records only; a case scored before this existed is never automated."""
    value = (case.explanation or {}).get("proven_priority")
    return float(value) if value is not None else float("-inf")


def eligible(case: Case, policy: Policy) -> bool:
    rules = policy.automation
    return (
        rules.enabled
        and not case.shielded
        and case.reason is not None
        and policy.reason(case.reason).automatable
        and _proven(case) >= rules.min_priority
        and case.n_voices >= rules.min_voices
    )


def auto_enforce(
    engine: Engine, *, policy: Policy, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Decide every eligible open case as a violation; returns what was done."""
    from reportguard.moderation.review import decide

    if not policy.automation.enabled:
        return []
    now = now or datetime.now(UTC)
    with Session(engine) as session:
        cases = session.scalars(
            sa.select(Case).where(
                Case.status == "open",
                Case.shielded.is_(False),
                Case.priority >= policy.automation.min_priority,
                Case.claimed_by.is_(None),
            )
        ).all()
    done = []
    for case in cases:
        if not eligible(case, policy):
            continue
        outcome = decide(
            engine,
            case.id,
            AUTOMATION,
            outcome="violation",
            policy=policy,
            now=now,
            automated=True,
            reason="automatic: the policy allows automatic action for this reason",
        )
        done.append({"case_id": case.id, "target_id": case.target_id, "action": outcome.action})
    return done
