"""A platform's own decisions from before ReportGuard, read into its reporters' credibility.

Exports often say what moderators decided about each report (``outcome`` and ``resolved_at``
on a report record). Read here, they give every reporter the track record they already have, so
the queue weighs reports by it from the first day instead of starting everyone at the prior.

One rule comes from Community Notes, which counts a rater's rating only if it was made before the
note's status was shown: a report counts toward its reporter's record only if it was filed
*before* the platform had ruled the same way on that target. A reporter who piles onto an account
that was already removed shows hindsight, not judgement; one who reports an account already
cleared is not thereby wrong again. Such reports are kept, outcome and all, marked as not counted.

Counts decay with the same half-life as the verdicts ReportGuard's own decisions write, from the
time each outcome was resolved, so an imported history weighs exactly what the same decisions
would weigh had they been taken here. Reading is idempotent: each outcome is read once
(``history_counted`` is set in the same transaction as the credibility it moves).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.reporters.credibility import CredibilityModel
from reportguard.reporters.track_record import apply_verdicts
from reportguard.store import audit
from reportguard.store.models import ImportedRuling, Report, ReporterCredibility, ReportVerdict
from reportguard.store.sql import chunked
from reportguard.store.types import as_utc


@dataclass
class HistorySummary:
    """What one reading of imported outcomes did."""

    read: int = 0  # outcomes read now
    counted: int = 0  # moved a reporter's record
    late: int = 0  # filed after the same ruling on the target was known: kept, not counted
    judged_here: int = 0  # already judged by a ReportGuard decision: its verdict stands
    targets: int = 0  # targets with an imported ruling (after this reading)
    reporters: int = 0  # reporters whose record moved

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    def add(self, other: HistorySummary) -> None:
        for name in ("read", "counted", "late", "judged_here", "reporters"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.targets = other.targets


def _upheld(outcome: str) -> bool:
    return outcome == "upheld"


def pending_targets(session: Session) -> list[str]:
    """Targets with an imported outcome not read yet (served by a partial index)."""
    r = Report.__table__.c
    query = (
        sa.select(r.target_id)
        .where(r.outcome.is_not(None), r.history_counted.is_(None))
        .distinct()
        .order_by(r.target_id)
    )
    return list(session.scalars(query))


def read_history(engine: Engine, *, model: CredibilityModel, chunk: int = 2_000) -> HistorySummary:
    """Read every stored outcome not read yet into credibility, a chunk of targets at a time.

    Each chunk is one transaction, so a crash loses nothing and a re-run reads only the rest.
    """
    total = HistorySummary()
    with Session(engine) as session:
        targets = pending_targets(session)
    for part in chunked(targets, size=chunk):
        with Session(engine) as session, session.begin():
            total.add(_read_chunk(session, list(part), model=model))
    if not targets:
        with Session(engine) as session:
            total.targets = _count_rulings(session)
    return total


def _count_rulings(session: Session) -> int:
    return int(session.execute(sa.select(sa.func.count()).select_from(ImportedRuling)).scalar_one())


def _read_chunk(session: Session, targets: list[str], *, model: CredibilityModel) -> HistorySummary:
    r = Report.__table__.c
    rows = session.execute(
        sa.select(
            r.id,
            r.reporter_id,
            r.target_id,
            r.reason,
            r.created_at,
            r.outcome,
            r.resolved_at,
            r.history_counted,
        ).where(r.target_id.in_(targets), r.outcome.is_not(None))
    ).all()
    created = {row.id: as_utc(row.created_at) for row in rows}
    resolved = {row.id: as_utc(row.resolved_at) for row in rows}
    # When each kind of ruling (upheld, or not) was first known on each target.
    known: dict[tuple[str, bool], datetime] = {}
    for row in rows:
        key = (row.target_id, _upheld(row.outcome))
        known[key] = min(known.get(key, resolved[row.id]), resolved[row.id])
    pending = [row for row in rows if row.history_counted is None]
    judged = set(
        session.scalars(
            sa.select(ReportVerdict.report_pk).where(
                ReportVerdict.report_pk.in_([row.id for row in pending])
            )
        )
    )
    summary = HistorySummary(read=len(pending))
    counted, flags = [], {}
    for row in pending:
        if row.id in judged:
            summary.judged_here += 1
            flags[row.id] = False
        elif created[row.id] <= known[(row.target_id, _upheld(row.outcome))]:
            counted.append(row)
            flags[row.id] = True
        else:
            summary.late += 1
            flags[row.id] = False
    summary.counted = len(counted)
    if counted:
        summary.reporters = _credit(session, counted, resolved, model=model)
    for value in (True, False):
        ids = [pk for pk, flag in flags.items() if flag is value]
        for part in chunked(ids):
            session.execute(
                sa.update(Report).where(Report.id.in_(part)).values(history_counted=value)
            )
    _store_rulings(session, rows, resolved)
    summary.targets = _count_rulings(session)
    if summary.read:
        audit.record(
            session,
            actor="history",
            event="history_read",
            subject_type="reports",
            subject_id=f"{len(targets)} targets",
            payload={k: v for k, v in summary.as_dict().items() if k != "targets"},
        )
    return summary


def _credit(
    session: Session, counted: list[Any], resolved: dict[int, datetime], *, model: CredibilityModel
) -> int:
    """Verdict rows and credibility for the counted outcomes, decayed from when each resolved.

    Every touched record is brought to one reference time, the latest of these outcomes and of
    every stored record, so the exponential decay is exact whatever order history arrives in.
    """
    latest = session.execute(sa.select(sa.func.max(ReporterCredibility.updated_at))).scalar()
    at = max(resolved[row.id] for row in counted)
    if latest is not None:
        at = max(at, as_utc(latest))
    for row in counted:
        session.add(
            ReportVerdict(
                report_pk=row.id,
                decision_id=None,
                campaign_id=None,
                reporter_id=row.reporter_id,
                reason=row.reason,
                verdict=row.outcome,
                decided_at=resolved[row.id],
            )
        )
    items = [
        (
            row.reporter_id,
            row.reason,
            row.outcome,
            float(model.decay((at - resolved[row.id]).total_seconds())),
        )
        for row in counted
    ]
    changes = apply_verdicts(session, items, at=at, model=model)
    return len(changes)


def _store_rulings(session: Session, rows: Sequence[Any], resolved: dict[int, datetime]) -> None:
    """One ruling per target: a violation if any report on it was upheld."""
    by_target: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_target[row.target_id].append(row)
    for target, group in by_target.items():
        session.merge(
            ImportedRuling(
                target_id=target,
                violation=any(_upheld(row.outcome) for row in group),
                first_resolved_at=min(resolved[row.id] for row in group),
            )
        )


def imported_case_counts(session: Session) -> tuple[int, int]:
    """(violations, rulings) among the targets the platform ruled on before ReportGuard."""
    violations, total = session.execute(
        sa.select(
            sa.func.coalesce(
                sa.func.sum(sa.case((ImportedRuling.violation.is_(True), 1), else_=0)), 0
            ),
            sa.func.count(),
        )
    ).one()
    return int(violations), int(total)
