"""``Idempotency-Key``: a retried POST gets the first answer back and changes nothing twice.

The answer to a successful request is stored under (API key, idempotency key) with a hash of the
request. The same key with the same request replays the stored answer (header
``Idempotent-Replayed: true``); the same key with a different request is refused (422), as the
IETF draft on the header recommends. Failed requests are not stored: they changed nothing and
may be retried. Reports are also idempotent on their own ``report_id``, so even a retry without
the header stores nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reportguard.access.keys import Principal
from reportguard.api.errors import ApiError
from reportguard.store.models import IdempotencyRecord

MAX_KEY = 200


def request_hash(method: str, path: str, payload: Any) -> str:
    # The standard library, not orjson: a request may hold integers beyond 64 bits.
    body = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":")).encode()
    return hashlib.sha256(f"{method} {path}\n".encode() + body).hexdigest()


def check_key(key: str) -> None:
    """422 for a key the schema would not allow (the header is declared 1 to 200 characters)."""
    if not 0 < len(key) <= MAX_KEY:
        raise ApiError(422, f"Idempotency-Key must be 1 to {MAX_KEY} characters")


def replay(engine: Engine, principal: Principal, key: str, fingerprint: str) -> JSONResponse | None:
    """The answer already given under this key (422 if to a different request), or None."""
    with Session(engine) as session:
        stored = session.get(IdempotencyRecord, (principal.key_id, key))
        return None if stored is None else _replay(stored, fingerprint)


def run_once(
    engine: Engine,
    principal: Principal,
    key: str | None,
    *,
    fingerprint: str,
    handler: Callable[[], tuple[int, dict[str, Any]]],
) -> JSONResponse:
    """Run ``handler`` unless this key already answered this request; store a 2xx answer.

    The answer is stored after the handler's own transaction: a crash between the two leaves
    the change without its answer, and the retry runs the handler again. The handlers here are
    safe to run again (a decided case, a filed appeal or a ruled campaign refuses a second
    time); ingest, where a second run would open another run and count duplicates, keeps its
    answer in its own transaction instead (``ingest.requests.KeptAnswer``).
    """
    if key is None:
        status, body = _plain(handler())
        return JSONResponse(body, status_code=status)
    check_key(key)
    earlier = replay(engine, principal, key, fingerprint)
    if earlier is not None:
        return earlier
    status, body = _plain(handler())
    if 200 <= status < 300:
        try:
            with Session(engine) as session, session.begin():
                session.add(
                    IdempotencyRecord(
                        key_id=principal.key_id,
                        idempotency_key=key,
                        request_hash=fingerprint,
                        status_code=status,
                        response=body,
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            # A concurrent request with the same key answered first: give its answer.
            earlier = replay(engine, principal, key, fingerprint)
            if earlier is not None:
                return earlier
    return JSONResponse(body, status_code=status)


def answer(
    request: Request,
    principal: Principal,
    key: str | None,
    payload: Any,
    handler: Callable[[], tuple[int, dict[str, Any]]],
) -> JSONResponse:
    """:func:`run_once` for a route: its method, path and parsed body are the fingerprint."""
    fingerprint = request_hash(request.method, request.url.path, payload)
    return run_once(
        request.app.state.engine, principal, key, fingerprint=fingerprint, handler=handler
    )


def _plain(answer: tuple[int, dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """The answer as plain JSON values (times as ISO text), as it will be stored and sent."""
    status, body = answer
    return status, orjson.loads(orjson.dumps(body, default=str))


def _replay(stored: IdempotencyRecord, fingerprint: str) -> JSONResponse:
    if stored.request_hash != fingerprint:
        raise ApiError(
            422, "this Idempotency-Key was already used for a different request; use a new key"
        )
    return JSONResponse(
        stored.response, status_code=stored.status_code, headers={"Idempotent-Replayed": "true"}
    )


def purge(engine: Engine, *, older_than: datetime) -> int:
    """Drop stored answers older than the replay window."""
    with engine.begin() as conn:
        result = conn.execute(
            sa.delete(IdempotencyRecord).where(IdempotencyRecord.created_at < older_than)
        )
        return int(result.rowcount or 0)
