"""A reused ``report_id`` that says something else is a conflict, not a duplicate.

``report_id`` is the natural key: a record sent again (a re-run, a retried request, an export
that overlaps the last one) is a duplicate and is skipped. But a record that reuses a stored id
for another reporter, target, content or time is a different report, or a broken export: storing
it would overwrite evidence and skipping it silently would lose it. Either way a person has to
look, so it is named with the stored values, the stored report is kept, and the import says so.

Only batches in which the database skipped a row are checked, so a clean import pays nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection

from reportguard.ingest.contract import ReportEvent
from reportguard.ingest.validate import FieldError
from reportguard.store.models import Report
from reportguard.store.sql import chunked
from reportguard.store.types import as_utc

# What makes two records the same report. Reason, text and the other fields may be corrected by a
# later export (a platform re-labels a report), so they are left to the stored record.
IDENTITY_FIELDS = ("reporter_id", "target_id", "content_id", "created_at")


@dataclass(frozen=True)
class Identity:
    """The fields that must agree for a record to be a duplicate of the stored report."""

    report_id: str
    reporter_id: str
    target_id: str
    content_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, record: ReportEvent) -> Identity:
        return cls(
            record.report_id,
            record.reporter_id,
            record.target_id,
            record.content_id,
            as_utc(record.created_at),
        )


def find_conflicts(
    conn: Connection, identities: Sequence[Identity]
) -> list[tuple[int, list[FieldError]]]:
    """``(index, errors)`` for each record whose id is stored with other identity fields.

    Call it after the batch was inserted in the same transaction: a record that was new is then
    its own stored row and agrees with itself, and of two records with one id in a batch the
    second is compared with the first.
    """
    stored: dict[str, tuple[object, ...]] = {}
    columns = [Report.report_id, *(getattr(Report, name) for name in IDENTITY_FIELDS)]
    for part in chunked(sorted({i.report_id for i in identities})):
        for row in conn.execute(sa.select(*columns).where(Report.report_id.in_(part))):
            stored[row[0]] = (*row[1:4], as_utc(row[4]))
    out = []
    for index, new in enumerate(identities):
        kept = stored.get(new.report_id)
        if kept is None:  # pragma: no cover - the insert just stored or found it
            continue
        errors = [
            FieldError(
                name,
                f"report_id {new.report_id!r} is already stored with {name} "
                f"{_shown(old)}, this record says {_shown(value)}; the stored report is kept "
                "(a different report needs its own report_id)",
            )
            for name, old, value in zip(IDENTITY_FIELDS, kept, _values(new), strict=True)
            if old != value
        ]
        if errors:
            out.append((index, errors))
    return out


def _values(identity: Identity) -> tuple[object, ...]:
    return identity.reporter_id, identity.target_id, identity.content_id, identity.created_at


def _shown(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value)
