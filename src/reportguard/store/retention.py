"""Keeping personal data no longer than needed: retention by age, and erasure of one account.

What reporters send is pruned in steps (the policy's ``[retention]``): hashed network identifiers
first, then texts and referrers, then the reports themselves, except those of open cases (a case
still in front of a moderator keeps its evidence). Erasure removes what one account gave: the
texts, identifiers and referrers of its reports, its account snapshot, its appeal statements and
the notices addressed to it.

Neither touches the audit log. It is hash-chained (``store/audit.py``): changing an entry would
break ``audit verify`` for every entry after it, and it is the record of who decided what and
why. Each pruning and each erasure is itself recorded there, with counts and never content.
What the audit log keeps is listed in docs/operations.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.store import audit
from reportguard.store.models import (
    Account,
    Appeal,
    Case,
    CaseReport,
    IdempotencyRecord,
    Notice,
    Report,
)
from reportguard.store.sql import chunked

ERASED = "[erased]"


@dataclass(frozen=True)
class Keep:
    """How long each kind of data is kept."""

    identifiers: timedelta
    texts: timedelta
    reports: timedelta
    answers: timedelta


@dataclass
class Pruned:
    """What one pruning removed."""

    identifiers: int = 0
    texts: int = 0
    reports: int = 0
    answers: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def prune(
    engine: Engine, keep: Keep, *, now: datetime, actor: str = "retention", dry_run: bool = False
) -> Pruned:
    """Apply ``keep`` as of ``now``, in one transaction, recorded in the audit log; with
    ``dry_run`` the same counts, the transaction rolled back."""

    def before(age: timedelta) -> datetime:
        return now - age

    pruned = Pruned()
    with Session(engine) as session:
        pruned.identifiers = _count(
            session.execute(
                sa.update(Report)
                .where(
                    Report.created_at < before(keep.identifiers),
                    sa.or_(Report.ip_hash.is_not(None), Report.device_hash.is_not(None)),
                )
                .values(ip_hash=None, device_hash=None)
            )
        )
        pruned.texts = _count(
            session.execute(
                sa.update(Report)
                .where(
                    Report.created_at < before(keep.texts),
                    sa.or_(Report.text.is_not(None), Report.referrer.is_not(None)),
                )
                .values(text=None, referrer=None)
            )
        )
        in_open_case = (
            sa.select(CaseReport.report_pk)
            .join(Case, Case.id == CaseReport.case_id)
            .where(Case.status == "open")
        )
        pruned.reports = _count(
            session.execute(
                sa.delete(Report).where(
                    Report.created_at < before(keep.reports), Report.id.not_in(in_open_case)
                )
            )
        )
        pruned.answers = _count(
            session.execute(
                sa.delete(IdempotencyRecord).where(
                    IdempotencyRecord.created_at < now - keep.answers
                )
            )
        )
        audit.record(
            session,
            actor=actor,
            event="retention_applied",
            subject_type="database",
            subject_id="reports",
            payload={
                "removed": pruned.as_dict(),
                "kept_days": {k: v.days for k, v in asdict(keep).items()},
            },
            at=now,
        )
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return pruned


@dataclass
class Erased:
    """What the erasure of one account's data removed."""

    reports: int = 0  # its reports whose text, referrer and identifiers were removed
    account: int = 0  # its snapshot (0 or 1)
    appeals: int = 0  # its appeal statements
    notices: int = 0  # notices addressed to it

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def erase_account(engine: Engine, account_id: str, *, actor: str, now: datetime) -> Erased:
    """Remove what ``account_id`` gave or was sent, in one transaction, recorded in the audit
    log (the account's id and the counts, nothing erased)."""
    erased = Erased()
    with Session(engine) as session, session.begin():
        erased.reports = _count(
            session.execute(
                sa.update(Report)
                .where(Report.reporter_id == account_id)
                .values(text=None, referrer=None, ip_hash=None, device_hash=None)
            )
        )
        erased.account = _count(
            session.execute(sa.delete(Account).where(Account.account_id == account_id))
        )
        erased.appeals = _count(
            session.execute(
                sa.update(Appeal)
                .where(Appeal.appellant_id == account_id, Appeal.statement.is_not(None))
                .values(statement=None)
            )
        )
        notices = list(
            session.scalars(sa.select(Notice.id).where(Notice.recipient_id == account_id))
        )
        for ids in chunked(notices):
            session.execute(
                sa.update(Notice)
                .where(Notice.id.in_(ids))
                .values(title=ERASED, body=ERASED, data={})
            )
        erased.notices = len(notices)
        audit.record(
            session,
            actor=actor,
            event="account_erased",
            subject_type="account",
            subject_id=account_id,
            payload={"removed": erased.as_dict()},
            at=now,
        )
    return erased


def _count(result: Any) -> int:
    return int(result.rowcount or 0)
