"""Notices at the moments they are due, recorded and put in the webhook outbox in the caller's
transaction (so a notice exists exactly when the fact it reports does).

One notice per fact and recipient (``notice_key``): re-running a step never notifies twice. What
a reporter is told about the account they reported is the outcome only: never the action's kind or
length, the account's strikes, or the statement of reasons, which are the other party's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.notices.templates import KINDS, notice_templates
from reportguard.outbox.webhooks import outbox_row
from reportguard.policy import Policy
from reportguard.store.models import (
    Account,
    Action,
    Campaign,
    Case,
    Decision,
    IngestRun,
    Notice,
    Report,
    ReportingRestriction,
    WebhookDelivery,
)
from reportguard.store.sql import chunked


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def reason_label(reason: str | None) -> str:
    return (reason or "other").replace("_", " ")


def _rows(
    policy: Policy,
    *,
    kind: str,
    recipient_id: str,
    language: str | None,
    subject_type: str,
    subject_id: str | int,
    context: dict[str, Any],
    now: datetime,
    case_id: int | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The notice row and its outbox row."""
    key = notice_key(kind, subject_type, subject_id, recipient_id)
    templates = notice_templates(policy.notices.templates_dir, policy.notices.default_language)
    rendered = templates.render(kind, context, language)
    event_id = "notice-" + hashlib.sha256(key.encode()).hexdigest()[:40]
    notice = {
        "notice_key": key,
        "kind": kind,
        "recipient_id": recipient_id,
        "recipient_role": KINDS[kind],
        "language": rendered.language,
        "case_id": case_id,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "title": rendered.title,
        "body": rendered.body,
        "data": context,  # built from strings, numbers and stored JSON: already JSON
        "event_id": event_id,
        "created_at": now,
    }
    event = outbox_row(
        event_id,
        f"notice.{kind}",
        {
            "notice_key": key,
            "kind": kind,
            "recipient_id": recipient_id,
            "recipient_role": KINDS[kind],
            "language": rendered.language,
            "title": rendered.title,
            "body": rendered.body,
        },
        now,
    )
    return notice, event


def notice_key(kind: str, subject_type: str, subject_id: str | int, recipient_id: str) -> str:
    return f"{kind}:{subject_type}:{subject_id}:{recipient_id}"


@dataclass(frozen=True)
class Outgoing:
    """One notice to write: to whom, about what, with which template variables."""

    recipient_id: str
    subject_type: str
    subject_id: str | int
    context: dict[str, Any]
    case_id: int | None = None


def send_many(
    session: Session, policy: Policy, kind: str, items: list[Outgoing], *, now: datetime
) -> int:
    """Render, record and enqueue notices of one kind; returns how many were new.

    A fixed number of statements whatever the count (a decision with hundreds of reporters, a
    request's receipts): which were sent already and the recipients' languages are each one
    query per 5,000, and the inserts skip a notice someone else wrote meanwhile.
    """
    if not policy.notices.enabled or not items:
        return 0
    keys = [notice_key(kind, i.subject_type, i.subject_id, i.recipient_id) for i in items]
    sent: set[str] = set()
    for chunk in chunked(keys):
        sent.update(
            session.scalars(sa.select(Notice.notice_key).where(Notice.notice_key.in_(chunk)))
        )
    fresh = [(key, item) for key, item in zip(keys, items, strict=True) if key not in sent]
    recipients = sorted({item.recipient_id for _, item in fresh})
    languages: dict[str, str | None] = {}
    for chunk in chunked(recipients):
        languages.update(
            session.execute(
                sa.select(Account.account_id, Account.language).where(Account.account_id.in_(chunk))
            ).all()
        )
    notices, events, seen = [], [], set()
    for key, item in fresh:
        if key in seen:  # the same fact twice in one call
            continue
        seen.add(key)
        notice, event = _rows(
            policy,
            kind=kind,
            recipient_id=item.recipient_id,
            language=languages.get(item.recipient_id),
            subject_type=item.subject_type,
            subject_id=item.subject_id,
            context=item.context,
            now=now,
            case_id=item.case_id,
        )
        notices.append(notice)
        events.append(event)
    if notices:
        insert = _insert_ignoring_duplicates(session)
        session.execute(insert(Notice.__table__).on_conflict_do_nothing(), notices)
        session.execute(insert(WebhookDelivery.__table__).on_conflict_do_nothing(), events)
    return len(notices)


