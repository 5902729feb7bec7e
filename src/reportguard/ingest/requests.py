"""Ingest over HTTP: one request's records validated, then stored with other requests' records.

A request's records are checked in the thread that serves it (:func:`prepare_request`); storing
is one transaction for any number of requests (:func:`store_requests`), so a burst of small
requests shares one commit, one turn at the audit log and one insert per table instead of
queueing for each in turn (group commit, see ``api/committer.py``). Each request still gets its
own ingest run, audit entry and answer, and its records land with them or not at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from reportguard.config import TimeBounds
from reportguard.ingest.conflicts import Identity, find_conflicts
from reportguard.ingest.contract import AccountSnapshot, ContentRecord, ReportEvent
from reportguard.ingest.formats.base import Adapter, Converted
from reportguard.ingest.importer import Importer, IngestSummary, validated
from reportguard.ingest.validate import FieldError, Kind, RecordError
from reportguard.store import audit
from reportguard.store.models import IdempotencyRecord, IngestRun, Report


@dataclass(frozen=True)
class KeptAnswer:
    """Where a request's answer is kept for its retries (an ``Idempotency-Key``), and how to
    write it from what the request became. It is stored in the transaction of the request's
    records: a retry after a crash at any point gets the first answer, never a second run."""

    key_id: str
    key: str
    fingerprint: str
    respond: Callable[[RequestResult], tuple[int, dict[str, Any]]]


@dataclass
class PreparedRequest:
    """One request's records after validation, waiting to be stored."""

    source: str
    actor: str
    summary: IngestSummary
    rejections: list[tuple[int, list[FieldError]]]
    reports: list[ReportEvent]
    accounts: list[AccountSnapshot]
    contents: list[ContentRecord] = field(default_factory=list)
    via_key: str | None = None
    report_indexes: list[int] = field(default_factory=list)  # each report's place in the request
    started: float = field(default_factory=time.perf_counter)
    keep_answer: KeptAnswer | None = None


@dataclass
class RequestResult:
    """What one API request's records became: counts, each bad record, the reports now new."""

    summary: IngestSummary
    run_id: int
    rejections: list[tuple[int, list[FieldError]]]
    new_reports: list[ReportEvent]
    accounts: list[AccountSnapshot]
    # True: its answer was kept with its records; False: another request with the same
    # Idempotency-Key was answered first (replay that); None: nothing to keep.
    answer_kept: bool | None = None


def prepare_request(
    records: list[Any],
    *,
    source: str,
    actor: str,
    kind: Kind = "auto",
    bounds: TimeBounds | None = None,
    adapter: Adapter | None = None,
) -> PreparedRequest:
    """Validate one request's records; bad ones are named by their index and field (a platform
    format's records through its ``adapter``, named by the platform's own field names)."""
    context = (bounds or TimeBounds()).context()
    prepared = PreparedRequest(
        source=source,
        actor=actor,
        summary=IngestSummary(source=source, records=len(records)),
        rejections=[],
        reports=[],
        accounts=[],
        via_key=audit.current_key(),
    )
    for index, raw in enumerate(records):
        if not isinstance(raw, Mapping):
            prepared.rejections.append((index, [FieldError("", "a record must be a JSON object")]))
            continue
        try:
            items: list[Mapping[str, Any]] = list(adapter(raw)) if adapter else [raw]
        except RecordError as exc:
            prepared.rejections.append((index, exc.errors))
            continue
        errors: list[FieldError] = []
        for item in items:
            try:
                record = validated(item, kind, prepared.summary, context)
            except RecordError as exc:
                errors += _named(exc.errors, item)
                continue
            if isinstance(record, ReportEvent):
                prepared.reports.append(record)
                prepared.report_indexes.append(index)
            elif isinstance(record, ContentRecord):
                prepared.contents.append(record)
            else:
                prepared.accounts.append(record)
        if errors:
            prepared.rejections.append((index, errors))
    prepared.summary.rejected = len(prepared.rejections)
    return prepared


def _named(errors: list[FieldError], item: Mapping[str, Any]) -> list[FieldError]:
    if not isinstance(item, Converted):
        return errors
    return [FieldError(item.origin.get(e.field, e.field), e.message) for e in errors]


