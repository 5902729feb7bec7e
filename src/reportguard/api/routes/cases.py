"""Cases: the queue, one case with everything a moderator needs, claims and decisions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from reportguard.api.errors import ApiError, error_responses
from reportguard.api.idempotency import answer
from reportguard.api.routes.ingest import IdempotencyKey
from reportguard.api.schemas import (
    ActionRow,
    AppealRow,
    AuditRow,
    CaseDetail,
    CasePage,
    CaseReportRow,
    CaseRow,
    Claim,
    DecisionIn,
    DecisionOut,
    DecisionRow,
    ReportedItemRow,
    TargetRow,
)
from reportguard.api.security import Moderator
from reportguard.enforce.carry_out import action_view
from reportguard.moderation.casefile import CaseFile, ReportedItem, load_case_file
from reportguard.moderation.review import claim, decide, release
from reportguard.store import audit
from reportguard.store.models import (
    Appeal,
    AuditEntry,
    Case,
    Decision,
)
from reportguard.triage.cases import case_summary, queue, queue_size

router = APIRouter(tags=["cases"])
_READ = error_responses(401, 403, 404, 422, 429)
_WRITE = error_responses(400, 401, 403, 404, 409, 422, 429)
CaseId = Annotated[int, Path(ge=1, le=2**62)]


def case_row(case: Case) -> CaseRow:
    return CaseRow(status=case.status, **case_summary(case))


@router.get("/cases", response_model=CasePage, responses=_READ, summary="The queue")
def list_cases(  # noqa: PLR0917 - FastAPI maps parameters to query fields
    request: Request,
    principal: Moderator,
    status: Annotated[str, Query(pattern="^(open|decided|closed|all)$")] = "open",
    queue_name: Annotated[
        str,
        Query(
            alias="queue",
            pattern="^(violation|dispute|all)$",
            description="violation (default), dispute (accounts reporting each other), or all.",
        ),
    ] = "violation",
    reason: Annotated[str | None, Query(max_length=64)] = None,
    shielded: bool | None = None,
    campaign_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    min_age_hours: Annotated[float | None, Query(ge=0, le=1e6)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> CasePage:
    """Cases by priority, highest first, each with the sentences that explain its rank."""
    filters: dict[str, Any] = {
        "status": None if status == "all" else status,
        "queue": None if queue_name == "all" else queue_name,
        "reason": reason,
        "shielded": shielded,
        "campaign_id": campaign_id,
        "min_age_hours": min_age_hours,
    }
    engine = request.app.state.engine
    cases = queue(engine, limit=limit, offset=offset, **filters)
    return CasePage(
        total=queue_size(engine, **filters),
        limit=limit,
        offset=offset,
        items=[case_row(c) for c in cases],
    )


@router.get("/cases/{case_id}", response_model=CaseDetail, responses=_READ, summary="One case")
def get_case(request: Request, principal: Moderator, case_id: CaseId) -> CaseDetail:
    """The case with its reports, evidence, decisions, actions, appeals and audit history."""
    with Session(request.app.state.engine) as session:
        found = load_case_file(session, case_id, links=request.app.state.policy.links)
        if found is None:
            raise ApiError(404, f"case {case_id} does not exist")
        action_keys = found.action_keys()
        return CaseDetail(
            case=case_row(found.case),
            explanation=found.case.explanation or {},
            target=target_row(found),
            content=[item_row(item) for item in found.items],
            reports=[
                CaseReportRow(
                    report_id=r.report_id,
                    reporter_id=r.reporter_id,
                    content_id=r.content_id,
                    reason=r.reason,
                    text=r.text,
                    created_at=r.created_at,
                    campaign_ids=found.report_campaigns.get(r.id, []),
                    verdict=verdict,
                )
                for r, verdict in found.reports
            ],
            reports_total=found.reports_total,
            decisions=[decision_row(d) for d in found.decisions],
            actions=[ActionRow(**action_view(a)) for a in found.actions],
            appeals=[appeal_row(a, action_keys) for a in found.appeals],
            history=[audit_row(e) for e in found.history],
        )


def target_row(found: CaseFile) -> TargetRow:
    target = found.target
    account = target.account if target else None
    return TargetRow(
        account_id=found.case.target_id,
        handle=account.handle if account else None,
        profile_url=target.url if target else None,
        created_at=account.created_at if account else None,
        followers=account.followers if account else None,
        posts=account.posts if account else None,
    )


def item_row(item: ReportedItem) -> ReportedItemRow:
    c = item.content
    return ReportedItemRow(
        content_id=item.content_id,
        report_ids=item.report_ids,
        kind=c.kind if c else None,
        title=c.title if c else None,
        text=c.text if c else None,
        media_url=c.media_url if c else None,
        url=item.url,
        visibility=c.visibility if c else None,
        created_at=c.created_at if c else None,
        known=c is not None,
    )


def decision_row(d: Decision) -> DecisionRow:
    return DecisionRow(
        id=d.id,
        case_id=d.case_id,
        moderator=d.moderator,
        outcome=d.outcome,
        policy_clause=d.policy_clause,
        reason=d.reason,
        decided_at=d.decided_at,
        superseded_by=d.superseded_by,
    )


def appeal_row(a: Appeal, action_keys: dict[int, str]) -> AppealRow:
    return AppealRow(
        id=a.id,
        kind=a.kind,
        status=a.status,
        appellant_id=a.appellant_id,
        decision_id=a.decision_id,
        action_id=action_keys.get(a.action_id) if a.action_id is not None else None,
        restriction_id=a.restriction_id,
        statement=a.statement,
        filed_at=a.filed_at,
        decided_by=a.decided_by,
        decided_at=a.decided_at,
    )


def audit_row(e: AuditEntry) -> AuditRow:
    return AuditRow(
        seq=e.seq,
        at=e.at,
        actor=e.actor,
        event=e.event,
        subject_type=e.subject_type,
        subject_id=e.subject_id,
        payload=e.payload,
    )


@router.post("/cases/{case_id}/claim", response_model=Claim, responses=_WRITE)
def claim_case(request: Request, principal: Moderator, case_id: CaseId) -> Claim:
    """Claim the case for the policy's claim time; refused (409) while someone else holds it."""
    state = request.app.state
    case = claim(state.engine, case_id, principal.actor, policy=state.policy)
    assert case.claim_expires_at is not None
    return Claim(
        case_id=case.id, claimed_by=principal.actor, claim_expires_at=case.claim_expires_at
    )


