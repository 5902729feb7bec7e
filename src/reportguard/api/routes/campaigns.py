"""Campaigns: what detection found, with evidence, and the moderator's verdict on it."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from reportguard.api.errors import ApiError, error_responses
from reportguard.api.idempotency import answer
from reportguard.api.paging import page
from reportguard.api.routes.ingest import IdempotencyKey
from reportguard.api.schemas import CampaignDetail, CampaignPage, CampaignRow, CampaignVerdictIn
from reportguard.api.security import Moderator
from reportguard.moderation.casefile import campaign_people
from reportguard.pipeline.verdicts import record_campaign_verdict
from reportguard.store import audit
from reportguard.store.models import Campaign, Case

router = APIRouter(tags=["campaigns"])
_READ = error_responses(401, 403, 404, 422, 429)
CampaignId = Annotated[int, Path(ge=1, le=2**62)]
MAX_LISTED = 1000


def campaign_row(c: Campaign) -> CampaignRow:
    return CampaignRow(
        id=c.id,
        status=c.status,
        score=c.score,
        first_report_at=c.first_report_at,
        last_report_at=c.last_report_at,
        detected_at=c.detected_at,
        members=c.n_members,
        targets=c.n_targets,
        reports=c.n_reports,
        decided_by=c.decided_by,
    )


@router.get("/campaigns", response_model=CampaignPage, responses=_READ)
def list_campaigns(
    request: Request,
    principal: Moderator,
    status: Annotated[str, Query(pattern="^(active|confirmed|dismissed|all)$")] = "active",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> CampaignPage:
    """Detected campaigns, strongest first."""
    query = sa.select(Campaign)
    if status != "all":
        query = query.where(Campaign.status == status)
    with Session(request.app.state.engine) as session:
        total, rows = page(
            session, query, Campaign.score.desc(), Campaign.id, limit=limit, offset=offset
        )
        return CampaignPage(
            total=total,
            limit=limit,
            offset=offset,
            items=[campaign_row(c) for c in rows],
        )


@router.get("/campaigns/{campaign_id}", response_model=CampaignDetail, responses=_READ)
def get_campaign(request: Request, principal: Moderator, campaign_id: CampaignId) -> CampaignDetail:
    """One campaign: evidence as plain sentences, members (first 1,000), targets, open cases."""
    with Session(request.app.state.engine) as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise ApiError(404, f"campaign {campaign_id} does not exist")
        members, targets = campaign_people(
            session, campaign_id, members=MAX_LISTED, targets=MAX_LISTED
        )
        cases = session.scalars(
            sa.select(Case.id)
            .where(Case.status == "open", Case.target_id.in_(list(targets)))
            .order_by(Case.id)
        ).all()
        return CampaignDetail(
            campaign=campaign_row(campaign),
            evidence=campaign.evidence or {},
            member_ids=list(members),
            target_ids=list(targets),
            open_case_ids=list(cases),
        )


@router.post(
    "/campaigns/{campaign_id}/verdict",
    responses=error_responses(400, 401, 403, 404, 409, 422, 429),
    summary="Confirm or dismiss a campaign",
)
def campaign_verdict(
    request: Request,
    principal: Moderator,
    campaign_id: CampaignId,
    body: CampaignVerdictIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Confirming marks its reports manifestly unfounded and proposes reversing what they caused;
    dismissing lifts the shield from its targets' cases."""
    state = request.app.state

    def handler() -> tuple[int, dict[str, Any]]:
        with audit.via_key(principal.key_id):
            result = record_campaign_verdict(
                state.engine,
                campaign_id,
                principal.actor,
                status=body.status,
                policy=state.policy,
                note=body.note,
            )
        return 200, result

    return answer(request, principal, idempotency_key, body.model_dump(), handler)
