"""Cases in the database: new reports join their target's open case, open cases are re-scored.

One open case per target; the reports inside it keep their content ids, so a moderator sees which
posts were reported. A report that arrives after its target's case was decided opens a new case.
Scoring reads every open case's reports, the reporters' records and the campaigns their reports
belong to, and stores each case's priority with its explanation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.policy import Policy
from reportguard.reporters.credibility import CredibilityModel
from reportguard.reporters.history import imported_case_counts
from reportguard.reporters.misuse import suspended_reporters
from reportguard.reporters.track_record import load_records, stored_base_rate
from reportguard.store.models import (
    Account,
    Campaign,
    CampaignReport,
    CampaignTarget,
    Case,
    CaseReport,
    Decision,
    Report,
    ReportScore,
)
from reportguard.store.sql import IN_LIST_SIZE, chunked, epoch_expr
from reportguard.triage.calibration import IDENTITY, Calibration, fit_calibration
from reportguard.triage.disputes import DAY, dispute_sentence, mutual_partners, route_disputes
from reportguard.triage.priority import score_cases, stray_rate


@dataclass
class TriageSummary:
    attached: int
    opened: int
    scored: int
    shielded: int


def attach_reports(
    session: Session, *, now: datetime, report_ids: list[str] | None = None
) -> tuple[int, int]:
    """Give every report without a case one: its target's open case, opened if need be.

    Reports with an imported outcome were resolved by the platform before ReportGuard: they
    inform credibility and detection, never the queue.

    ``report_ids`` limits the search to reports just stored (a live feed), which spares a scan
    of the whole reports table on every pass.
    """
    if report_ids is not None and len(report_ids) > IN_LIST_SIZE:
        totals = [
            attach_reports(session, now=now, report_ids=list(chunk))
            for chunk in chunked(report_ids)
        ]
        return sum(t[0] for t in totals), sum(t[1] for t in totals)
    r, cr, c = Report.__table__.c, CaseReport.__table__.c, Case.__table__.c
    # A report the platform already resolved (imported history) is a record, not a case.
    unassigned = sa.and_(r.outcome.is_(None), ~sa.exists().where(cr.report_pk == r.id))
    if report_ids is not None:
        unassigned = sa.and_(r.report_id.in_(report_ids), unassigned)
    has_open = sa.exists().where((c.target_id == r.target_id) & (c.status == "open"))
    targets = session.scalars(sa.select(r.target_id).where(unassigned, ~has_open).distinct()).all()
    if targets:
        session.execute(
            sa.insert(Case),
            [
                {
                    "target_id": t,
                    "status": "open",
                    "priority": 0.0,
                    "explanation": {},
                    "shielded": False,
                    "opened_at": now,
                    "updated_at": now,
                    "n_reports": 0,
                    "n_voices": 0,
                }
                for t in targets
            ],
        )
    if report_ids is None:
        pairs = (
            sa.select(c.id, r.id)
            .select_from(Report.__table__.join(Case.__table__, c.target_id == r.target_id))
            .where(c.status == "open", unassigned)
        )
    else:
        # Driven by the new reports (the report_id index), not by the open cases: as a join,
        # SQLite walked every open case's reports to find a few hundred new ones, about 80 ms
        # with the write lock held on a live server. There is one open case per target.
        open_case = (
            sa.select(c.id)
            .where(c.target_id == r.target_id, c.status == "open")
            .limit(1)
            .scalar_subquery()
        )
        pairs = sa.select(open_case, r.id).where(unassigned, open_case.is_not(None))
    result = session.execute(sa.insert(CaseReport).from_select(["case_id", "report_pk"], pairs))
    return int(getattr(result, "rowcount", 0) or 0), len(targets)


def open_case_reports(
    session: Session, *, policy: Policy, now: int, case_ids: list[int] | None = None
) -> tuple[pl.DataFrame, float]:
    """The reports of open cases with each reporter's credibility, and the platform base rate."""
    r, cr, c, a = (
        Report.__table__.c,
        CaseReport.__table__.c,
        Case.__table__.c,
        Account.__table__.c,
    )
    target = Account.__table__.alias("target_account")  # its followers: the case's reach
    query = (
        sa.select(
            cr.case_id,
            r.report_id,
            r.reporter_id,
            r.target_id,
            r.content_id,
            r.reason,
            r.text,
            r.ip_hash,
            r.device_hash,
            r.surface,
            r.created_at,
            a.created_at.label("account_created"),
            target.c.followers.label("target_followers"),
            ReportScore.__table__.c.suspect,
        )
        .select_from(
            CaseReport.__table__.join(Case.__table__, c.id == cr.case_id)
            .join(Report.__table__, r.id == cr.report_pk)
            .outerjoin(Account.__table__, a.account_id == r.reporter_id)
            .outerjoin(target, target.c.account_id == r.target_id)
            .outerjoin(ReportScore.__table__, ReportScore.__table__.c.report_pk == r.id)
        )
        .where(c.status == "open")
    )
    if case_ids is not None:
        query = query.where(c.id.in_(case_ids))
    text_columns = (
        "report_id",
        "reporter_id",
        "target_id",
        "content_id",
        "reason",
        "text",
        "ip_hash",
        "device_hash",
        "surface",
        "suspect",
    )
    frame = pl.read_database(
        query,
        session.connection(),
        infer_schema_length=None,
        schema_overrides=dict.fromkeys(text_columns, pl.Utf8) | {"target_followers": pl.Int64},
    )
    # A reporter whose report processing is suspended for misuse is not heard meanwhile.
    suspended = suspended_reporters(session, now=datetime.fromtimestamp(now, UTC))
    if suspended:
        frame = frame.filter(~pl.col("reporter_id").is_in(sorted(suspended)))
    model = CredibilityModel(policy.credibility)
    rate = stored_base_rate(session, model)
    if frame.is_empty():
        return frame, rate
    frame = model.flag_new_accounts(
        frame.with_columns(
            case=pl.col("case_id").cast(pl.Utf8),
            t=epoch_expr(pl.col("created_at")),
            account_created=epoch_expr(pl.col("account_created")),
        )
    )
    records = load_records(session, frame["reporter_id"].unique().to_list())
    return model.score(frame, records, now=now, base_rate=rate), rate