@router.post("/cases/{case_id}/release", status_code=204, responses=_WRITE)
def release_case(request: Request, principal: Moderator, case_id: CaseId) -> None:
    """Give up your claim on the case; 409 while another moderator holds it."""
    release(request.app.state.engine, case_id, principal.actor)


@router.post(
    "/cases/{case_id}/decision",
    status_code=201,
    response_model=DecisionOut,
    responses=_WRITE,
    summary="Decide a claimed case",
)
def decide_case(
    request: Request,
    principal: Moderator,
    case_id: CaseId,
    body: DecisionIn,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Rule on a case you claimed: verdicts, credibility, the action and its webhook at once."""
    state = request.app.state

    def handler() -> tuple[int, dict[str, Any]]:
        with audit.via_key(principal.key_id):
            outcome = decide(
                state.engine,
                case_id,
                principal.actor,
                outcome=body.outcome,
                policy=state.policy,
                clause=body.clause,
                reason=body.reason,
                unfounded=body.unfounded,
            )
        return 201, DecisionOut(
            decision_id=outcome.decision_id,
            case_id=outcome.case_id,
            target_id=outcome.target_id,
            outcome=outcome.outcome,
            clause=outcome.clause,
            verdicts=outcome.verdicts,
            action=outcome.action,
            misuse=outcome.misuse,
        ).model_dump(mode="json")

    return answer(request, principal, idempotency_key, body.model_dump(), handler)
