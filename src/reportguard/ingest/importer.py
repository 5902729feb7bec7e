"""Import records in batches: validate, hash identifiers, store idempotently, account for all.

Every record read ends up in exactly one count: accepted (newly stored), duplicate (already
stored, by ``report_id``), account snapshot, or rejected (written to the rejects file with the
reason). Batches commit one at a time, so a crash loses at most the open batch, and a re-run
stores what is missing without storing anything twice.
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.config import TimeBounds
from reportguard.errors import InputFileError
from reportguard.ingest.conflicts import Identity, find_conflicts
from reportguard.ingest.contract import (
    ACCOUNT_FIELDS,
    REPORT_FIELDS,
    SENSITIVE_FIELDS,
    AccountSnapshot,
    ReportEvent,
)
from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.readers import BadLine, Reader, ReadError
from reportguard.ingest.validate import FieldError, Kind, RecordError, validate_record
from reportguard.ingest.writer import BulkWriter, Prepared
from reportguard.store.indexes import drop_deferrable_indexes, ensure_indexes
from reportguard.store.models import IngestRun, Report
from reportguard.store.types import db_timestamp

Progress = Callable[[int, int], None]
REDACTED = "[redacted]"
# What a rejects file keeps of one record: enough to find and fix it, never a copy of a huge one.
REJECT_VALUE_CHARS = 1_000
REJECT_FIELDS = 100
# Deferring index builds pays off once a load at least doubles the table and is not tiny.
DEFER_INDEXES_MIN_ROWS = 200_000
BYTES_PER_RECORD_ESTIMATE = 200


@dataclass
class Rejection:
    """One record that was not stored, where it was, and why."""

    source: str
    location: str
    errors: list[FieldError]

    def __str__(self) -> str:
        where = f"{self.source}:{self.location.split()[-1]}"
        return f"{where}: " + "; ".join(str(e) for e in self.errors)


@dataclass
class IngestSummary:
    """What became of every record of one import."""

    source: str
    records: int = 0
    accepted: int = 0
    duplicates: int = 0
    accounts: int = 0
    rejected: int = 0
    self_reports: int = 0  # reporter = target: stored, never a voice
    conflicts: int = 0  # of the rejected: a stored report_id with other identity fields
    elapsed: float = 0.0
    rejects_path: Path | None = None
    # Why the file could not be read to its end (the records before that point are counted).
    unread: str | None = None
    ignored_fields: Counter[str] = field(default_factory=Counter)
    first_rejections: list[Rejection] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.records / self.elapsed if self.elapsed > 0 else 0.0

    def add(self, other: IngestSummary) -> None:
        names = (
            "records", "accepted", "duplicates", "accounts", "rejected", "self_reports", "conflicts"
        )  # fmt: skip
        for name in (*names, "elapsed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.ignored_fields.update(other.ignored_fields)
        self.first_rejections.extend(other.first_rejections[: 10 - len(self.first_rejections)])

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "records": self.records,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "accounts": self.accounts,
            "rejected": self.rejected,
            "self_reports": self.self_reports,
            "conflicts": self.conflicts,
            "elapsed_s": round(self.elapsed, 3),
            "rate_per_s": round(self.rate, 1),
            "rejects_file": str(self.rejects_path) if self.rejects_path else None,
            "unread": self.unread,
            "ignored_fields": dict(self.ignored_fields),
        }


class RejectSink:
    """Writes rejected records beside the input, created only when the first one arrives.

    Sensitive fields are redacted: a rejects file must not become a store of raw IP addresses.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._handle: IO[str] | None = None
        if path is not None and path.exists():
            path.unlink()  # stale from an earlier run of the same file

    def write(self, rejection: Rejection, raw: Mapping[str, Any] | None) -> None:
        if self.path is None:
            return
        if self._handle is None:
            try:
                self._handle = self.path.open("w", encoding="utf-8")
            except OSError as exc:
                raise InputFileError(f"{self.path}: cannot write the rejects file: {exc}") from exc
        record = None
        if raw is not None:
            record = {
                str(k)[:REJECT_VALUE_CHARS]: (REDACTED if k in SENSITIVE_FIELDS and v else _cut(v))
                for k, v in itertools.islice(raw.items(), REJECT_FIELDS)
            }
            if len(raw) > REJECT_FIELDS:
                record["..."] = f"{len(raw) - REJECT_FIELDS:,} more fields not kept here"
        line = {
            "location": rejection.location,
            "errors": [{"field": e.field, "message": e.message} for e in rejection.errors],
            "record": record,
        }
        self._handle.write(json.dumps(line, default=str, ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def _cut(value: Any) -> Any:
    """A value as a rejects file keeps it: long text (or a long nested value) cut, and said so."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    if len(text) <= REJECT_VALUE_CHARS:
        return value
    return text[:REJECT_VALUE_CHARS] + f"... [cut: {len(text):,} characters in all]"


def rejects_path_for(path: Path) -> Path:
    """``reports.jsonl`` -> ``reports.jsonl.rejects.jsonl``, beside the input."""
    return path.with_name(path.name + ".rejects.jsonl")


@dataclass
class Batch:
    """One batch on its way to the writer thread, with what a conflict report needs."""

    reports: Prepared
    accounts: Prepared
    events: list[ReportEvent]
    locations: list[str]


class _WriterThread:
    """Commits batches on a second thread while the caller validates the next one.

    sqlite3 and psycopg release the GIL while the database works, so on two cores validation and
    writing overlap. At most ``depth`` batches wait, which keeps memory flat; each batch is still
    its own transaction, so a crash loses at most the batches not yet committed.
    """

    def __init__(self, engine: Engine, writer: BulkWriter, summary: IngestSummary, depth: int = 2):
        self.engine = engine
        self.writer = writer
        self.summary = summary
        self.error: BaseException | None = None
        self.conflicts: list[tuple[str, list[FieldError], ReportEvent]] = []
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._run, name="reportguard-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self.error is not None:
                continue  # drain after a failure so the producer never blocks
            try:
                self._write(batch)
            except BaseException as exc:  # noqa: BLE001 - handed to the producer thread
                self.error = exc

    def _write(self, batch: Batch) -> None:
        conflicts: list[tuple[int, list[FieldError]]] = []
        with self.engine.begin() as conn:
            new = self.writer.execute(conn, batch.reports)
            self.writer.execute(conn, batch.accounts)
            if new < batch.reports.count:  # some ids were stored: duplicates, or conflicts
                conflicts = find_conflicts(conn, [Identity.of(e) for e in batch.events])
        self.summary.accepted += new
        self.summary.duplicates += batch.reports.count - new - len(conflicts)
        self.summary.accounts += batch.accounts.count
        self.conflicts.extend(
            (batch.locations[i], errors, batch.events[i]) for i, errors in conflicts
        )

    def put(self, batch: Batch) -> None:
        self._raise_if_failed()
        self._queue.put(batch)

    def close(self) -> None:
        """Wait for every queued batch to commit; re-raise the writer's error if it had one."""
        self._queue.put(None)
        self._thread.join()
        self._raise_if_failed()

    def close_quietly(self) -> None:
        """On the way out of a failure: stop the thread, keep the original exception."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error


@dataclass
class _Pending:
    """The rows of the batch being filled, with what a conflict report needs."""

    reports: list[tuple[Any, ...]] = field(default_factory=list)
    accounts: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[ReportEvent] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.reports) + len(self.accounts)


class _Taker:
    """Validates one raw record of an import into the batch, or names it in the rejects."""

    def __init__(
        self, importer: Importer, summary: IngestSummary, sink: RejectSink, source: str, run: int
    ) -> None:
        self.importer = importer
        self.summary = summary
        self.sink = sink
        self.source = source
        self.run = run
        self.now = datetime.now(UTC)
        self.context = importer.bounds.context()

    def __call__(self, location: str, raw: Mapping[str, Any] | BadLine, batch: _Pending) -> None:
        importer, summary = self.importer, self.summary
        summary.records += 1
        if isinstance(raw, BadLine):
            rejection = Rejection(self.source, location, [FieldError("", str(raw))])
            importer._reject(summary, self.sink, rejection, None)
            return
        if importer.field_map:
            raw = {importer.field_map.get(k, k): v for k, v in raw.items()}
        try:
            record = validated(raw, importer.kind, summary, self.context)
        except RecordError as exc:
            rejection = Rejection(self.source, location, exc.errors)
            importer._reject(summary, self.sink, rejection, raw)
            return
        if isinstance(record, ReportEvent):
            batch.reports.append(importer.report_row(record, self.run))
            batch.events.append(record)
            batch.locations.append(location)
        else:
            batch.accounts.append(importer.account_row(record, self.now))


class Importer:
    """Validates and stores records for one database; reusable across files and API batches."""

    def __init__(
        self,
        engine: Engine,
        hasher: IdentifierHasher,
        *,
        batch_size: int = 20_000,
        field_map: Mapping[str, str] | None = None,
        kind: Kind = "auto",
        defer_indexes: bool | None = None,
        bounds: TimeBounds | None = None,
    ) -> None:
        self.engine = engine
        self.bounds = bounds or TimeBounds()
        self.hasher = hasher
        self.batch_size = batch_size
        self.field_map = dict(field_map or {})
        self.kind: Kind = kind
        self.defer_indexes = defer_indexes
        self.writer = BulkWriter(engine)
        self._dialect = engine.dialect.name
        self._unknown_fields: dict[tuple[str, ...], tuple[str, ...]] = {}

    # -- public entry points -------------------------------------------------------------

    def import_file(
        self, path: Path, *, rejects: Path | None = None, progress: Progress | None = None
    ) -> IngestSummary:
        """Import one export file; rejected records go to ``rejects`` (default: beside it)."""
        reader = Reader(path)
        sink = RejectSink(rejects or rejects_path_for(path))
        expected = (
            reader.total if reader.fmt == "parquet" else reader.total // BYTES_PER_RECORD_ESTIMATE
        )
        defer = self._should_defer_indexes(expected)

        def tick() -> None:
            if progress is not None:
                progress(reader.done, reader.total)

        try:
            if defer:
                with self.engine.begin() as conn:
                    drop_deferrable_indexes(conn)
            summary = self.import_records(reader, source=path.name, sink=sink, on_batch=tick)
        finally:
            sink.close()
            if defer:
                ensure_indexes(self.engine)
        summary.rejects_path = sink.path if summary.rejected else None
        tick()
        return summary

    def import_records(
        self,
        records: Iterable[tuple[str, Mapping[str, Any] | BadLine]],
        *,
        source: str,
        sink: RejectSink | None = None,
        on_batch: Callable[[], None] | None = None,
    ) -> IngestSummary:
        """Import ``(location, raw record)`` pairs; the core shared by files and the API."""
        sink = sink or RejectSink(None)
        summary = IngestSummary(source=source)
        started = time.perf_counter()
        run_id = self._start_run(source)
        batch = _Pending()
        status = "failed"
        writer = _WriterThread(self.engine, self.writer, summary)
        take = _Taker(self, summary, sink, source, run_id)
        try:
            try:
                for location, raw in records:
                    take(location, raw, batch)
                    if batch.size >= self.batch_size:
                        writer.put(self._prepare(batch))
                        batch = _Pending()
                        if on_batch is not None:
                            on_batch()
            except ReadError as exc:
                # The file ends here for this import: what was read before is stored as usual,
                # and the summary says where reading stopped and why.
                summary.unread = str(exc)
            if batch.size:
                writer.put(self._prepare(batch))
            writer.close()
            for location, errors, event in writer.conflicts:
                summary.conflicts += 1
                raw = event.model_dump(mode="json", exclude_none=True)
                self._reject(summary, sink, Rejection(source, location, errors), raw)
            status = "done" if summary.unread is None else "incomplete"
        finally:
            if status == "failed":
                writer.close_quietly()
            summary.elapsed = time.perf_counter() - started
            self._finish_run(run_id, summary, status)
        return summary

    # -- steps ---------------------------------------------------------------------------

    def _should_defer_indexes(self, expected_records: int) -> bool:
        if self.defer_indexes is not None:
            return self.defer_indexes and self._dialect == "sqlite"
        if self._dialect != "sqlite" or expected_records < DEFER_INDEXES_MIN_ROWS:
            return False
        with self.engine.connect() as conn:
            stored = conn.execute(sa.select(sa.func.max(Report.id))).scalar() or 0
        return expected_records >= stored

    def _prepare(self, batch: _Pending) -> Batch:
        return Batch(
            self.writer.prepare_reports(batch.reports),
            self.writer.prepare_accounts(batch.accounts),
            batch.events,
            batch.locations,
        )

    def report_row(self, record: ReportEvent, run_id: int) -> tuple[Any, ...]:
        """The row in writer.REPORT_COLUMNS order."""
        return (
            record.report_id,
            record.reporter_id,
            record.target_id,
            record.content_id,
            record.reason,
            record.text,
            db_timestamp(record.created_at, self._dialect),
            record.source,
            record.referrer,
            record.surface,
            self.hasher.normalised_ip(record.ip) if record.ip else None,
            self.hasher.device(record.device) if record.device else None,
            run_id,
            record.outcome,
            db_timestamp(record.resolved_at, self._dialect) if record.resolved_at else None,
        )

    def account_row(self, record: AccountSnapshot, now: datetime) -> tuple[Any, ...]:
        """The row in writer.ACCOUNT_COLUMNS order."""
        return (
            record.account_id,
            db_timestamp(record.created_at, self._dialect),
            record.followers,
            record.following,
            record.posts,
            record.handle,
            record.verified,
            record.language,
            db_timestamp(record.snapshot_at or now, self._dialect),
        )

    @staticmethod
    def _reject(
        summary: IngestSummary,
        sink: RejectSink,
        rejection: Rejection,
        raw: Mapping[str, Any] | None,
    ) -> None:
        summary.rejected += 1
        if len(summary.first_rejections) < 10:
            summary.first_rejections.append(rejection)
        sink.write(rejection, raw)

    def _start_run(self, source: str) -> int:
        with Session(self.engine) as session, session.begin():
            run = IngestRun(
                source=source,
                started_at=datetime.now(UTC),
                status="running",
                records=0,
                accepted=0,
                duplicates=0,
                rejected=0,
                accounts=0,
            )
            session.add(run)
            session.flush()
            return run.id

    def _finish_run(self, run_id: int, summary: IngestSummary, status: str) -> None:
        with Session(self.engine) as session, session.begin():
            run = session.get_one(IngestRun, run_id)
            run.finished_at = datetime.now(UTC)
            run.status = status
            run.records = summary.records
            run.accepted = summary.accepted
            run.duplicates = summary.duplicates
            run.rejected = summary.rejected
            run.accounts = summary.accounts


def validated(
    raw: Mapping[str, Any],
    kind: Kind,
    summary: IngestSummary,
    context: Mapping[str, Any] | None = None,
) -> ReportEvent | AccountSnapshot:
    """One raw record checked against the contract (RecordError names each bad field); the
    fields it carries outside the contract are counted in ``summary``, never silently lost."""
    record = validate_record(raw, kind, context)
    known = REPORT_FIELDS if isinstance(record, ReportEvent) else ACCOUNT_FIELDS
    for key in raw.keys() - known:
        if key not in ("type", "record_type"):
            summary.ignored_fields[key] += 1
    if isinstance(record, ReportEvent) and record.reporter_id == record.target_id:
        summary.self_reports += 1
    return record
