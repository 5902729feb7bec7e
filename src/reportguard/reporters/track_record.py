"""Reporter records in the database: read them for scoring, update them when a decision lands."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from reportguard.reporters.credibility import ALL, RECORD_SCHEMA, VERDICTS, CredibilityModel
from reportguard.store import audit
from reportguard.store.models import ReporterCredibility, ReportVerdict


def load_records(session: Session, reporter_ids: Iterable[str] | None = None) -> pl.DataFrame:
    """Decayed counts per reporter and reason, as stored (``t_updated`` in epoch seconds)."""
    query = sa.select(ReporterCredibility)
    ids = None if reporter_ids is None else sorted(set(reporter_ids))
    rows: list[tuple[object, ...]] = []
    chunks = [None] if ids is None else [ids[i : i + 10_000] for i in range(0, len(ids), 10_000)]
    for chunk in chunks:
        q = query if chunk is None else query.where(ReporterCredibility.reporter_id.in_(chunk))
        for r in session.scalars(q):
            rows.append(
                (
                    r.reporter_id,
                    r.reason,
                    r.upheld,
                    r.rejected,
                    r.unfounded,
                    int(r.updated_at.timestamp()),
                )
            )
    return pl.DataFrame(rows, schema=RECORD_SCHEMA, orient="row")


def apply_verdicts(
    session: Session,
    verdicts: Iterable[tuple[str, str, str] | tuple[str, str, str, float]],
    *,
    at: datetime,
    model: CredibilityModel,
) -> list[dict[str, object]]:
    """Add verdicts (reporter_id, reason, verdict[, weight]) to the records; return the changes.

    A weight of -1 takes a verdict back (an overturned decision), never below zero.

    Counts are decayed to ``at`` before the new ones are added, so a record always holds its
    value as of its ``updated_at``.
    """
    added: dict[tuple[str, str], dict[str, float]] = defaultdict(
        lambda: dict.fromkeys(VERDICTS, 0.0)
    )
    for item in verdicts:
        reporter, reason, verdict = item[:3]
        weight = float(item[3]) if len(item) > 3 else 1.0
        if verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {verdict!r}")
        added[(reporter, reason)][verdict] += weight
        added[(reporter, ALL)][verdict] += weight
    changes: list[dict[str, object]] = []
    for (reporter, reason), counts in sorted(added.items()):
        row = session.get(ReporterCredibility, (reporter, reason))
        if row is None:
            row = ReporterCredibility(
                reporter_id=reporter,
                reason=reason,
                upheld=0.0,
                rejected=0.0,
                unfounded=0.0,
                updated_at=at,
            )
            session.add(row)
        factor = float(model.decay((at - row.updated_at).total_seconds()))
        before = model.mean(
            upheld=row.upheld * factor,
            rejected=row.rejected * factor,
            unfounded=row.unfounded * factor,
        )
        row.upheld = max(row.upheld * factor + counts["upheld"], 0.0)
        row.rejected = max(row.rejected * factor + counts["rejected"], 0.0)
        row.unfounded = max(row.unfounded * factor + counts["unfounded"], 0.0)
        row.updated_at = max(at, row.updated_at)
        if reason == ALL:
            after = model.mean(upheld=row.upheld, rejected=row.rejected, unfounded=row.unfounded)
            changes.append(
                {
                    "reporter_id": reporter,
                    "before": round(before, 4),
                    "after": round(after, 4),
                    **{k: int(v) for k, v in counts.items() if v},
                }
            )
    session.flush()
    return changes


def stored_base_rate(session: Session, model: CredibilityModel) -> float:
    """The platform's share of upheld reports over every stored record, summed in the database."""
    c = ReporterCredibility
    upheld, rejected, unfounded = session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(c.upheld), 0.0),
            sa.func.coalesce(sa.func.sum(c.rejected), 0.0),
            sa.func.coalesce(sa.func.sum(c.unfounded), 0.0),
        ).where(c.reason == ALL)
    ).one()
    upheld = float(upheld)
    return model.rate_from_counts(
        upheld=upheld, decided=upheld + float(rejected) + float(unfounded)
    )


@dataclass(frozen=True)
class Judged:
    """One report's verdict, by a decision or by a campaign verdict."""

    report_pk: int
    reporter_id: str
    reason: str
    verdict: str


def store_verdicts(
    session: Session,
    judged: list[Judged],
    *,
    decision_id: int | None,
    campaign_id: int | None,
    at: datetime,
    model: CredibilityModel,
) -> list[dict[str, object]]:
    """Write each report's verdict and move its reporter's record in the same transaction, so a
    record never counts a verdict that is not stored (or the other way round)."""
    for item in judged:
        session.add(
            ReportVerdict(
                report_pk=item.report_pk,
                decision_id=decision_id,
                campaign_id=campaign_id,
                reporter_id=item.reporter_id,
                reason=item.reason,
                verdict=item.verdict,
                decided_at=at,
            )
        )
    rows = [(item.reporter_id, item.reason, item.verdict) for item in judged]
    return apply_verdicts(session, rows, at=at, model=model)


def audit_credibility(
    session: Session,
    changes: list[dict[str, object]],
    *,
    actor: str,
    subject_type: str,
    subject_id: int,
    at: datetime,
) -> None:
    """The audit entry for the credibility a ruling moved (none when it moved nothing)."""
    if changes:
        audit.record(
            session,
            actor=actor,
            event="credibility",
            subject_type=subject_type,
            subject_id=subject_id,
            payload={"changes": changes},
            at=at,
        )
