"""Deliver events to the platform as signed webhooks, through an outbox table.

An event is written to the outbox in the same transaction as the change it reports, so nothing is
lost if the process stops; a dispatcher posts due events, records every attempt, and retries
failures with exponential backoff. Each event keeps its id across retries, so the platform can
drop duplicates (delivery is at least once; the id makes it idempotent).

Signing follows the Standard Webhooks scheme: headers ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature`` = ``v1,`` + base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}")), with a
secret written ``whsec_`` + base64. Receivers can verify with the ``standardwebhooks`` library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.errors import ConfigError
from reportguard.store.models import WebhookAttempt, WebhookDelivery

MAX_BACKOFF = timedelta(hours=1)


def enqueue(
    session: Session, *, event_id: str, event_type: str, data: dict[str, Any], now: datetime
) -> bool:
    """Add an event to the outbox in the caller's transaction; False if that id is there already."""
    exists = session.scalar(
        sa.select(WebhookDelivery.id).where(WebhookDelivery.event_id == event_id)
    )
    if exists is not None:
        return False
    session.add(WebhookDelivery(**outbox_row(event_id, event_type, data, now)))
    session.flush()
    return True


def outbox_row(
    event_id: str, event_type: str, data: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The outbox row of an event, for callers that insert many at once."""
    payload = {"type": event_type, "timestamp": now.isoformat(), "data": data}
    return {
        "event_id": event_id,
        "event_type": event_type,
        "payload": json.loads(json.dumps(payload, default=str)),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def secret_bytes(secret: str) -> bytes:
    """The key of a ``whsec_...`` secret (base64), or the raw text of any other secret."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except ValueError as exc:
            raise ConfigError("webhook secret: whsec_ must be followed by base64") from exc
    if len(secret) < 16:
        raise ConfigError("webhook secret is too short: use at least 16 characters")
    return secret.encode()


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one delivery."""
    message = f"{event_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def backoff(attempts: int, *, base: float = 5.0) -> timedelta:
    """Wait after the n-th failed attempt: 5 s, 10 s, 20 s, ... at most an hour."""
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass(frozen=True)
class _Claimed:
    """An event one dispatcher holds until its lease runs out."""

    id: int
    event_id: str
    payload: dict[str, Any]
    attempts: int


@dataclass
class DeliveryReport:
    attempted: int = 0
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0


class Dispatcher:
    """Posts due outbox events to one URL; safe to run again at any time."""

    def __init__(
        self,
        engine: Engine,
        *,
        url: str,
        secret: str,
        timeout: float = 10.0,
        max_attempts: int = 25,
        backoff_base: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        secret_bytes(secret)  # refuse a bad secret before the first delivery
        self.engine = engine
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.client = client or httpx.Client(timeout=timeout)

    def deliver_due(self, *, now: datetime | None = None, limit: int = 100) -> DeliveryReport:
        """Try up to ``limit`` pending events whose time has come, oldest first.

        Each event is *claimed* before it is sent: a short transaction moves its next attempt
        past a lease, so any number of dispatchers (processes, machines) send each event once.
        Only an event in flight when a dispatcher dies is sent again, after its lease runs out;
        receivers drop that repeat by its ``webhook-id``.
        """
        now = now or datetime.now(UTC)
        report = DeliveryReport()
        for _ in range(limit):
            claimed = self._claim(now)
            if claimed is None:
                break
            self._attempt(claimed, now, report)
        return report

    @property
    def lease(self) -> timedelta:
        """How long a claim holds: longer than one post can take, with a margin."""
        return timedelta(seconds=2 * self.timeout + 30)

    def _claim(self, now: datetime) -> _Claimed | None:
        """Take the oldest due event for this dispatcher, or None when nothing is due."""
        out = WebhookDelivery
        due = (
            sa.select(out.id)
            .where(out.status == "pending", out.next_attempt_at <= now)
            .order_by(out.id)
            .limit(1)
        )
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # others' claims are skipped, not waited for
                due = due.with_for_update(skip_locked=True)
            row = conn.execute(
                sa.update(out)
                .where(
                    out.id == due.scalar_subquery(),
                    out.status == "pending",
                    out.next_attempt_at <= now,  # re-checked by the update itself
                )
                .values(next_attempt_at=now + self.lease)
                .returning(out.id, out.event_id, out.payload, out.attempts)
            ).first()
        if row is None:
            return None
        return _Claimed(row.id, row.event_id, row.payload, row.attempts)

    def _attempt(self, claimed: _Claimed, now: datetime, report: DeliveryReport) -> None:
        """Post one claimed event (outside any transaction), then record how it went."""
        body = json.dumps(
            {"id": claimed.event_id, **claimed.payload}, separators=(",", ":")
        ).encode()
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": claimed.event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self.secret, claimed.event_id, timestamp, body),
            "user-agent": "ReportGuard-Webhooks/1",
        }
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        try:
            response = self.client.post(self.url, content=body, headers=headers)
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        report.attempted += 1
        attempts = claimed.attempts + 1
        with Session(self.engine) as session, session.begin():
            delivery = session.get(WebhookDelivery, claimed.id)
            if delivery is None:
                return
            delivery.attempts = attempts
            session.add(
                WebhookAttempt(
                    delivery_id=claimed.id,
                    at=now,
                    status_code=status_code,
                    error=error,
                    duration_ms=(time.perf_counter() - started) * 1000,
                )
            )
            if error is None:
                delivery.status = "delivered"
                delivery.delivered_at = now
                delivery.last_error = None
                report.delivered += 1
            elif attempts >= self.max_attempts:
                delivery.status = "failed"
                delivery.last_error = error
                report.gave_up += 1
            else:
                delivery.next_attempt_at = now + backoff(attempts, base=self.backoff_base)
                delivery.last_error = error
                report.failed += 1
