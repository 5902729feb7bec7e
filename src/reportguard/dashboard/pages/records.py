"""Records: the misuse ledger, the audit log with its verification, transparency figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from reportguard.dashboard import charts
from reportguard.dashboard.web import CurrentViewer, render
from reportguard.oversight import transparency
from reportguard.reporters.misuse import ledgers
from reportguard.store import audit
from reportguard.store.models import AuditEntry, Report, ReportingRestriction

router = APIRouter()
AUDIT_PAGE = 100


@router.get("/misuse", response_class=HTMLResponse)
def misuse_page(request: Request, viewer: CurrentViewer) -> Response:
    """Warnings and suspensions of reporting, and each restricted reporter's unfounded share."""
    state = request.app.state
    with Session(state.engine) as session:
        restrictions = list(
            session.scalars(
                sa.select(ReportingRestriction).order_by(ReportingRestriction.id.desc()).limit(500)
            )
        )
        who = sorted({r.reporter_id for r in restrictions})
        books = ledgers(session, who, policy=state.policy, now=datetime.now(UTC))
    return render(request, "misuse.html", viewer, restrictions=restrictions, ledgers=books)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    viewer: CurrentViewer,
    event: Annotated[str, Query(max_length=64)] = "",
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Response:
    """Newest first, with the hash chain checked from the first entry on every visit."""
    engine = request.app.state.engine
    query = sa.select(AuditEntry)
    if event:
        query = query.where(AuditEntry.event == event)
    with Session(engine) as session:
        total = int(session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0)
        rows = list(
            session.scalars(query.order_by(AuditEntry.seq.desc()).limit(AUDIT_PAGE).offset(offset))
        )
        events = list(session.scalars(sa.select(AuditEntry.event).distinct().order_by("event")))
    return render(
        request,
        "audit.html",
        viewer,
        rows=rows,
        total=total,
        offset=offset,
        page=AUDIT_PAGE,
        event=event,
        events=events,
        verification=audit.verify(engine),
    )


def _period(engine: Any) -> tuple[datetime, datetime]:
    """The whole span of stored reports, whole days, up to now (the default period)."""
    with Session(engine) as session:
        first = session.scalar(sa.select(sa.func.min(Report.created_at)))
    now = datetime.now(UTC)
    start = first or now - timedelta(days=30)
    start = (start if start.tzinfo else start.replace(tzinfo=UTC)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, tomorrow


def _date(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get("/transparency", response_class=HTMLResponse)
def transparency_page(
    request: Request,
    viewer: CurrentViewer,
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    end: Annotated[str, Query(alias="to", max_length=40)] = "",
) -> Response:
    """The figures a transparency report publishes, for a period (admin keys only, as in the
    API)."""
    if not viewer.is_admin:
        return render(
            request,
            "error.html",
            viewer,
            status_code=403,
            message="Transparency figures need an admin key (as in the API).",
        )
    engine = request.app.state.engine
    default_start, default_end = _period(engine)
    try:
        period = (
            _date(start) if start else default_start,
            _date(end) if end else default_end,
        )
    except ValueError:
        return render(
            request,
            "error.html",
            viewer,
            status_code=422,
            message="from and to are dates like 2026-11-01 (ISO 8601).",
        )
    if period[1] <= period[0]:
        return render(
            request, "error.html", viewer, status_code=422, message="`to` must be after `from`."
        )
    data = transparency.figures(engine, start=period[0], end=period[1])
    figures: list[tuple[str, Any]] = []
    for key, title in (
        ("reports_by_reason", "Reports by reason"),
        ("decisions_by_outcome", "Decisions by outcome"),
        ("actions_by_type", "Actions by type"),
        ("appeals_decided", "Appeals decided (kind: outcome)"),
        ("misuse_measures", "Measures against misuse of reporting"),
        ("campaigns_judged", "Campaigns judged"),
    ):
        items = sorted(data[key].items(), key=lambda kv: (-kv[1], kv[0]))
        if items:
            figures.append(
                (
                    title,
                    charts.bars(
                        [(k, float(v)) for k, v in items],
                        label=f"{title}: " + ", ".join(f"{k} {v}" for k, v in items),
                    ),
                )
            )
    return render(
        request,
        "transparency.html",
        viewer,
        data=data,
        figures=figures,
        start=period[0].date().isoformat(),
        end=period[1].date().isoformat(),
    )
