"""Records moderators and auditors read: credibility, decisions, actions, misuse, the audit log,
transparency figures; and the health and readiness probes (no key needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import polars as pl
import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session

from reportguard import __version__
from reportguard.api.errors import ApiError, error_responses
from reportguard.api.paging import page
from reportguard.api.routes.cases import audit_row, decision_row
from reportguard.api.schemas import (
    ActionPage,
    ActionRow,
    AuditPage,
    AuditVerification,
    CredibilityOut,
    DecisionRow,
    Health,
    LedgerRow,
    MisuseOut,
    Readiness,
    RestrictionRow,
    Standing,
)
from reportguard.api.security import Admin, Moderator
from reportguard.enforce.carry_out import action_view
from reportguard.oversight import transparency
from reportguard.reporters.credibility import ALL, VERDICTS, CredibilityModel
from reportguard.reporters.credibility import Standing as ModelStanding
from reportguard.reporters.misuse import active_restriction, ledgers
from reportguard.reporters.track_record import load_records
from reportguard.store import audit
from reportguard.store.models import (
    Account,
    Action,
    AuditEntry,
    Decision,
    ReportingRestriction,
)

router = APIRouter(tags=["records"])
probes = APIRouter(tags=["health"])
_READ = error_responses(401, 403, 404, 422, 429)
Id = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("/reporters/{reporter_id}/credibility", response_model=CredibilityOut, responses=_READ)
def get_credibility(request: Request, principal: Moderator, reporter_id: Id) -> CredibilityOut:
    """A reporter's track record, overall and per reason, decayed to now: the credibility that
    triage uses (the same model, the per-reason record shrunk toward the overall one)."""
    state = request.app.state
    model = CredibilityModel(state.policy.credibility)
    now = datetime.now(UTC)
    with Session(state.engine) as session:
        records = load_records(session, [reporter_id])
        created = session.scalar(
            sa.select(Account.created_at).where(Account.account_id == reporter_id)
        )
        suspended = active_restriction(session, reporter_id, "suspension", now=now)
    reasons = [ALL, *sorted(set(records["reason"].to_list()) - {ALL})]
    new = created is not None and now - created < timedelta(days=model.config.new_account_days)
    asked = pl.DataFrame(
        {"reporter_id": reporter_id, "reason": reasons, "new_account": new},
        schema={"reporter_id": pl.Utf8, "reason": pl.Utf8, "new_account": pl.Boolean},
    )
    scored = model.score(asked, records, now=int(now.timestamp()))
    decayed = {
        row["reason"]: {
            v: row[v] * float(model.decay(now.timestamp() - row["t_updated"])) for v in VERDICTS
        }
        for row in records.iter_rows(named=True)
    }
    standings = []
    for row in scored.iter_rows(named=True):
        counts = decayed.get(row["reason"], dict.fromkeys(VERDICTS, 0.0))
        standing = ModelStanding(credibility=row["credibility"], prior=row["prior"], **counts)
        standings.append(
            Standing(
                reason=row["reason"],
                credibility=round(standing.credibility, 4),
                prior=round(standing.prior, 4),
                upheld=round(standing.upheld, 3),
                rejected=round(standing.rejected, 3),
                unfounded=round(standing.unfounded, 3),
                sentence=standing.sentence(),
            )
        )
    return CredibilityOut(
        reporter_id=reporter_id, standings=standings, suspended=suspended is not None
    )


@router.get("/decisions/{decision_id}", response_model=DecisionRow, responses=_READ)
def get_decision(
    request: Request, principal: Moderator, decision_id: Annotated[int, Path(ge=1, le=2**62)]
) -> DecisionRow:
    with Session(request.app.state.engine) as session:
        decision = session.get(Decision, decision_id)
        if decision is None:
            raise ApiError(404, f"decision {decision_id} does not exist")
        return decision_row(decision)


@router.get("/actions", response_model=ActionPage, responses=_READ)
def list_actions(
    request: Request,
    principal: Moderator,
    account_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> ActionPage:
    """Enforcement actions, newest first, each with its statement of reasons."""
    query = sa.select(Action)
    if account_id is not None:
        query = query.where(Action.account_id == account_id)
    with Session(request.app.state.engine) as session:
        total, rows = page(session, query, Action.id.desc(), limit=limit, offset=offset)
        return ActionPage(
            total=total,
            limit=limit,
            offset=offset,
            items=[ActionRow(**action_view(a)) for a in rows],
        )


@router.get("/actions/{action_id}", response_model=ActionRow, responses=_READ)
def get_action(
    request: Request, principal: Moderator, action_id: Annotated[str, Path(max_length=64)]
) -> ActionRow:
    with Session(request.app.state.engine) as session:
        action = session.scalar(sa.select(Action).where(Action.action_key == action_id))
        if action is None:
            raise ApiError(404, f"action {action_id} does not exist")
        return ActionRow(**action_view(action))


@router.get("/misuse", response_model=MisuseOut, responses=_READ, summary="The misuse ledger")
def get_misuse(
    request: Request,
    principal: Moderator,
    reporter_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MisuseOut:
    """Warnings and suspensions of reporting, and each reporter's unfounded share in the
    policy's window (one reporter, or the reporters with restrictions)."""
    state = request.app.state
    with Session(state.engine) as session:
        query = sa.select(ReportingRestriction).order_by(ReportingRestriction.id.desc())
        if reporter_id is not None:
            query = query.where(ReportingRestriction.reporter_id == reporter_id)
        restrictions = list(session.scalars(query.limit(limit)))
        who = [reporter_id] if reporter_id else sorted({r.reporter_id for r in restrictions})
        books = ledgers(session, who, policy=state.policy, now=datetime.now(UTC))
    return MisuseOut(
        restrictions=[
            RestrictionRow(
                id=r.id,
                reporter_id=r.reporter_id,
                kind=r.kind,
                status=r.status,
                starts_at=r.starts_at,
                ends_at=r.ends_at,
                grounds=r.grounds or {},
            )
            for r in restrictions
        ],
        ledgers=[
            LedgerRow(
                reporter_id=b.reporter_id,
                unfounded=b.unfounded,
                decided=b.decided,
                share=round(b.share, 4),
            )
            for b in books
        ],
    )


