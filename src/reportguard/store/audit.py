"""The audit log: append-only and hash-chained, so an altered or removed entry shows.

Each entry's hash covers its own fields and the previous entry's hash. ``verify`` walks the chain:
a changed field breaks that entry's hash, a removed entry leaves a gap in the sequence numbers or
a broken link. Removing entries from the end is caught by comparing the head hash that ``verify``
prints with one kept elsewhere (a transparency report, a ticket).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.store.models import AuditEntry

GENESIS = "0" * 64
_LOCK_KEY = 0x5245504F  # PostgreSQL advisory lock id: one appender at a time
_via_key: ContextVar[str | None] = ContextVar("reportguard_audit_via_key", default=None)


@contextmanager
def via_key(key_id: str) -> Iterator[None]:
    """Every entry recorded inside names the API key that asked for the change."""
    token = _via_key.set(key_id)
    try:
        yield
    finally:
        _via_key.reset(token)


_HASHED = ("seq", "at", "actor", "event", "subject_type", "subject_id", "payload")


def _digest(prev_hash: str, entry: AuditEntry | dict[str, Any]) -> str:
    f = entry if isinstance(entry, dict) else {k: getattr(entry, k) for k in _HASHED}
    body = json.dumps(
        [
            f["seq"],
            f["at"].astimezone(UTC).isoformat(timespec="microseconds"),
            f["actor"],
            f["event"],
            f["subject_type"],
            f["subject_id"],
            f["payload"],
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


@dataclass(frozen=True)
class Event:
    """One entry to append, before it has a place in the chain."""

    actor: str
    event: str
    subject_type: str
    subject_id: str | int
    payload: dict[str, Any] | None = None
    at: datetime | None = None
    via_key: str | None = None


def current_key() -> str | None:
    """The API key of the request being served, for work handed to another thread."""
    return _via_key.get()


def record(
    session: Session,
    *,
    actor: str,
    event: str,
    subject_type: str,
    subject_id: str | int,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Append one entry in the caller's transaction (so it lands exactly when the change does)."""
    event_ = Event(actor, event, subject_type, subject_id, payload, at, _via_key.get())
    return append(session, [event_])[0]


def append(session: Session, events: list[Event]) -> list[dict[str, Any]]:
    """Append entries in the caller's transaction, chained in the order given; returns the rows.

    Appenders take turns (an advisory lock on PostgreSQL, the write lock on SQLite), so the
    chain never forks; several entries cost one turn, one read of the head and one insert.
    """
    session.flush()  # the caller's pending changes land before the entries that record them
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    log = AuditEntry.__table__
    assert isinstance(log, sa.Table)
    last = session.execute(
        sa.select(log.c.seq, log.c.hash).order_by(log.c.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    now = datetime.now(UTC)
    entries = []
    for offset, event in enumerate(events):
        payload = dict(event.payload or {})
        if event.via_key is not None:
            payload["via_key"] = event.via_key
        entry = {
            "seq": seq + offset,
            "at": event.at or now,
            "actor": event.actor,
            "event": event.event,
            "subject_type": event.subject_type,
            "subject_id": str(event.subject_id),
            "payload": json.loads(json.dumps(payload, default=str)),  # what the JSON column holds
            "prev_hash": prev,
        }
        entry["hash"] = prev = _digest(prev, entry)
        entries.append(entry)
    if entries:
        session.execute(sa.insert(log), entries)
    return entries


@dataclass
class Verification:
    ok: bool
    entries: int
    head: str
    problems: list[str]


def verify(engine: Engine, *, limit_problems: int = 20) -> Verification:
    """Recompute the chain from the first entry; name every entry that does not fit."""
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    with Session(engine) as session:
        rows = session.execute(sa.select(AuditEntry).order_by(AuditEntry.seq)).scalars()
        for entry in rows:
            count += 1
            if entry.seq != expected_seq:
                problems.append(
                    f"entry {expected_seq}"
                    + (f" to {entry.seq - 1}" if entry.seq - 1 > expected_seq else "")
                    + " missing"
                )
            if entry.prev_hash != prev:
                problems.append(f"entry {entry.seq}: does not link to the entry before it")
            digest = _digest(entry.prev_hash, entry)
            if digest != entry.hash:
                problems.append(f"entry {entry.seq} ({entry.event}): content altered")
            prev, expected_seq = entry.hash, entry.seq + 1
            if len(problems) >= limit_problems:
                break
    return Verification(ok=not problems, entries=count, head=prev, problems=problems)


def note_policy(session: Session, policy: Any, *, actor: str, at: datetime | None = None) -> bool:
    """Record the policy in force when it differs from the last one recorded (a policy change).

    Called by every step that decides under a policy, so the log shows which rules applied.
    """
    body = policy.model_dump(mode="json")
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    last = session.scalars(
        sa.select(AuditEntry.payload)
        .where(AuditEntry.event == "policy")
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    if last is not None and last.get("sha256") == digest:
        return False
    record(
        session,
        actor=actor,
        event="policy",
        subject_type="policy",
        subject_id=f"{body.get('name')} {body.get('version')}",
        payload={
            "sha256": digest,
            "previous": last.get("sha256") if last else None,
            "policy": body,
        },
        at=at,
    )
    return True
