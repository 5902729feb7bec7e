"""The appeals queue and one appeal with what it contests and the form to decide it; the form
is refused to the moderator who took the decision under appeal."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from reportguard.dashboard.session import COOKIE_PATH
from reportguard.dashboard.web import CurrentViewer, Posted, redirect, render
from reportguard.enforce.carry_out import action_view
from reportguard.errors import ReportGuardError
from reportguard.moderation.appeals import decide_appeal
from reportguard.store import audit
from reportguard.store.models import Action, Appeal, Decision, ReportingRestriction

router = APIRouter()
AppealId = Annotated[int, Path(ge=1, le=2**62)]
LISTED = 500


@router.get("/appeals", response_class=HTMLResponse)
def appeals_page(
    request: Request,
    viewer: CurrentViewer,
    status: Annotated[str, Query(pattern="^(open|upheld|overturned|all)$")] = "open",
) -> Response:
    """Oldest first: an appeal waits for a person, and the longest wait comes first."""
    query = sa.select(Appeal).order_by(Appeal.id).limit(LISTED)
    if status != "all":
        query = query.where(Appeal.status == status)
    with Session(request.app.state.engine) as session:
        rows = list(session.scalars(query))
        deciders = dict(
            session.execute(
                sa.select(Decision.id, Decision.moderator).where(
                    Decision.id.in_([a.decision_id for a in rows if a.decision_id])
                )
            ).all()
        )
    return render(request, "appeals.html", viewer, rows=rows, status=status, deciders=deciders)


@router.get("/appeals/{appeal_id}", response_class=HTMLResponse)
def appeal_page(request: Request, viewer: CurrentViewer, appeal_id: AppealId) -> Response:
    with Session(request.app.state.engine) as session:
        appeal = session.get(Appeal, appeal_id)
        if appeal is None:
            return render(
                request,
                "error.html",
                viewer,
                status_code=404,
                message=f"appeal {appeal_id} does not exist",
            )
        decision = session.get(Decision, appeal.decision_id) if appeal.decision_id else None
        action = session.get(Action, appeal.action_id) if appeal.action_id else None
        restriction = (
            session.get(ReportingRestriction, appeal.restriction_id)
            if appeal.restriction_id
            else None
        )
        original = (
            decision.moderator
            if decision
            else (restriction.grounds or {}).get("decided_by")
            if restriction
            else None
        )
        return render(
            request,
            "appeal.html",
            viewer,
            appeal=appeal,
            decision=decision,
            action=action_view(action) if action else None,
            restriction=restriction,
            original=original,
            may_decide=appeal.status == "open" and original != viewer.actor,
        )


@router.post("/appeals/{appeal_id}/decision")
def decide(request: Request, viewer: CurrentViewer, form: Posted, appeal_id: AppealId) -> Response:
    """Uphold or overturn; an overturn reverses the action and expunges its strikes."""
    state = request.app.state
    back = f"{COOKIE_PATH}/appeals/{appeal_id}"
    try:
        with audit.via_key(viewer.principal.key_id):
            result = decide_appeal(
                state.engine,
                appeal_id,
                viewer.actor,
                outcome=form.get("outcome"),
                policy=state.policy,
                note=form.get("note")[:2000] or None,
            )
    except ReportGuardError as exc:
        return redirect(request, back, flash=f"Not decided: {exc}")
    return redirect(request, back, flash=f"Appeal {appeal_id} {result['outcome']}.")
