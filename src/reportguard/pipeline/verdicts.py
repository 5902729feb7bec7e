"""A campaign verdict and what it sets moving, whichever edge records it.

Confirming a campaign lowers its members' credibility, which moves every open case they
reported, not only the campaign's own targets; dismissing one lifts the shield and the discount
from its targets' cases. Both re-score exactly those cases, so the command line, the API and the
dashboard leave the queue in the same state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.moderation.campaigns import judge_campaign
from reportguard.policy import Policy
from reportguard.store.models import CampaignMember, CampaignTarget, Report
from reportguard.triage.cases import refresh_cases


def cases_moved_by(engine: Engine, campaign_id: int, *, status: str) -> list[str]:
    """The targets whose open cases a verdict on the campaign can move."""
    targets = sa.select(CampaignTarget.target_id).where(CampaignTarget.campaign_id == campaign_id)
    query = targets
    if status == "confirmed":
        members = sa.select(CampaignMember.reporter_id).where(
            CampaignMember.campaign_id == campaign_id
        )
        reported = sa.select(Report.target_id).where(Report.reporter_id.in_(members)).distinct()
        query = sa.union(targets, reported)  # type: ignore[assignment]
    with Session(engine) as session:
        return sorted(session.scalars(query))


def record_campaign_verdict(
    engine: Engine,
    campaign_id: int,
    moderator: str,
    *,
    status: str,
    policy: Policy,
    note: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Confirm or dismiss a campaign, then re-score the open cases the verdict moves."""
    result = judge_campaign(
        engine, campaign_id, moderator, status=status, policy=policy, note=note, now=now
    )
    targets = cases_moved_by(engine, campaign_id, status=status)
    refresh_cases(engine, policy=policy, now=now, target_ids=targets)
    return result