def notify(
    session: Session,
    policy: Policy,
    *,
    kind: str,
    recipient_id: str,
    subject_type: str,
    subject_id: str | int,
    context: dict[str, Any],
    now: datetime,
    case_id: int | None = None,
) -> bool:
    """One notice; False if notices are off or it was sent already."""
    item = Outgoing(recipient_id, subject_type, subject_id, context, case_id)
    return send_many(session, policy, kind, [item], now=now) > 0


def acknowledge_pending(
    engine: Engine, policy: Policy, *, after_id: int = 0, chunk: int = 5000
) -> tuple[int, int]:
    """Receipts for reports received over the HTTP API that have none yet; returns how many were
    written and the highest report row id looked at (the next call's ``after_id``).

    A separate step, not the request's transaction: on a 2-core server shared with the database,
    two more statements in every single-report request cost more than one bulk write a second
    (the live-detection worker runs this after each pass; ``reportguard webhooks deliver`` runs
    it before delivering). Reports imported from files are not acknowledged.
    """
    if not (policy.notices.enabled and policy.notices.acknowledge_reports):
        return 0, after_id
    key = sa.literal("report_received:report:") + Report.report_id + ":" + Report.reporter_id
    written = 0
    while True:
        with Session(engine) as session, session.begin():
            rows = session.execute(
                sa.select(
                    Report.id,
                    Report.report_id,
                    Report.reporter_id,
                    Report.reason,
                    Report.created_at,
                )
                .join(IngestRun, IngestRun.id == Report.ingest_run_id)
                .where(
                    Report.id > after_id,
                    IngestRun.source.like("api:%"),
                    ~sa.exists().where(Notice.notice_key == key),
                )
                .order_by(Report.id)
                .limit(chunk)
            ).all()
            if not rows:
                return written, after_id
            written += acknowledge_reports(
                session, policy, [(r[1], r[2], r[3], r[4]) for r in rows], now=datetime.now(UTC)
            )
            after_id = rows[-1][0]


def acknowledge_reports(
    session: Session,
    policy: Policy,
    reports: list[tuple[str, str, str, datetime]],
    *,
    now: datetime,
) -> int:
    """A receipt for each (report_id, reporter_id, reason, created_at)."""
    if not policy.notices.acknowledge_reports:
        return 0
    items = [
        Outgoing(
            reporter_id,
            "report",
            report_id,
            {
                "report_id": report_id,
                "reason_label": reason_label(reason),
                "received_at": _minute(created_at),
            },
        )
        for report_id, reporter_id, reason, created_at in reports
    ]
    return send_many(session, policy, "report_received", items, now=now)


def _insert_ignoring_duplicates(session: Session) -> Any:
    """The dialect's INSERT, which offers ON CONFLICT DO NOTHING (SQLite and PostgreSQL)."""
    from sqlalchemy.dialects import postgresql, sqlite

    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def decision_notices(
    session: Session,
    policy: Policy,
    *,
    case: Case,
    decision: Decision,
    reports: Iterable[tuple[str, str, str]],
    acted: bool,
    now: datetime,
) -> int:
    """Tell each reporter of a decided case the outcome: (report_id, reporter_id, reason).

    One notice per reporter, about their first report in the case. Safety tools (block, mute,
    restrict) are suggested for disputes and for low-severity reports that were not upheld.
    """
    first: dict[str, tuple[str, str]] = {}
    for report_id, reporter_id, reason in reports:
        first.setdefault(reporter_id, (report_id, reason))
    outcome = (
        "action"
        if decision.outcome == "violation" and acted
        else "dispute"
        if decision.outcome == "dispute"
        else "no_action"
    )
    appeal_until = _day(now + timedelta(days=policy.appeals.window_days))
    items = []
    for reporter_id, (report_id, reason) in sorted(first.items()):
        low = policy.reason(reason).severity <= policy.notices.safety_tools_max_severity
        context = {
            "outcome": outcome,
            "report_id": report_id,
            "reason_label": reason_label(reason),
            "clause": decision.policy_clause or "",
            "appeal_until": appeal_until,
            "safety_tools": outcome == "dispute" or (outcome == "no_action" and low),
        }
        items.append(Outgoing(reporter_id, "decision", decision.id, context, case.id))
    return send_many(session, policy, "report_outcome", items, now=now)


