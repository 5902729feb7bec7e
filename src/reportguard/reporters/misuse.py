"""Misuse of the reporting function: a ledger of manifestly unfounded reports per reporter.

The DSA Article 23 pattern: a reporter who frequently files manifestly unfounded reports is first
warned, then has the processing of their reports suspended for a set time. Both thresholds need a
count of unfounded reports in a window *and* a share of the reporter's decided reports, so a
prolific, mostly right reporter is not suspended for a handful of mistakes. Confirmed campaign
members arrive here the same way: confirming a campaign marks its reports unfounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from reportguard.notices.compose import misuse_notice
from reportguard.outbox.webhooks import enqueue
from reportguard.policy import Policy
from reportguard.store import audit
from reportguard.store.models import ReportingRestriction, ReportVerdict
from reportguard.store.sql import chunked


@dataclass(frozen=True)
class Ledger:
    reporter_id: str
    unfounded: int
    decided: int

    @property
    def share(self) -> float:
        return self.unfounded / self.decided if self.decided else 0.0


def ledgers(
    session: Session, reporter_ids: list[str], *, policy: Policy, now: datetime
) -> list[Ledger]:
    """Unfounded and decided reports per reporter in the policy's window."""
    since = now - timedelta(days=policy.misuse.window_days)
    out: list[Ledger] = []
    for chunk in chunked(reporter_ids):
        rows = session.execute(
            sa.select(
                ReportVerdict.reporter_id,
                sa.func.sum(sa.case((ReportVerdict.verdict == "unfounded", 1), else_=0)),
                sa.func.count(),
            )
            .where(ReportVerdict.reporter_id.in_(chunk), ReportVerdict.decided_at >= since)
            .group_by(ReportVerdict.reporter_id)
        ).all()
        out.extend(Ledger(r[0], int(r[1] or 0), int(r[2])) for r in rows)
    return out


def active_restriction(
    session: Session, reporter_id: str, kind: str, *, now: datetime, since: datetime | None = None
) -> ReportingRestriction | None:
    query = sa.select(ReportingRestriction).where(
        ReportingRestriction.reporter_id == reporter_id,
        ReportingRestriction.kind == kind,
        ReportingRestriction.status == "active",
    )
    if kind == "suspension":
        query = query.where(
            sa.or_(ReportingRestriction.ends_at.is_(None), ReportingRestriction.ends_at > now)
        )
    if since is not None:
        query = query.where(ReportingRestriction.starts_at >= since)
    return session.scalars(query.limit(1)).first()


def apply_misuse_rules(
    session: Session, reporter_ids: list[str], *, policy: Policy, actor: str, now: datetime
) -> list[dict[str, Any]]:
    """Warn or suspend the reporters whose ledger crosses the policy's thresholds."""
    rules = policy.misuse
    since = now - timedelta(days=rules.window_days)
    measures: list[dict[str, Any]] = []
    for ledger in ledgers(session, sorted(set(reporter_ids)), policy=policy, now=now):
        if ledger.share < rules.min_share or ledger.unfounded < rules.warn_after:
            continue
        if ledger.unfounded >= rules.suspend_after:
            if active_restriction(session, ledger.reporter_id, "suspension", now=now):
                continue
            kind, ends = "suspension", now + timedelta(days=rules.suspend_days)
        else:
            if active_restriction(session, ledger.reporter_id, "warning", now=now, since=since):
                continue
            kind, ends = "warning", None
        grounds = {
            "unfounded_reports": ledger.unfounded,
            "decided_reports": ledger.decided,
            "share": round(ledger.share, 3),
            "window_days": rules.window_days,
            "threshold": rules.suspend_after if kind == "suspension" else rules.warn_after,
            "decided_by": actor,
        }
        restriction = ReportingRestriction(
            reporter_id=ledger.reporter_id,
            kind=kind,
            starts_at=now,
            ends_at=ends,
            grounds=grounds,
            status="active",
            created_at=now,
        )
        session.add(restriction)
        session.flush()
        data = {
            "restriction_id": restriction.id,
            "reporter_id": ledger.reporter_id,
            "kind": kind,
            "ends_at": ends.isoformat() if ends else None,
            "grounds": grounds,
        }
        misuse_notice(session, policy, restriction, now=now)
        enqueue(
            session,
            event_id=f"misuse-{restriction.id}",
            event_type=f"reporter.{kind}",
            data=data,
            now=now,
        )
        audit.record(
            session,
            actor=actor,
            event=f"misuse_{kind}",
            subject_type="reporter",
            subject_id=ledger.reporter_id,
            payload=data,
            at=now,
        )
        measures.append(data)
    return measures


def suspended_reporters(session: Session, *, now: datetime) -> set[str]:
    """Reporters whose report processing is suspended right now."""
    return set(
        session.scalars(
            sa.select(ReportingRestriction.reporter_id).where(
                ReportingRestriction.kind == "suspension",
                ReportingRestriction.status == "active",
                sa.or_(ReportingRestriction.ends_at.is_(None), ReportingRestriction.ends_at > now),
            )
        )
    )
