"""Ingest over HTTP: the same validation, hashing and idempotency as a file import.

One report (201 stored, 200 already stored), or a batch of reports or of account snapshots
(200 all stored, 207 some records bad, 422 none good). Bad records are named by index and field;
good ones are kept. What was stored goes on to live detection.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Request
from fastapi.responses import JSONResponse

from reportguard.access.keys import Principal
from reportguard.api.errors import ApiError, ErrorBody, ErrorDetail, error_responses
from reportguard.api.idempotency import MAX_KEY, check_key, replay, request_hash
from reportguard.api.schemas import (
    MAX_BATCH,
    REPORT_EXAMPLE,
    AccountBatch,
    IngestResult,
    RecordBatch,
)
from reportguard.api.security import Ingest
from reportguard.ingest.contract import ReportEvent
from reportguard.ingest.formats import adapter as format_adapter
from reportguard.ingest.formats.base import Adapter
from reportguard.ingest.requests import KeptAnswer, RequestResult, prepare_request
from reportguard.ingest.validate import Kind
from reportguard.store import audit

router = APIRouter(tags=["ingest"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY,
        description="Retry-safe key: the same key and request replays the first answer.",
    ),
]
_ERRORS = error_responses(400, 401, 403, 409, 413, 422, 429)
# The single report's documented shape is the input contract's own model.
_REPORT = {
    k: v
    for k, v in ReportEvent.model_json_schema().items()
    if k in ("properties", "required", "type", "description")
}


def _details(result: RequestResult) -> list[ErrorDetail]:
    return [
        ErrorDetail(index=index, field=error.field or "record", message=error.message)
        for index, errors in result.rejections
        for error in errors
    ]


def _ingest(
    request: Request,
    principal: Principal,
    records: list[Any],
    *,
    kind: Kind,
    idempotency_key: str | None,
    single: bool = False,
    adapter: Adapter | None = None,
) -> JSONResponse:
    state = request.app.state
    if not records:
        raise ApiError(422, "the batch holds no records")
    if len(records) > MAX_BATCH:
        raise ApiError(413, f"a batch holds at most {MAX_BATCH:,} records, not {len(records):,}")
    fingerprint = request_hash(request.method, request.url.path, records)
    if idempotency_key is not None:
        check_key(idempotency_key)
        earlier = replay(state.engine, principal, idempotency_key, fingerprint)
        if earlier is not None:
            return earlier

    def respond(result: RequestResult) -> tuple[int, dict[str, Any]]:
        summary = result.summary
        stored = summary.accepted + summary.duplicates + summary.accounts + summary.contents
        if summary.rejected == summary.records and not stored:
            return 422, {}  # refused below; a refused request's answer is not kept
        body = IngestResult(
            run_id=result.run_id,
            records=summary.records,
            accepted=summary.accepted,
            duplicates=summary.duplicates,
            accounts=summary.accounts,
            contents=summary.contents,
            rejected=summary.rejected,
            errors=_details(result),
            ignored_fields=dict(summary.ignored_fields),
        ).model_dump()
        if single:
            return (201 if summary.accepted else 200), body
        return (207 if summary.rejected else 200), body

    with audit.via_key(principal.key_id):
        prepared = prepare_request(
            records,
            source=f"api:{principal.name}",
            actor=principal.actor,
            kind=kind,
            bounds=state.time_bounds,
            adapter=adapter,
        )
    if idempotency_key is not None:
        prepared.keep_answer = KeptAnswer(principal.key_id, idempotency_key, fingerprint, respond)
    result = state.committer.store(prepared)
    counts = result.summary
    state.metrics.count_ingest(
        accepted=counts.accepted,
        duplicates=counts.duplicates,
        rejected=counts.rejected,
        accounts=counts.accounts,
    )
    if state.feed is not None:
        state.feed.submit(result.new_reports, result.accounts)
    if result.answer_kept is False and idempotency_key is not None:
        # The same key and request arrived twice at once: the first answer stands for both.
        earlier = replay(state.engine, principal, idempotency_key, fingerprint)
        if earlier is not None:
            return earlier
    status, body = respond(result)
    if status == 422:
        what = "the record is" if single else f"all {result.summary.records:,} records are"
        raise ApiError(422, f"{what} invalid; nothing was stored", details=_details(result))
    return JSONResponse(body, status_code=status)


@router.post(
    "/reports",
    summary="Send one report",
    status_code=201,
    response_model=IngestResult,
    responses={
        200: {"model": IngestResult, "description": "Already stored (same report_id)."},
        **_ERRORS,
    },
)
def post_report(
    request: Request,
    principal: Ingest,
    record: Annotated[dict[str, Any], Body(examples=[REPORT_EXAMPLE], json_schema_extra=_REPORT)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Store one report; `ip` and `device` are hashed with the server's key before storage."""
    return _ingest(
        request, principal, [record], kind="report", idempotency_key=idempotency_key, single=True
    )


@router.post(
    "/reports/batch",
    summary="Send a batch of reports",
    response_model=IngestResult,
    responses={207: {"model": IngestResult, "description": "Some records bad."}, **_ERRORS},
)
def post_reports(
    request: Request, principal: Ingest, batch: RecordBatch, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Store up to 5,000 reports; bad ones are named by index and field, good ones are kept."""
    return _ingest(
        request, principal, batch.records, kind="report", idempotency_key=idempotency_key
    )


@router.post(
    "/accounts/batch",
    summary="Send account snapshots",
    response_model=IngestResult,
    responses={207: {"model": IngestResult, "description": "Some records bad."}, **_ERRORS},
)
def post_accounts(
    request: Request, principal: Ingest, batch: AccountBatch, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Store account snapshots (age, followers, posts, handle); a newer snapshot wins."""
    return _ingest(
        request, principal, batch.records, kind="account", idempotency_key=idempotency_key
    )


class Format(StrEnum):
    """A platform's own record shape (docs/integrate.md)."""

    mastodon = "mastodon"
    activitypub = "activitypub"
    atproto = "atproto"
    discourse = "discourse"


@router.post(
    "/formats/{name}/batch",
    summary="Send a platform's own records",
    response_model=IngestResult,
    responses={207: {"model": IngestResult, "description": "Some records bad."}, **_ERRORS},
)
def post_format(
    request: Request,
    principal: Ingest,
    name: Format,
    batch: RecordBatch,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Store up to 5,000 records in a platform's own shape: Mastodon admin reports, ActivityPub
    `Flag` activities, AT Protocol `createReport` answers or Discourse flags. Each becomes its
    report, accounts and content, exactly as `reportguard ingest --format NAME` reads them; a bad
    record is named by its index and the platform's own field name."""
    adapter = format_adapter(name.value, request.app.state.policy)
    return _ingest(
        request,
        principal,
        batch.records,
        kind="auto",
        idempotency_key=idempotency_key,
        adapter=adapter,
    )


__all__ = ["ErrorBody", "router"]