def platform_stray_rate(session: Session) -> float:
    """Open reports per follower over the whole platform (see ``priority.stray_rate``)."""
    cr, c, a = CaseReport.__table__.c, Case.__table__.c, Account.__table__.c
    reports = session.scalar(
        sa.select(sa.func.count())
        .select_from(CaseReport.__table__.join(Case.__table__, c.id == cr.case_id))
        .where(c.status == "open")
    )
    followers = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(a.followers), 0)))
    return stray_rate(int(reports or 0), int(followers or 0))


def _last_decisions() -> sa.Select[Any]:
    """Each decided case's last ruling (a case decided twice, after an appeal, counts once)."""
    return (
        sa.select(sa.func.max(Decision.id))
        .where(Decision.outcome.in_(["violation", "no_violation"]))
        .group_by(Decision.case_id)
    )


def decided_case_rate(session: Session, policy: Policy, minimum: int = 50) -> float:
    """Share of decided cases that were violations; the policy's prior until ``minimum``.

    Decided here means by a ReportGuard decision or, before it, by the platform itself (targets
    with an imported history, one ruling each).
    """
    d = Decision.__table__.c
    violations, decided = session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((d.outcome == "violation", 1), else_=0)), 0),
            sa.func.count(),
        ).where(d.id.in_(_last_decisions()))
    ).one()
    imported_violations, imported = imported_case_counts(session)
    violations, decided = int(violations) + imported_violations, int(decided) + imported
    if decided < minimum:
        return policy.triage.case_prior
    return violations / decided


def decided_calibration(session: Session, *, minimum: int = 50) -> Calibration:
    """The map fitted on the cases moderators decided, each with the evidence it had then.

    The identity until ``minimum`` decided cases (and 10 of each outcome) exist. A
    case's last decision counts.
    """
    rows = session.execute(
        sa.select(Case.explanation["evidence"].as_float(), Decision.outcome)
        .join(Decision, Decision.case_id == Case.id)
        .where(Decision.id.in_(_last_decisions()))
    ).all()
    pairs = [(float(e), o == "violation") for e, o in rows if e is not None and math.isfinite(e)]
    if len(pairs) < minimum:
        return IDENTITY
    x = np.array([e for e, _ in pairs])
    y = np.array([v for _, v in pairs])
    if min(int(y.sum()), int((~y).sum())) < 10:
        return IDENTITY
    return fit_calibration(x, y)


