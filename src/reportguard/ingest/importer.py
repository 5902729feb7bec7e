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
    CONTENT_FIELDS,
    REPORT_FIELDS,
    SENSITIVE_FIELDS,
    AccountSnapshot,
    ContentRecord,
    ReportEvent,
)
from reportguard.ingest.diagnose import HeaderMismatchError, diagnose_header
from reportguard.ingest.formats.base import Adapter, Converted
from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.plain import PlainReports
from reportguard.ingest.readers import BadLine, Reader, ReadError
from reportguard.ingest.validate import FieldError, Kind, RecordError, validate_record
from reportguard.ingest.writer import BulkWriter, Prepared
from reportguard.store.indexes import drop_deferrable_indexes, ensure_indexes
from reportguard.store.models import IngestRun, Report
from reportguard.store.types import as_utc, db_timestamp

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
    contents: int = 0  # content records (the reported items), stored or refreshed
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
            "records", "accepted", "duplicates", "accounts", "contents", "rejected", "self_reports",
            "conflicts",
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
            "contents": self.contents,
            "rejected": self.rejected,
            "self_reports": self.self_reports,
            "conflicts": self.conflicts,
            "elapsed_s": round(self.elapsed, 3),
            "rate_per_s": round(self.rate, 1),
            "rejects_file": str(self.rejects_path) if self.rejects_path else None,
            "unread": self.unread,
            "ignored_fields": dict(self.ignored_fields),
        }


def redact(value: Any, sensitive: frozenset[str]) -> Any:
    """A record with the values of sensitive fields replaced, at any depth (a platform's own
    export nests addresses, e.g. a Mastodon report's ``account.ip``)."""
    if isinstance(value, Mapping):
        return {
            k: (
                REDACTED if k in sensitive and v not in (None, "", [], {}) else redact(v, sensitive)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v, sensitive) for v in value]
    return value


# Names under which exports hold addresses and device ids; redacted in rejects files whatever
# the mapping says, besides the contract's own ``ip`` and ``device`` and the columns mapped to them.
RAW_IDENTIFIER_NAMES = frozenset(
    {"ips", "ip_address", "ipaddress", "client_ip", "remote_ip", "remote_addr", "device_id"}
)
NOTE_RESERVE = 400  # bytes kept free for the closing note of a capped rejects file
# A rejects file stops at its input's size, but never below this: a small file's few rejections
# (each line holds the record and its errors, longer than the record) are all written.
REJECTS_FLOOR = 64 * 1024


class RejectSink:
    """Writes rejected records beside the input, created only when the first one arrives.

    Sensitive fields are redacted: a rejects file must not become a store of raw IP addresses.
    The file never grows beyond ``limit_bytes`` (the input's size): the rejections past it are
    counted, and a last line says how many were not written.
    """

    def __init__(
        self,
        path: Path | None,
        *,
        sensitive: frozenset[str] = SENSITIVE_FIELDS,
        limit_bytes: int | None = None,
    ) -> None:
        self.path = path
        self.sensitive = sensitive | RAW_IDENTIFIER_NAMES
        self.limit_bytes = limit_bytes
        self.written = 0
        self.omitted = 0
        self._handle: IO[str] | None = None
        if path is not None and path.exists():
            path.unlink()  # stale from an earlier run of the same file

    def write(self, rejection: Rejection, raw: Mapping[str, Any] | None) -> None:
        if self.path is None:
            return
        record = None
        if isinstance(raw, Converted):
            raw = raw.source
        if raw is not None:
            record = _capped(redact(raw, self.sensitive))
        line = {
            "location": rejection.location,
            "errors": [{"field": e.field, "message": e.message} for e in rejection.errors],
            "record": record,
        }
        self.write_line(line)

    def write_line(self, line: Mapping[str, Any]) -> None:
        """One line as it is (a diagnosis of the whole file, say), under the same size cap."""
        if self.path is None:
            return
        text = json.dumps(line, default=str, ensure_ascii=False) + "\n"
        size = len(text.encode())
        if self.limit_bytes is not None and self.written + size > self.limit_bytes - NOTE_RESERVE:
            self.omitted += 1
            return
        self._open().write(text)
        self.written += size

    def _open(self) -> IO[str]:
        if self._handle is None:
            assert self.path is not None
            try:
                self._handle = self.path.open("w", encoding="utf-8")
            except OSError as exc:
                raise InputFileError(f"{self.path}: cannot write the rejects file: {exc}") from exc
        return self._handle

    def close(self) -> None:
        if self.omitted and self.path is not None:
            note = {
                "location": "end",
                "errors": [
                    {
                        "field": "",
                        "message": f"{self.omitted:,} more rejected records are not written "
                        "here: a rejects file stops before it outgrows its input",
                    }
                ],
                "record": None,
            }
            self._open().write(json.dumps(note) + "\n")
        if self._handle is not None:
            self._handle.close()


