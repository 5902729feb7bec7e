"""Appeals: filed by the platform for its users (or by moderators), decided by another moderator."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from reportguard.api.errors import ApiError, error_responses
from reportguard.api.idempotency import answer
from reportguard.api.paging import page
from reportguard.api.routes.cases import appeal_row
from reportguard.api.routes.ingest import IdempotencyKey
from reportguard.api.schemas import AppealDecisionIn, AppealIn, AppealPage, AppealRow
from reportguard.api.security import Filer, Moderator
from reportguard.moderation.appeals import decide_appeal, file_appeal
from reportguard.store import audit
from reportguard.store.models import Action, Appeal

router = APIRouter(tags=["appeals"])
_READ = error_responses(401, 403, 404, 422, 429)
_WRITE = error_responses(400, 401, 403, 404, 409, 422, 429)
AppealId = Annotated[int, Path(ge=1, le=2**62)]


def _action_keys(session: Session, appeals: list[Appeal]) -> dict[int, str]:
    ids = [a.action_id for a in appeals if a.action_id is not None]
    if not ids:
        return {}
    rows = session.execute(sa.select(Action.id, Action.action_key).where(Action.id.in_(ids)))
    return {row.id: row.action_key for row in rows}


@router.get("/appeals", response_model=AppealPage, responses=_READ, summary="The appeals queue")
def list_appeals(
    request: Request,
    principal: Moderator,
    status: Annotated[str, Query(pattern="^(open|upheld|overturned|all)$")] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> AppealPage:
    """Appeals, oldest first (remediation proposals after a confirmed campaign included)."""
    query = sa.select(Appeal)
    if status != "all":
        query = query.where(Appeal.status == status)
    with Session(request.app.state.engine) as session:
        total, rows = page(session, query, Appeal.id, limit=limit, offset=offset)
        keys = _action_keys(session, rows)
        return AppealPage(
            total=total,
            limit=limit,
            offset=offset,
            items=[appeal_row(a, keys) for a in rows],
        )


@router.get("/appeals/{appeal_id}", response_model=AppealRow, responses=_READ)
def get_appeal(request: Request, principal: Moderator, appeal_id: AppealId) -> AppealRow:
    with Session(request.app.state.engine) as session:
        appeal = session.get(Appeal, appeal_id)
        if appeal is None:
            raise ApiError(404, f"appeal {appeal_id} does not exist")
        return appeal_row(appeal, _action_keys(session, [appeal]))


@router.post(
    "/appeals",
    status_code=201,
    response_model=AppealRow,
    responses=_WRITE,
    summary="File an appeal",
)
def post_appeal(
    request: Request, principal: Filer, body: AppealIn, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """The affected account against an action (`action_id`), a reporter against a decision not
    to act (`decision_id`), or a reporter against a misuse restriction (`restriction_id`)."""
    state = request.app.state
    if sum(x is not None for x in (body.action_id, body.decision_id, body.restriction_id)) != 1:
        raise ApiError(422, "name exactly one of action_id, decision_id, restriction_id")

    def handler() -> tuple[int, dict[str, Any]]:
        with audit.via_key(principal.key_id):
            appeal = file_appeal(
                state.engine,
                appellant=body.appellant,
                policy=state.policy,
                action_key=body.action_id,
                decision_id=body.decision_id,
                restriction_id=body.restriction_id,
                statement=body.statement,
            )
        keys = {appeal.action_id: body.action_id} if appeal.action_id and body.action_id else {}
        return 201, appeal_row(appeal, keys).model_dump(mode="json")

    return answer(request, principal, idempotency_key, body.model_dump(), handler)


@router.post("/appeals/{appeal_id}/decision", responses=_WRITE, summary="Decide an appeal")
def post_appeal_decision(
    request: Request,
    principal: Moderator,
    appeal_id: AppealId,
    body: AppealDecisionIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Uphold or overturn; refused (403) to the moderator who took the decision under appeal."""
    state = request.app.state

    def handler() -> tuple[int, dict[str, Any]]:
        with audit.via_key(principal.key_id):
            result = decide_appeal(
                state.engine,
                appeal_id,
                principal.actor,
                outcome=body.outcome,
                policy=state.policy,
                note=body.note,
            )
        return 200, result

    return answer(request, principal, idempotency_key, body.model_dump(), handler)