def campaign_links(session: Session, case_ids: list[int] | None = None) -> pl.DataFrame:
    """Which reports of open cases belong to a campaign, and its status."""
    r, cr, c, k, cp = (
        Report.__table__.c,
        CaseReport.__table__.c,
        Case.__table__.c,
        CampaignReport.__table__.c,
        Campaign.__table__.c,
    )
    query = (
        sa.select(r.report_id, cp.id.label("campaign_id"), cp.status)
        .select_from(
            CaseReport.__table__.join(Case.__table__, c.id == cr.case_id)
            .join(CampaignReport.__table__, k.report_pk == cr.report_pk)
            .join(Campaign.__table__, cp.id == k.campaign_id)
            .join(Report.__table__, r.id == cr.report_pk)
        )
        .where(c.status == "open")
        .order_by(cp.id)
    )
    if case_ids is not None:
        query = query.where(c.id.in_(case_ids))
    return pl.read_database(
        query,
        session.connection(),
        schema_overrides={"report_id": pl.Utf8, "campaign_id": pl.Int64, "status": pl.Utf8},
    )


def refresh_cases(
    engine: Engine,
    *,
    policy: Policy,
    now: datetime | None = None,
    case_ids: list[int] | None = None,
    target_ids: list[str] | None = None,
    report_ids: list[str] | None = None,
) -> TriageSummary:
    """Attach new reports to cases and re-score open cases (all, ``case_ids``, or the open cases
    of ``target_ids``: what a live feed touched).

    Three short transactions rather than one long one: attach, read and score, write. On SQLite
    a write transaction locks out every other writer (API requests storing reports), so the
    scoring, which takes most of the time, happens outside it.
    """
    now = now or datetime.now(UTC)
    with Session(engine) as session, session.begin():
        attached, opened = attach_reports(session, now=now, report_ids=report_ids)
    with Session(engine) as session:
        if target_ids is not None:
            case_ids = list(case_ids or [])
            wanted = sorted(set(target_ids))
            for chunk in chunked(wanted):
                case_ids += session.scalars(
                    sa.select(Case.id).where(Case.status == "open", Case.target_id.in_(chunk))
                ).all()
            if not case_ids:
                return TriageSummary(attached, opened, 0, 0)
        reports, rate = open_case_reports(
            session, policy=policy, now=int(now.timestamp()), case_ids=case_ids
        )
        if reports.is_empty():
            return TriageSummary(attached, opened, 0, 0)
        campaigns = campaign_links(session, case_ids)
        strays = platform_stray_rate(session)
        case_rate = decided_case_rate(session, policy)
        calibration = decided_calibration(session)
        partners = mutual_partners(
            quarrel_reports(session, case_ids), window_s=policy.disputes.window_days * DAY
        )
    scored, explained = score_cases(
        reports,
        policy=policy,
        campaigns=campaigns,
        base_rate=rate,
        case_rate=case_rate,
        stray_rate=strays,
        calibration=calibration,
        explain=True,
    )
    routed = route_disputes(reports, partners, reasons=scored, policy=policy)
    disputes = {row["case"]: row for row in routed.filter(pl.col("dispute")).iter_rows(named=True)}
    targets = dict(reports.select("case", "target_id").unique("case").iter_rows())
    updates = []
    for row in scored.iter_rows(named=True):
        explanation = explained.get(row["case"], {})
        dispute = disputes.get(row["case"]) if not row["shielded"] else None
        if dispute is not None:
            explanation["dispute"] = {
                "partners": dispute["partners"],
                "reports_both_ways": int(dispute["reports_both_ways"]),
            }
            explanation.setdefault("sentences", []).insert(
                0,
                dispute_sentence(
                    dispute["partners"],
                    targets[row["case"]],
                    int(dispute["reports_both_ways"]),
                    policy.disputes.window_days,
                ),
            )
        updates.append(
            {
                "id": int(row["case"]),
                "priority": round(float(row["priority"]), 6),
                "reason": row["reason"],
                "n_reports": int(row["n_reports"]),
                "n_voices": int(row["n_voices"]),
                "shielded": bool(row["shielded"]),
                "queue": "dispute" if dispute is not None else "violation",
                "explanation": explanation,
                "updated_at": now,
            }
        )
    with Session(engine) as session, session.begin():
        session.execute(sa.update(Case), updates)
    return TriageSummary(attached, opened, len(updates), sum(u["shielded"] for u in updates))