def _capped(record: Any) -> Any:
    """A record as a rejects file keeps it: at most ``REJECT_FIELDS`` fields, long values cut."""
    if not isinstance(record, Mapping):
        return _cut(record)
    kept: dict[str, Any] = {
        str(k)[:REJECT_VALUE_CHARS]: _cut(v)
        for k, v in itertools.islice(record.items(), REJECT_FIELDS)
    }
    if len(record) > REJECT_FIELDS:
        kept["..."] = f"{len(record) - REJECT_FIELDS:,} more fields not kept here"
    return kept


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
    contents: Prepared
    report_rows: list[tuple[Any, ...]]
    # What each report came from: its validated record, or the raw record of the fast path
    # (validated again only when it conflicts, to show it in the rejects file).
    sources: list[ReportEvent | Mapping[str, Any]]
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
        self.conflicts: list[tuple[str, list[FieldError], ReportEvent | Mapping[str, Any]]] = []
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
            self.writer.execute(conn, batch.contents)
            if new < batch.reports.count:  # some ids were stored: duplicates, or conflicts
                conflicts = find_conflicts(conn, [_identity(row) for row in batch.report_rows])
        self.summary.accepted += new
        self.summary.duplicates += batch.reports.count - new - len(conflicts)
        self.summary.accounts += batch.accounts.count
        self.summary.contents += batch.contents.count
        self.conflicts.extend(
            (batch.locations[i], errors, batch.sources[i]) for i, errors in conflicts
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


class _Pending:
    """The rows of the batch being filled, by table, in the order the writer wants them."""

    def __init__(self, importer: Importer, run_id: int, now: datetime) -> None:
        self.importer, self.run_id, self.now = importer, run_id, now
        self._clear()

    def _clear(self) -> None:
        self.reports: list[tuple[Any, ...]] = []
        self.accounts: list[tuple[Any, ...]] = []
        self.contents: list[tuple[Any, ...]] = []
        self.sources: list[ReportEvent | Mapping[str, Any]] = []
        self.locations: list[str] = []

    @property
    def size(self) -> int:
        return len(self.reports) + len(self.accounts) + len(self.contents)

    def add(self, record: ReportEvent | AccountSnapshot | ContentRecord, location: str) -> None:
        if isinstance(record, ReportEvent):
            self.add_report_row(self.importer.report_row(record, self.run_id), record, location)
        elif isinstance(record, ContentRecord):
            self.contents.append(self.importer.content_row(record, self.now))
        else:
            self.accounts.append(self.importer.account_row(record, self.now))

    def add_report_row(
        self, row: tuple[Any, ...], source: ReportEvent | Mapping[str, Any], location: str
    ) -> None:
        self.reports.append(row)
        self.sources.append(source)
        self.locations.append(location)

    def take(self) -> Batch:
        writer = self.importer.writer
        batch = Batch(
            writer.prepare_reports(self.reports),
            writer.prepare_accounts(self.accounts),
            writer.prepare_contents(self.contents),
            self.reports,
            self.sources,
            self.locations,
        )
        self._clear()
        return batch


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
        adapter: Adapter | None = None,
    ) -> None:
        self.engine = engine
        self.bounds = bounds or TimeBounds()
        self.hasher = hasher
        self.batch_size = batch_size
        self.field_map = dict(field_map or {})
        self.kind: Kind = kind
        self.defer_indexes = defer_indexes
        self.adapter = adapter
        self.writer = BulkWriter(engine)
        self._dialect = engine.dialect.name
        self._unknown_fields: dict[tuple[str, ...], tuple[str, ...]] = {}

    # -- public entry points -------------------------------------------------------------

    def import_file(
        self, path: Path, *, rejects: Path | None = None, progress: Progress | None = None
    ) -> IngestSummary:
        """Import one export file; rejected records go to ``rejects`` (default: beside it)."""
        reader = Reader(path, whole_json=self.adapter is not None)
        sink = RejectSink(
            rejects or rejects_path_for(path),
            sensitive=self.sensitive_fields(),
            limit_bytes=max(path.stat().st_size, REJECTS_FLOOR),
        )
        if self.adapter is None:
            self._check_header(reader, path, sink)
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

    def sensitive_fields(self) -> frozenset[str]:
        """The contract's network identifiers and every column the mapping sends to them."""
        mapped = {k for k, v in self.field_map.items() if v in SENSITIVE_FIELDS}
        return SENSITIVE_FIELDS | mapped

    def _check_header(self, reader: Reader, path: Path, sink: RejectSink) -> None:
        """Stop before the import when the first records lack a required field altogether: one
        message with the columns seen and the ``--map`` that fixes it, instead of a rejection
        per row (a foreign header would otherwise reject every record of the file)."""
        first: list[Mapping[str, Any]] = []
        records = iter(Reader(reader.path, reader.fmt))  # its own progress, not the import's
        try:
            for _, raw in records:
                if not isinstance(raw, BadLine):
                    first.append(raw)
                if len(first) >= HEADER_SAMPLE:
                    break
        finally:
            close = getattr(records, "close", None)
            if close is not None:
                close()
        found = diagnose_header(first, field_map=self.field_map, kind=self.kind)
        if found is None:
            return
        sink.write_line(found.as_line())
        sink.close()
        raise HeaderMismatchError(f"{path}: {found.message}")

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
        pending = _Pending(self, run_id, datetime.now(UTC))
        status = "failed"
        writer = _WriterThread(self.engine, self.writer, summary)
        context = self.bounds.context()
        plain = self._plain_reports(context)
        try:
            try:
                for location, raw in records:
                    summary.records += 1
                    if plain is None or not self._add_plain(plain, raw, location, summary, pending):
                        for record in self._records_of(
                            raw, location, source, summary, sink, context
                        ):
                            pending.add(record, location)
                    if pending.size >= self.batch_size:
                        writer.put(pending.take())
                        if on_batch is not None:
                            on_batch()
            except ReadError as exc:
                # The file ends here for this import: what was read before is stored as usual,
                # and the summary says where reading stopped and why.
                summary.unread = str(exc)
            if pending.size:
                writer.put(pending.take())
            writer.close()
            for location, errors, origin in writer.conflicts:
                summary.conflicts += 1
                event = (
                    origin
                    if isinstance(origin, ReportEvent)
                    else validate_record(origin, self.kind, context)
                )
                raw = event.model_dump(mode="json", exclude_none=True)
                self._reject(summary, sink, Rejection(source, location, errors), raw)
            status = "done" if summary.unread is None else "incomplete"
        finally:
            if status == "failed":
                writer.close_quietly()
            summary.elapsed = time.perf_counter() - started
            self._finish_run(run_id, summary, status)
        return summary

    def _records_of(  # noqa: PLR0917 - the loop's state, passed on
        self,
        raw: Mapping[str, Any] | BadLine,
        location: str,
        source: str,
        summary: IngestSummary,
        sink: RejectSink,
        context: Mapping[str, Any],
    ) -> list[ReportEvent | AccountSnapshot | ContentRecord]:
        """The valid contract records one raw record holds; the rest are rejected, named."""
        if isinstance(raw, BadLine):
            self._reject(
                summary, sink, Rejection(source, location, [FieldError("", str(raw))]), None
            )
            return []
        try:
            items = self._expand(raw)
        except RecordError as exc:
            self._reject(summary, sink, Rejection(source, location, exc.errors), raw)
            return []
        out = []
        for item in items:
            try:
                out.append(validated(item, self.kind, summary, context))
            except RecordError as exc:
                errors = _origin_names(exc.errors, item)
                shown = item if isinstance(item, Converted) else raw
                self._reject(summary, sink, Rejection(source, location, errors), shown)
        return out

    # -- steps ---------------------------------------------------------------------------

    def _plain_reports(self, context: Mapping[str, Any]) -> PlainReports | None:
        """The fast path for plain report records, where records are reports as they come."""
        if self.adapter is not None or self.kind not in ("auto", "report"):
            return None
        return PlainReports(self.hasher, context, self._dialect)

    def _add_plain(
        self,
        plain: PlainReports,
        raw: Mapping[str, Any] | BadLine,
        location: str,
        summary: IngestSummary,
        pending: _Pending,
    ) -> bool:
        """Add a plain report record by the fast path; False where the full contract decides."""
        if isinstance(raw, BadLine):
            return False
        item = self._expand(raw)[0]
        shape = plain.shape(item)
        row = plain.row(item, pending.run_id, shape)
        if row is None:
            return False
        for key in shape.ignored:
            summary.ignored_fields[key] += 1
        if row[1] == row[2]:
            summary.self_reports += 1
        pending.add_report_row(row, item, location)
        return True

    def _expand(self, raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """One raw record as contract records: a platform format's adapter may make a report, its
        accounts and its content of one record; a plain record is renamed by ``--map``."""
        if self.adapter is not None:
            return list(self.adapter(raw))
        if self.field_map:
            return [{self.field_map.get(k, k): v for k, v in raw.items()}]
        return [raw]

    def _should_defer_indexes(self, expected_records: int) -> bool:
        if self.defer_indexes is not None:
            return self.defer_indexes and self._dialect == "sqlite"
        if self._dialect != "sqlite" or expected_records < DEFER_INDEXES_MIN_ROWS:
            return False
        with self.engine.connect() as conn:
            stored = conn.execute(sa.select(sa.func.max(Report.id))).scalar() or 0
        return expected_records >= stored

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
            record.reporter_kind,
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

    def content_row(self, record: ContentRecord, now: datetime) -> tuple[Any, ...]:
        """The row in writer.CONTENT_COLUMNS order."""
        return (
            record.content_id,
            record.account_id,
            record.kind,
            record.title,
            record.text,
            record.media_url,
            record.url,
            record.visibility,
            db_timestamp(record.created_at, self._dialect) if record.created_at else None,
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


def _identity(row: tuple[Any, ...]) -> Identity:
    """The identity of a report row (``writer.REPORT_COLUMNS`` order); SQLite rows carry their
    time as the stored text."""
    created = row[6]
    if isinstance(created, str):
        created = datetime.fromisoformat(created)
    return Identity(row[0], row[1], row[2], row[3], as_utc(created))


HEADER_SAMPLE = 100  # records read to diagnose a foreign header before importing


def _origin_names(errors: list[FieldError], item: Mapping[str, Any]) -> list[FieldError]:
    """Errors of a record an adapter made, named by the platform's own field (``statuses[0].url``)
    rather than the contract's."""
    if not isinstance(item, Converted):
        return errors
    return [FieldError(item.origin.get(e.field, e.field), e.message) for e in errors]


def validated(
    raw: Mapping[str, Any],
    kind: Kind,
    summary: IngestSummary,
    context: Mapping[str, Any] | None = None,
) -> ReportEvent | AccountSnapshot | ContentRecord:
    """One raw record checked against the contract (RecordError names each bad field); the
    fields it carries outside the contract are counted in ``summary``, never silently lost."""
    record = validate_record(raw, kind, context)
    if isinstance(record, ReportEvent):
        known = REPORT_FIELDS
    elif isinstance(record, ContentRecord):
        known = CONTENT_FIELDS
    else:
        known = ACCOUNT_FIELDS
    for key in raw.keys() - known:
        if key not in ("type", "record_type"):
            summary.ignored_fields[key] += 1
    if isinstance(record, ReportEvent) and record.reporter_id == record.target_id:
        summary.self_reports += 1
    return record
