"""Send statements of reasons to the DSA Transparency Database, each exactly once.

Batches of at most 100 go to the database's multiple-statements endpoint with the operator's
token. What the database accepted is recorded by ``puid`` (table ``dsa_submissions``) in the
same transaction as its audit entry, so a re-run after a crash sends only what was never
accepted. A crash between the database's answer and that commit is covered by the database
itself: it refuses a ``puid`` it holds and names it in ``existing_puids``; those are recorded as
already there and the rest of the batch is sent again. Refusals of load (429, 5xx, a broken
connection) are retried with exponential backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.errors import ConfigError, ReportGuardError
from reportguard.oversight.dsa import Statement, batches
from reportguard.store import audit
from reportguard.store.models import DsaSubmission

MAX_BATCH = 100  # the database takes 1 to 100 statements a call


class SubmitError(ReportGuardError):
    """The database refused a batch for a reason a retry cannot fix; what it accepted is kept."""


@dataclass
class SubmitSummary:
    endpoint: str
    statements: int = 0
    skipped: int = 0  # accepted by an earlier run
    created: int = 0
    already_there: int = 0  # held by the database already (an earlier run's unrecorded batch)
    calls: int = 0
    retries: int = 0
    puids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "puids"}


def submit_statements(
    engine: Engine,
    found: list[Statement],
    *,
    endpoint: str,
    token: str,
    actor: str = "cli",
    batch_size: int = MAX_BATCH,
    retries: int = 5,
    backoff: float = 1.0,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SubmitSummary:
    """Send every statement the database has not accepted yet; returns what became of them."""
    if not endpoint.startswith(("https://", "http://")):
        raise ConfigError(f"{endpoint}: the submission URL must start with https://")
    summary = SubmitSummary(endpoint=endpoint, statements=len(found))
    done = _submitted(engine, [s.puid for s in found])
    todo = [s for s in found if s.puid not in done]
    summary.skipped = len(found) - len(todo)
    own = client is None
    http = client or httpx.Client(timeout=60.0)
    try:
        for batch in batches(todo, min(batch_size, MAX_BATCH)):
            _send(engine, http, batch, summary, token=token, actor=actor, retries=retries,
                  backoff=backoff, sleep=sleep)  # fmt: skip
    finally:
        if own:
            http.close()
    return summary


def _submitted(engine: Engine, puids: list[str]) -> set[str]:
    from reportguard.store.sql import chunked

    seen: set[str] = set()
    with engine.connect() as conn:
        for part in chunked(sorted(set(puids))):
            seen.update(
                conn.scalars(sa.select(DsaSubmission.puid).where(DsaSubmission.puid.in_(part)))
            )
    return seen


def _send(
    engine: Engine,
    http: httpx.Client,
    batch: list[Statement],
    summary: SubmitSummary,
    *,
    token: str,
    actor: str,
    retries: int,
    backoff: float,
    sleep: Callable[[float], None],
) -> None:
    pending = list(batch)
    attempt = 0
    while pending:
        summary.calls += 1
        try:
            answer = http.post(
                summary.endpoint,
                json={"statements": [s.body for s in pending]},
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            attempt = _wait(attempt, retries, backoff, sleep, summary, f"no answer ({exc})")
            continue
        if answer.status_code in (429, 500, 502, 503, 504):
            attempt = _wait(attempt, retries, backoff, sleep, summary, f"HTTP {answer.status_code}")
            continue
        if answer.status_code in (401, 403):
            raise ConfigError(
                f"{summary.endpoint}: the token was refused (HTTP {answer.status_code}); check "
                "REPORTGUARD_DSA_TOKEN or REPORTGUARD_DSA_TOKEN_FILE"
            )
        if answer.status_code in (200, 201):
            _record(engine, pending, "created", summary, actor)
            return
        held = _existing(answer)
        if answer.status_code == 422 and held:
            there = [s for s in pending if s.puid in held]
            _record(engine, there, "already_there", summary, actor)
            pending = [s for s in pending if s.puid not in held]
            continue
        raise SubmitError(
            f"{summary.endpoint}: HTTP {answer.status_code}, the batch was refused: "
            f"{answer.text[:1000]}"
        )


def _wait(  # noqa: PLR0917 - the retry's state
    attempt: int,
    retries: int,
    backoff: float,
    sleep: Callable[[float], None],
    summary: SubmitSummary,
    why: str,
) -> int:
    if attempt >= retries:
        raise SubmitError(
            f"{summary.endpoint}: {why} after {retries + 1} tries; {summary.created:,} statements "
            "were accepted and recorded, run again to send the rest"
        )
    sleep(backoff * 2**attempt)
    summary.retries += 1
    return attempt + 1


def _existing(answer: httpx.Response) -> set[str]:
    try:
        errors = answer.json().get("errors") or {}
    except ValueError:
        return set()
    held = errors.get("existing_puids") if isinstance(errors, dict) else None
    return {str(p) for p in held} if isinstance(held, list) else set()


def _record(
    engine: Engine, accepted: list[Statement], answer: str, summary: SubmitSummary, actor: str
) -> None:
    """The accepted puids and their audit entry, in one transaction."""
    if not accepted:
        return
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        session.add_all(
            DsaSubmission(
                puid=s.puid,
                action_id=s.action_id,
                endpoint=summary.endpoint,
                submitted_at=now,
                answer=answer,
            )
            for s in accepted
        )
        audit.append(
            session,
            [
                audit.Event(
                    actor=actor,
                    event="dsa_statements_submitted",
                    subject_type="dsa_batch",
                    subject_id=accepted[0].puid,
                    payload={
                        "endpoint": summary.endpoint,
                        "answer": answer,
                        "statements": len(accepted),
                        "puids": [s.puid for s in accepted],
                    },
                    at=now,
                )
            ],
        )
    if answer == "created":
        summary.created += len(accepted)
    else:
        summary.already_there += len(accepted)
    summary.puids += [s.puid for s in accepted]