def quarrel_reports(session: Session, case_ids: list[int] | None = None) -> pl.DataFrame:
    """Reports between a case's target and its reporters in both directions, for the open cases
    (all, or ``case_ids``): only accounts that reported each other at least once."""
    r1, r2 = Report.__table__.alias("r1"), Report.__table__.alias("r2")
    cr, c = CaseReport.__table__.c, Case.__table__.c
    # Most reported accounts never report anyone: find the few cases whose target did (one
    # index probe per case) before joining their reports, which for a popular account are many.
    probe = sa.select(c.id).where(
        c.status == "open",
        sa.exists().where(Report.__table__.c.reporter_id == c.target_id),
    )
    if case_ids is None:
        case_ids = list(session.scalars(probe))
    else:
        case_ids = [
            i for chunk in chunked(case_ids) for i in session.scalars(probe.where(c.id.in_(chunk)))
        ]
    query = (
        sa.select(
            r1.c.id.label("id1"),
            r1.c.reporter_id,
            r1.c.target_id,
            r1.c.created_at.label("t1"),
            r2.c.id.label("id2"),
            r2.c.created_at.label("t2"),
        )
        .select_from(
            CaseReport.__table__.join(Case.__table__, c.id == cr.case_id)
            .join(r1, r1.c.id == cr.report_pk)
            .join(
                r2,
                (r2.c.reporter_id == r1.c.target_id) & (r2.c.target_id == r1.c.reporter_id),
            )
        )
        .where(c.status == "open")
    )
    rows = [
        row for chunk in chunked(case_ids) for row in session.execute(query.where(c.id.in_(chunk)))
    ]
    schema = {"id": pl.Int64, "reporter_id": pl.Utf8, "target_id": pl.Utf8, "t": pl.Utf8}
    there = [(row.id1, row.reporter_id, row.target_id, str(row.t1)) for row in rows]
    back = [(row.id2, row.target_id, row.reporter_id, str(row.t2)) for row in rows]
    frame = pl.DataFrame(there + back, schema=schema, orient="row").unique("id")
    return frame.with_columns(t=epoch_expr(pl.col("t")))


def queue_query(
    *,
    status: str | None = "open",
    queue: str | None = "violation",
    reason: str | None = None,
    shielded: bool | None = None,
    campaign_id: int | None = None,
    min_age_hours: float | None = None,
    now: datetime | None = None,
) -> sa.Select[Any]:
    """Cases (open ones of the violation queue unless ``status`` and ``queue`` say otherwise)
    with the dashboard's filters."""
    query = sa.select(Case)
    if status is not None:
        query = query.where(Case.status == status)
    if queue is not None:
        query = query.where(Case.queue == queue)
    if reason is not None:
        query = query.where(Case.reason == reason)
    if shielded is not None:
        query = query.where(Case.shielded.is_(shielded))
    if campaign_id is not None:
        query = query.where(
            Case.target_id.in_(
                sa.select(CampaignTarget.target_id).where(CampaignTarget.campaign_id == campaign_id)
            )
        )
    if min_age_hours is not None:
        cutoff = (now or datetime.now(UTC)).timestamp() - min_age_hours * 3600
        query = query.where(Case.opened_at <= datetime.fromtimestamp(cutoff, UTC))
    return query


def queue(engine: Engine, *, limit: int = 20, offset: int = 0, **filters: Any) -> list[Case]:
    """Cases by priority, highest first; ``filters`` as :func:`queue_query` takes them."""
    query = queue_query(**filters).order_by(Case.priority.desc(), Case.id).limit(limit)
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(query.offset(offset)))


def queue_size(engine: Engine, **filters: Any) -> int:
    """How many cases the same filters select (for paging)."""
    query = sa.select(sa.func.count()).select_from(queue_query(**filters).subquery())
    with Session(engine) as session:
        return int(session.scalar(query) or 0)


def case_summary(case: Case) -> dict[str, Any]:
    """What a queue row shows: the case and why it ranks where it does."""
    explanation = case.explanation or {}
    return {
        "id": case.id,
        "target_id": case.target_id,
        "priority": case.priority,
        "probability": explanation.get("probability"),
        "reason": case.reason,
        "reports": case.n_reports,
        "voices": case.n_voices,
        "shielded": case.shielded,
        "queue": case.queue,
        "opened_at": case.opened_at.isoformat(),
        "claimed_by": case.claimed_by,
        "why": explanation.get("sentences", []),
    }
