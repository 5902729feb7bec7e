"""The case page: the target, its reports and their reporters' credibility, the timeline, the
campaign evidence, the target's record, and the decision form with the action it would lead to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from reportguard.dashboard import charts
from reportguard.dashboard.session import COOKIE_PATH
from reportguard.dashboard.web import CurrentViewer, Posted, Viewer, redirect, render
from reportguard.detect.signals.text import NearDuplicateText
from reportguard.enforce.carry_out import action_view, active_points
from reportguard.enforce.plan import plan_violation
from reportguard.errors import ReportGuardError
from reportguard.moderation.casefile import CaseFile, load_case_file
from reportguard.moderation.review import OUTCOMES, claim, decide, release
from reportguard.store import audit
from reportguard.store.models import (
    Account,
    Action,
    Campaign,
    CampaignReport,
    CaseReport,
    Notice,
    Report,
    WebhookDelivery,
)
from reportguard.store.models import Strike as StrikeRow
from reportguard.triage.cases import open_case_reports

router = APIRouter()
CaseId = Annotated[int, Path(ge=1, le=2**62)]
BASELINE_DAYS = 30


def _credibility(session: Session, file: CaseFile, policy: Any) -> dict[str, dict[str, Any]]:
    """Each open report's reporter credibility as triage scored it (decided cases: none)."""
    if file.case.status != "open":
        return {}
    frame, _ = open_case_reports(
        session,
        policy=policy,
        now=int(datetime.now(UTC).timestamp()),
        case_ids=[file.case.id],
    )
    if frame.is_empty():
        return {}
    return {
        row["report_id"]: row
        for row in frame.select("report_id", "credibility", "new_account", "record").iter_rows(
            named=True
        )
    }


def _text_groups(file: CaseFile) -> dict[int, str]:
    """Reports whose texts are near-identical (the same MinHash clustering that detection uses),
    sent by two or more reporters: each group gets a label (T1, T2, ...) so that a handed-out
    complaint, typos and all, stands out."""
    rows = [(r.id, r.reporter_id, r.text) for r, _ in file.reports if r.text]
    if not rows:
        return {}
    labels = NearDuplicateText().clusters([text for _, _, text in rows])
    reporters: dict[int, set[str]] = {}
    for (_, reporter, _), label in zip(rows, labels, strict=True):
        reporters.setdefault(label, set()).add(reporter)
    shared = sorted(
        (label for label, who in reporters.items() if len(who) >= 2),
        key=lambda label: (-len(reporters[label]), labels.index(label)),
    )
    names = {label: f"T{i + 1}" for i, label in enumerate(shared)}
    return {
        pk: names[label] for (pk, _, _), label in zip(rows, labels, strict=True) if label in names
    }


def _timeline(session: Session, file: CaseFile) -> dict[str, Any] | None:
    """Reports against the target over the case, against its usual rate before the case."""
    case = file.case
    times = session.execute(
        sa.select(
            Report.created_at,
            sa.exists().where(CampaignReport.report_pk == Report.id),
        )
        .join(CaseReport, CaseReport.report_pk == Report.id)
        .where(CaseReport.case_id == case.id)
    ).all()
    if not times:
        return None
    stamps = [(_epoch(t), bool(linked)) for t, linked in times]
    start, end = min(t for t, _ in stamps), max(t for t, _ in stamps)
    bins, step = charts.bin_times(stamps, start=start, end=end)
    since = datetime.fromtimestamp(start, UTC) - timedelta(days=BASELINE_DAYS)
    before = session.scalar(
        sa.select(sa.func.count())
        .select_from(Report)
        .where(
            Report.target_id == case.target_id,
            Report.created_at >= since,
            Report.created_at < datetime.fromtimestamp(start, UTC),
        )
    )
    baseline = float(before or 0) / (BASELINE_DAYS * 86400) * step
    linked = sum(1 for _, is_linked in stamps if is_linked)
    label = (
        f"Reports against {case.target_id} over time: {len(stamps)} in this case, {linked} of "
        f"them from a detected campaign; usual rate before it {baseline:.2f} per bar."
    )
    return {
        "svg": charts.timeline(bins, step, baseline=baseline, label=label),
        "baseline": baseline,
        "before": int(before or 0),
        "step": step,
        "bins": [b for b in bins if b.total],
    }


def _dispute_history(session: Session, file: CaseFile) -> list[Report]:
    """Reports between the target and its quarrel partners, both ways, oldest first."""
    partners = (file.case.explanation or {}).get("dispute", {}).get("partners", [])
    if not partners:
        return []
    target = file.case.target_id
    return list(
        session.scalars(
            sa.select(Report)
            .where(
                ((Report.reporter_id == target) & Report.target_id.in_(partners))
                | (Report.reporter_id.in_(partners) & (Report.target_id == target))
            )
            .order_by(Report.created_at, Report.id)
            .limit(100)
        )
    )