@router.get("/audit", response_model=AuditPage, responses=_READ, summary="The audit log")
def list_audit(
    request: Request,
    principal: Moderator,
    event: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> AuditPage:
    """Entries, newest first."""
    query = sa.select(AuditEntry)
    if event is not None:
        query = query.where(AuditEntry.event == event)
    with Session(request.app.state.engine) as session:
        total, rows = page(session, query, AuditEntry.seq.desc(), limit=limit, offset=offset)
        return AuditPage(
            total=total, limit=limit, offset=offset, items=[audit_row(e) for e in rows]
        )


@router.get("/audit/verify", response_model=AuditVerification, responses=_READ)
def verify_audit(request: Request, principal: Moderator) -> AuditVerification:
    """Recompute the hash chain; name every entry that was altered or removed."""
    result = audit.verify(request.app.state.engine)
    return AuditVerification(
        ok=result.ok, entries=result.entries, head=result.head, problems=result.problems
    )


@router.get("/transparency", responses=_READ, summary="Transparency figures")
def get_transparency(
    request: Request,
    principal: Admin,
    start: Annotated[datetime, Query(alias="from", description="ISO 8601, inclusive.")],
    end: Annotated[datetime, Query(alias="to", description="ISO 8601, exclusive.")],
) -> dict[str, Any]:
    """Reports, decisions, actions, appeals and misuse measures in [from, to)."""
    start, end = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (start, end))
    if end <= start:
        raise ApiError(422, "`to` must be after `from`")
    data: dict[str, Any] = transparency.figures(request.app.state.engine, start=start, end=end)
    return data


@probes.get("/health", response_model=Health)
def health() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok", version=__version__)


@probes.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready yet."}},
)
def ready(request: Request) -> Any:
    """Readiness: the database answers and live detection has read the stored reports."""
    from fastapi.responses import JSONResponse

    state = request.app.state
    database, version = "ok", None
    try:
        with state.engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.SQLAlchemyError as exc:
        database = f"unreachable: {str(getattr(exc, 'orig', exc)).splitlines()[0]}"
    feed = state.feed
    detection: dict[str, Any] = (
        {"enabled": False} if feed is None else {"enabled": True, **vars(feed.status)}
    )
    ok = database == "ok" and (feed is None or (feed.status.ready and feed.status.error is None))
    body = Readiness(ready=ok, database=database, schema_version=version, detection=detection)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