def _facts(statement: dict[str, Any]) -> str:
    facts = statement.get("facts_and_circumstances") or {}
    parts = []
    if facts.get("reports"):
        parts.append(
            f"{facts['reports']} report(s) about {reason_label(facts.get('reason'))} from "
            f"{facts.get('independent_voices', facts['reports'])} independent reporter(s)"
        )
    if facts.get("moderator_note"):
        parts.append(f"the reviewer's finding: {facts['moderator_note']}")
    return "; ".join(parts) or "the content and conduct reviewed"


def action_notice(
    session: Session, policy: Policy, action: Action, *, now: datetime, case_id: int | None
) -> bool:
    """The statement of reasons (DSA Article 17) to the account an action restricts."""
    statement = action.statement or {}
    context = {
        "statement": statement,
        "facts": _facts(statement),
        "until": _minute(action.ends_at) if action.ends_at else "",
    }
    return _about_action(session, policy, "action_taken", action, context, now, case_id)


KIND_LABELS = {
    "warn": "the warning",
    "restrict": "the feature restriction",
    "suspend": "the suspension",
    "ban": "the closure",
}


def reversal_notice(
    session: Session,
    policy: Policy,
    action: Action,
    *,
    why: str,
    strikes_removed: bool,
    now: datetime,
    case_id: int | None = None,
) -> bool:
    context = {
        "kind_label": KIND_LABELS.get(action.kind, "the decision"),
        "reversed_at": _minute(now),
        "why": why,
        "strikes_removed": strikes_removed,
    }
    return _about_action(session, policy, "action_reversed", action, context, now, case_id)


def _about_action(  # noqa: PLR0917 - the parts of one notice, passed on
    session: Session,
    policy: Policy,
    kind: str,
    action: Action,
    context: dict[str, Any],
    now: datetime,
    case_id: int | None,
) -> bool:
    """A notice to the account an action concerns, keyed once per action and kind."""
    return notify(
        session,
        policy,
        kind=kind,
        recipient_id=action.account_id,
        subject_type="action",
        subject_id=action.action_key,
        case_id=case_id,
        context={"action_id": action.action_key, **context},
        now=now,
    )


def protection_notices(
    session: Session, policy: Policy, campaign: Campaign, targets: Iterable[str], *, now: datetime
) -> int:
    """Tell each target of a newly detected campaign that its reports get a careful review."""
    first = campaign.first_report_at
    context = {
        "reports": campaign.n_reports,
        "reporters": campaign.n_members,
        "since": _day(first) if first else "",
    }
    items = [Outgoing(target, "campaign", campaign.id, context) for target in targets]
    return send_many(session, policy, "campaign_protection", items, now=now)


def misuse_notice(
    session: Session, policy: Policy, restriction: ReportingRestriction, *, now: datetime
) -> bool:
    grounds = restriction.grounds or {}
    return notify(
        session,
        policy,
        kind="misuse_measure",
        recipient_id=restriction.reporter_id,
        subject_type="restriction",
        subject_id=restriction.id,
        context={
            "measure": restriction.kind,
            "unfounded": grounds.get("unfounded_reports", 0),
            "decided": grounds.get("decided_reports", 0),
            "window_days": grounds.get("window_days", policy.misuse.window_days),
            "ends_at": _minute(restriction.ends_at) if restriction.ends_at else "",
            "appeal_until": _day(now + timedelta(days=policy.appeals.window_days)),
        },
        now=now,
    )
