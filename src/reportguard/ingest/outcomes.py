"""A verdicts file alone: the platform's outcomes for reports that are already stored.

Platforms often export reports first and what became of them later. Each outcome record names a
stored report and says how it was resolved; it never creates a report and never overwrites an
outcome already stored (a different one is a conflict, named, and the stored one is kept).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.config import TimeBounds
from reportguard.ingest.contract import OutcomeRecord
from reportguard.ingest.importer import Rejection, RejectSink, rejects_path_for
from reportguard.ingest.readers import BadLine, Reader
from reportguard.ingest.validate import FieldError, control_errors, field_errors
from reportguard.store.models import Report
from reportguard.store.sql import chunked
from reportguard.store.types import as_utc

OUTCOME_FIELDS = frozenset(OutcomeRecord.model_fields)


@dataclass
class OutcomeSummary:
    source: str
    records: int = 0
    stored: int = 0  # outcomes written onto their reports
    duplicates: int = 0  # the same outcome was already stored
    rejected: int = 0
    first_rejections: list[Rejection] = field(default_factory=list)
    rejects_path: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "records": self.records,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejects_file": str(self.rejects_path) if self.rejects_path else None,
        }


def _problem(
    record: OutcomeRecord, row: Any, written: Mapping[str, OutcomeRecord]
) -> FieldError | None:
    """Why an outcome cannot be stored (an error without a field: it is already stored)."""
    if row is None:
        return FieldError("report_id", "no stored report has this id (import the reports first)")
    if record.resolved_at < as_utc(row.created_at):
        return FieldError("resolved_at", "before the report's created_at")
    earlier = written.get(record.report_id)
    if earlier is not None:
        outcome, at = earlier.outcome, earlier.resolved_at
    elif row.outcome is not None:
        outcome, at = row.outcome, as_utc(row.resolved_at)
    else:
        return None
    if (outcome, at) == (record.outcome, record.resolved_at):
        return FieldError("", "duplicate")
    return FieldError(
        "outcome", f"conflicts with the stored outcome {outcome} resolved at {at.isoformat()}, "
        "which is kept"
    )  # fmt: skip


def import_outcome_file(
    engine: Engine,
    path: Path,
    *,
    field_map: Mapping[str, str] | None = None,
    batch_size: int = 5_000,
    bounds: TimeBounds | None = None,
) -> OutcomeSummary:
    """Store the outcomes of one file on their reports; rejects go beside it (idempotent)."""
    sink = RejectSink(rejects_path_for(path))
    try:
        summary = import_outcomes(
            engine,
            Reader(path),
            source=path.name,
            sink=sink,
            field_map=field_map,
            batch_size=batch_size,
            bounds=bounds,
        )
    finally:
        sink.close()
    summary.rejects_path = sink.path if summary.rejected else None
    return summary


def import_outcomes(
    engine: Engine,
    records: Iterable[tuple[str, Mapping[str, Any] | BadLine]],
    *,
    source: str,
    sink: RejectSink | None = None,
    field_map: Mapping[str, str] | None = None,
    batch_size: int = 5_000,
    bounds: TimeBounds | None = None,
) -> OutcomeSummary:
    """Validate ``(location, raw)`` outcome records and store them, one transaction per batch."""
    sink = sink or RejectSink(None)
    summary = OutcomeSummary(source=source)
    batch: list[tuple[str, OutcomeRecord, Mapping[str, Any]]] = []
    context = (bounds or TimeBounds()).context()

    def reject(location: str, errors: list[FieldError], raw: Mapping[str, Any] | None) -> None:
        summary.rejected += 1
        rejection = Rejection(source, location, errors)
        if len(summary.first_rejections) < 10:
            summary.first_rejections.append(rejection)
        sink.write(rejection, raw)

    for location, raw in records:
        summary.records += 1
        if isinstance(raw, BadLine):
            reject(location, [FieldError("", str(raw))], None)
            continue
        if field_map:
            raw = {field_map.get(k, k): v for k, v in raw.items()}  # noqa: PLW2901
        controls = control_errors(raw, OUTCOME_FIELDS)
        if controls:
            reject(location, controls, raw)
            continue
        try:
            batch.append((location, OutcomeRecord.model_validate(raw, context=context), raw))
        except ValidationError as exc:
            reject(location, field_errors(exc, raw), raw)
            continue
        if len(batch) >= batch_size:
            _store(engine, batch, summary, reject)
            batch = []
    if batch:
        _store(engine, batch, summary, reject)
    return summary


def _store(
    engine: Engine,
    batch: list[tuple[str, OutcomeRecord, Mapping[str, Any]]],
    summary: OutcomeSummary,
    reject: Any,
) -> None:
    wanted = sorted({record.report_id for _, record, _ in batch})
    with Session(engine) as session, session.begin():
        stored: dict[str, Any] = {}
        for part in chunked(wanted):
            columns = (Report.id, Report.report_id, Report.created_at, Report.outcome)
            query = sa.select(*columns, Report.resolved_at).where(Report.report_id.in_(part))
            rows = session.execute(query).all()
            stored.update({row.report_id: row for row in rows})
        written: dict[str, OutcomeRecord] = {}
        for location, record, raw in batch:
            problem = _problem(record, stored.get(record.report_id), written)
            if problem is None:
                written[record.report_id] = record
            elif problem.field:
                reject(location, [problem], raw)
            else:
                summary.duplicates += 1
        for report_id, record in written.items():
            session.execute(
                sa.update(Report)
                .where(Report.id == stored[report_id].id, Report.outcome.is_(None))
                .values(outcome=record.outcome, resolved_at=record.resolved_at)
            )
        summary.stored += len(written)
