"""A short, labelled history for the demo, so every dashboard page shows something real.

A fresh install has no decisions: Appeals, Misuse, Transparency and most of the audit log are
empty. The demo plays what a first week of moderation would leave behind, decided from the
simulated platform's ground truth by the demo moderators, through the same functions the CLI,
the API and the dashboard call (nothing is written around them):

- ``demo-moderator`` decides the top of the queue (violators as violations) and the highest
  cases the truth calls innocent (as no violation);
- one brigaded account's case is decided as a violation, the mistake a brigade is after;
- ``demo-reviewer`` confirms the campaign behind it: its reports become manifestly unfounded,
  its members are warned for misuse once they cross the policy's threshold, and the reversal of
  the mistaken action is proposed, which ``demo-reviewer`` overturns; further campaigns whose
  targets are all innocent are confirmed until a member has earned a misuse warning;
- a violator appeals its action and ``demo-reviewer`` upholds it.

Each step is recorded in :class:`History` and printed, labelled as played by the demo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.evaluate.harness import Truth
from reportguard.moderation.appeals import decide_appeal, file_appeal
from reportguard.moderation.review import claim, decide
from reportguard.pipeline.verdicts import record_campaign_verdict
from reportguard.policy import Policy
from reportguard.store.models import Campaign, CampaignTarget, Case, ReportingRestriction

MODERATOR, REVIEWER = "demo-moderator", "demo-reviewer"
DECIDED = 8  # cases from the top of the queue
INNOCENT = 4  # and the highest that the truth calls innocent
MORE_CAMPAIGNS = 3  # confirmed at most, after the first, to show a misuse warning


@dataclass
class History:
    """What the demo's moderators did, for the summary."""

    decided: dict[str, int] = field(default_factory=dict)  # outcome -> cases
    actions: int = 0
    confirmed: list[int] = field(default_factory=list)  # campaign numbers
    unfounded: int = 0
    remediated: int = 0
    misuse_measures: int = 0
    appeals: dict[str, int] = field(default_factory=dict)  # outcome -> appeals


def play_history(
    engine: Engine, truth: Truth, *, policy: Policy, now: datetime | None = None
) -> History:
    """Decide, confirm and appeal as described above; returns what was done."""
    now = now or datetime.now(UTC)
    history = History()
    innocent = sorted(truth.brigaded - truth.violating)
    open_cases = (
        sa.select(Case)
        .where(Case.status == "open", Case.queue == "violation", Case.shielded.is_(False))
        .order_by(Case.priority.desc(), Case.id)
    )
    with Session(engine) as session:
        top = list(session.scalars(open_cases.limit(DECIDED)).all())
        cleared = open_cases.where(
            Case.target_id.not_in(sorted(truth.violating)), Case.id.not_in([c.id for c in top])
        )
        top += session.scalars(cleared.limit(INNOCENT)).all()
        # Active campaigns, best first, with how many of their targets the truth calls innocent.
        campaigns = session.execute(
            sa.select(
                Campaign.id,
                sa.func.count(),
                sa.func.sum(sa.case((CampaignTarget.target_id.in_(innocent), 1), else_=0)),
            )
            .join(CampaignTarget, CampaignTarget.campaign_id == Campaign.id)
            .where(Campaign.status == "active")
            .group_by(Campaign.id, Campaign.score)
            .order_by(Campaign.score.desc(), Campaign.id)
        ).all()
        brigades = [number for number, targets, wronged in campaigns if targets == wronged]
        mistaken = None
        if brigades:
            mistaken = session.scalar(
                sa.select(Case.id)
                .join(CampaignTarget, CampaignTarget.target_id == Case.target_id)
                .where(CampaignTarget.campaign_id == brigades[0], Case.status == "open")
                .order_by(Case.id)
                .limit(1)
            )
    violations = []
    for case in top:
        outcome = "violation" if case.target_id in truth.violating else "no_violation"
        done = _decide(engine, case.id, outcome, policy=policy, now=now, history=history)
        if done is not None:
            violations.append(done)
    if mistaken is not None:
        _decide(engine, mistaken, "violation", policy=policy, now=now, history=history)
    for number, campaign_id in enumerate(brigades[: 1 + MORE_CAMPAIGNS]):
        if number and _restrictions(engine):
            break
        verdict = record_campaign_verdict(
            engine,
            campaign_id,
            REVIEWER,
            status="confirmed",
            policy=policy,
            note="demo: confirmed from the simulated platform's ground truth",
            now=now,
        )
        history.confirmed.append(campaign_id)
        history.unfounded += verdict["reports_marked_unfounded"]
        for appeal_id in verdict["remediation_appeals"]:
            result = decide_appeal(
                engine, appeal_id, REVIEWER, outcome="overturned", policy=policy, now=now
            )
            history.remediated += result.get("action_reversed") is not None
            history.appeals["overturned"] = history.appeals.get("overturned", 0) + 1
    if violations:
        appeal = file_appeal(
            engine,
            appellant=violations[0][0],
            action_key=violations[0][1],
            statement="demo: the account owner disagrees with the decision",
            policy=policy,
            now=now,
        )
        decide_appeal(engine, appeal.id, REVIEWER, outcome="upheld", policy=policy, now=now)
        history.appeals["upheld"] = history.appeals.get("upheld", 0) + 1
    history.misuse_measures = _restrictions(engine)
    return history


def _restrictions(engine: Engine) -> int:
    with Session(engine) as session:
        query = sa.select(sa.func.count()).select_from(ReportingRestriction)
        return int(session.scalar(query) or 0)


def _decide(
    engine: Engine,
    case_id: int,
    outcome: str,
    *,
    policy: Policy,
    now: datetime,
    history: History,
) -> tuple[str, str] | None:
    """Claim and decide one case; ``(target, action key)`` when it led to an action."""
    claim(engine, case_id, MODERATOR, policy=policy, now=now)
    result = decide(engine, case_id, MODERATOR, outcome=outcome, policy=policy, now=now)
    history.decided[outcome] = history.decided.get(outcome, 0) + 1
    if result.action is None:
        return None
    history.actions += 1
    return result.target_id, result.action["action_id"]