def _notices(session: Session, file: CaseFile) -> list[tuple[Notice, str | None]]:
    """Notices about this case, and those sent to its target (protection, statements,
    reversals), each with its delivery status."""
    return list(
        session.execute(
            sa.select(Notice, WebhookDelivery.status)
            .outerjoin(WebhookDelivery, WebhookDelivery.event_id == Notice.event_id)
            .where(
                (Notice.case_id == file.case.id)
                | (
                    (Notice.recipient_id == file.case.target_id)
                    & (Notice.recipient_role == "account")
                )
            )
            .order_by(Notice.id)
            .limit(200)
        ).all()
    )


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def case_context(session: Session, case_id: int, policy: Any, viewer: Viewer) -> dict[str, Any]:
    """Everything the case page shows (raises LookupError for an unknown case)."""
    file = load_case_file(session, case_id, links=policy.links)
    if file is None:
        raise LookupError(f"case {case_id} does not exist")
    case = file.case
    now = datetime.now(UTC)
    campaigns = (
        list(session.scalars(sa.select(Campaign).where(Campaign.id.in_(file.campaign_ids))))
        if file.campaign_ids
        else []
    )
    record = list(
        session.scalars(
            sa.select(Action)
            .where(Action.account_id == case.target_id)
            .order_by(Action.id.desc())
            .limit(20)
        )
    )
    strikes = list(
        session.scalars(
            sa.select(StrikeRow)
            .where(StrikeRow.account_id == case.target_id)
            .order_by(StrikeRow.id.desc())
            .limit(20)
        )
    )
    points = active_points(session, case.target_id, now)
    preview = plan_violation(
        account_id=case.target_id,
        category=case.reason or "other",
        clause=None,
        active_points=points,
        policy=policy,
        now=now,
    )
    claim_expires = case.claim_expires_at
    if claim_expires is not None and claim_expires.tzinfo is None:
        claim_expires = claim_expires.replace(tzinfo=UTC)
    held = bool(case.claimed_by and claim_expires and claim_expires > now)
    return {
        "file": file,
        "case": case,
        "explanation": case.explanation or {},
        "account": session.get(Account, case.target_id),
        "credibility": _credibility(session, file, policy),
        "groups": _text_groups(file),
        "timeline": _timeline(session, file),
        "dispute_history": _dispute_history(session, file),
        "notices": _notices(session, file),
        "campaigns": campaigns,
        "record": [action_view(a) for a in record],
        "strikes": strikes,
        "points": points,
        "preview": preview,
        "held_by_me": held and case.claimed_by == viewer.actor,
        "held_by": case.claimed_by if held else None,
        "claim_expires": claim_expires,
        "outcomes": OUTCOMES,
        "action_keys": file.action_keys(),
    }


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, viewer: CurrentViewer, case_id: CaseId) -> Response:
    with Session(request.app.state.engine) as session:
        try:
            context = case_context(session, case_id, request.app.state.policy, viewer)
        except LookupError as exc:
            return render(request, "error.html", viewer, status_code=404, message=str(exc))
        return render(request, "case.html", viewer, **context)


def _back(case_id: int) -> str:
    return f"{COOKIE_PATH}/cases/{case_id}"


@router.post("/cases/{case_id}/claim")
def claim_case(request: Request, viewer: CurrentViewer, form: Posted, case_id: CaseId) -> Response:
    state = request.app.state
    try:
        case = claim(state.engine, case_id, viewer.actor, policy=state.policy)
    except ReportGuardError as exc:
        return redirect(request, _back(case_id), flash=str(exc))
    until = f"{case.claim_expires_at:%H:%M} UTC" if case.claim_expires_at else ""
    return redirect(request, _back(case_id), flash=f"You hold case {case_id} until {until}.")


@router.post("/cases/{case_id}/release")
def release_case(
    request: Request, viewer: CurrentViewer, form: Posted, case_id: CaseId
) -> Response:
    try:
        release(request.app.state.engine, case_id, viewer.actor)
    except ReportGuardError as exc:
        return redirect(request, _back(case_id), flash=str(exc))
    return redirect(request, _back(case_id), flash=f"Released case {case_id}.")


@router.post("/cases/{case_id}/decision")
def decide_case(request: Request, viewer: CurrentViewer, form: Posted, case_id: CaseId) -> Response:
    """The same decision as the API's: verdicts, credibility, the action and its webhook."""
    state = request.app.state
    statement = form.get("reason")
    if not statement:
        return redirect(
            request, _back(case_id), flash="Write the statement of reasons before deciding."
        )
    try:
        with audit.via_key(viewer.principal.key_id):
            outcome = decide(
                state.engine,
                case_id,
                viewer.actor,
                outcome=form.get("outcome"),
                policy=state.policy,
                clause=form.get("clause") or None,
                reason=statement[:2000],
                unfounded=form.getlist("unfounded") or None,
            )
    except ReportGuardError as exc:
        return redirect(request, _back(case_id), flash=f"Not decided: {exc}")
    done = f"Decided case {case_id}: {outcome.outcome.replace('_', ' ')}"
    if outcome.action:
        done += f"; action {outcome.action['kind']} ({outcome.action['action_id']})"
    return redirect(request, _back(case_id), flash=done + ".")