def store_requests(importer: Importer, requests: list[PreparedRequest]) -> list[RequestResult]:
    """Store several requests' good records in one transaction (all of them or, on a crash, none).

    The runs, the reports and the audit entries commit together, so a request retried after a
    failure stores each report exactly once (``report_id`` is the natural key). A report id sent
    by two requests of the group is stored once, for the first of them.
    """
    now = datetime.now(UTC)
    runs = IngestRun.__table__
    assert isinstance(runs, sa.Table)
    with Session(importer.engine) as session, session.begin():
        # Core statements, not ORM objects: this runs for every group of API requests, and the
        # unit of work cost several times the database's own time (profile in docs/api.md).
        run_ids = list(
            session.execute(
                sa.insert(runs).returning(runs.c.id, sort_by_parameter_order=True),
                [
                    {
                        "source": r.source,
                        "started_at": now,
                        "finished_at": now,
                        "status": "done",
                        "records": r.summary.records,
                        "accepted": len(r.reports),  # corrected below if some were stored
                        "duplicates": 0,
                        "rejected": r.summary.rejected,
                        "accounts": len(r.accounts),
                    }
                    for r in requests
                ],
            ).scalars()
        )
        conn = session.connection()
        rows = [
            importer.report_row(e, run_id)
            for r, run_id in zip(requests, run_ids, strict=True)
            for e in r.reports
        ]
        new = importer.writer.insert_reports(conn, rows)
        importer.writer.upsert_accounts(
            conn, [importer.account_row(a, now) for r in requests for a in r.accounts]
        )
        importer.writer.execute(
            conn,
            importer.writer.prepare_contents(
                [importer.content_row(c, now) for r in requests for c in r.contents]
            ),
        )
        fresh: set[tuple[int | None, str]]
        if new == len(rows):  # the usual case: every report is new, no need to ask which
            fresh = {
                (run_id, e.report_id)
                for r, run_id in zip(requests, run_ids, strict=True)
                for e in r.reports
            }
        else:
            fresh = set()
            if new:
                stored = sa.select(Report.ingest_run_id, Report.report_id).where(
                    Report.ingest_run_id.in_(run_ids)
                )
                fresh = {(run_id, report_id) for run_id, report_id in session.execute(stored)}
        conflicts = _conflicts(conn, requests) if new < len(rows) else {}
        results, events, corrected = [], [], []
        for number, (request, run_id) in enumerate(zip(requests, run_ids, strict=True)):
            summary = request.summary
            kept = _first_of_each([e for e in request.reports if (run_id, e.report_id) in fresh])
            conflicting = conflicts.get(number, [])
            summary.accepted = len(kept)
            summary.conflicts = len(conflicting)
            summary.rejected += len(conflicting)
            summary.duplicates = len(request.reports) - len(kept) - len(conflicting)
            summary.accounts = len(request.accounts)
            summary.contents = len(request.contents)
            rejections = sorted(request.rejections + conflicting, key=lambda r: r[0])
            if summary.duplicates or conflicting:
                corrected.append(
                    {
                        "run": run_id,
                        "accepted": summary.accepted,
                        "dups": summary.duplicates,
                        "bad": summary.rejected,
                    }
                )
            events.append(
                audit.Event(
                    actor=request.actor,
                    event="records_ingested",
                    subject_type="ingest_run",
                    subject_id=run_id,
                    payload={
                        "source": request.source,
                        "records": summary.records,
                        "accepted": summary.accepted,
                        "duplicates": summary.duplicates,
                        "accounts": summary.accounts,
                        "rejected": summary.rejected,
                    },
                    at=now,
                    via_key=request.via_key,
                )
            )
            results.append(
                RequestResult(
                    summary=summary,
                    run_id=run_id,
                    rejections=rejections,
                    new_reports=kept,
                    accounts=request.accounts,
                )
            )
        if corrected:
            session.execute(
                sa.update(runs)
                .where(runs.c.id == sa.bindparam("run"))
                .values(
                    accepted=sa.bindparam("accepted"),
                    duplicates=sa.bindparam("dups"),
                    rejected=sa.bindparam("bad"),
                ),
                corrected,
            )
        audit.append(session, events)
        _keep_answers(session, requests, results, now)
    for request in requests:
        request.summary.elapsed = time.perf_counter() - request.started
    return results


def _keep_answers(
    session: Session, requests: list[PreparedRequest], results: list[RequestResult], now: datetime
) -> None:
    """Store the answers of requests sent with an Idempotency-Key, in their own transaction."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = IdempotencyRecord.__table__
    for request, result in zip(requests, results, strict=True):
        kept = request.keep_answer
        if kept is None:
            continue
        status, body = kept.respond(result)
        if not 200 <= status < 300:  # a refused request changed nothing: it may be retried
            continue
        row = {
            "key_id": kept.key_id,
            "idempotency_key": kept.key,
            "request_hash": kept.fingerprint,
            "status_code": status,
            "response": body,
            "created_at": now,
        }
        insert = (
            dialect.insert(table)
            .values(row)
            .on_conflict_do_nothing()
            .returning(IdempotencyRecord.key_id)  # rowcount is -1 here on PostgreSQL
        )
        result.answer_kept = session.execute(insert).first() is not None


def _conflicts(
    conn: sa.Connection, requests: list[PreparedRequest]
) -> dict[int, list[tuple[int, list[FieldError]]]]:
    """Per request (by its place in the group): its records that reuse a stored id for another
    report, by their index in the request."""
    places = [(n, i) for n, r in enumerate(requests) for i in r.report_indexes]
    found = find_conflicts(conn, [Identity.of(e) for r in requests for e in r.reports])
    out: dict[int, list[tuple[int, list[FieldError]]]] = {}
    for position, errors in found:
        number, index = places[position]
        out.setdefault(number, []).append((index, errors))
    return out


def _first_of_each(reports: list[ReportEvent]) -> list[ReportEvent]:
    """A report id sent twice in one request was stored once: its first occurrence."""
    seen: set[str] = set()
    out = []
    for report in reports:
        if report.report_id not in seen:
            seen.add(report.report_id)
            out.append(report)
    return out
