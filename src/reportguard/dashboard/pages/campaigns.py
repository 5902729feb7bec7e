"""Campaigns: the list, and one campaign with its members, targets, window, a picture of who
reported whom, the evidence, and the confirm or dismiss form (with the reversals it proposes)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from reportguard.dashboard import charts
from reportguard.dashboard.session import COOKIE_PATH
from reportguard.dashboard.web import CurrentViewer, Posted, redirect, render
from reportguard.errors import ReportGuardError
from reportguard.moderation.casefile import campaign_people
from reportguard.pipeline.verdicts import record_campaign_verdict
from reportguard.store import audit
from reportguard.store.models import (
    Account,
    Appeal,
    AuditEntry,
    Campaign,
    CampaignMember,
    Case,
    Report,
)

router = APIRouter()
CampaignId = Annotated[int, Path(ge=1, le=2**62)]
GRAPH_MEMBERS = 60
GRAPH_OTHERS = 15
LISTED = 500


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(
    request: Request,
    viewer: CurrentViewer,
    status: Annotated[str, Query(pattern="^(active|confirmed|dismissed|all)$")] = "active",
) -> Response:
    query = sa.select(Campaign).order_by(Campaign.score.desc(), Campaign.id).limit(LISTED)
    if status != "all":
        query = query.where(Campaign.status == status)
    with Session(request.app.state.engine) as session:
        rows = list(session.scalars(query))
    return render(request, "campaigns.html", viewer, rows=rows, status=status)


def _graph(session: Session, campaign: Campaign, targets: list[str], policy: Any) -> Any:
    """The members (the busiest first) and every account they reported in the window."""
    members = session.execute(
        sa.select(CampaignMember.reporter_id, sa.func.count(Report.id).label("n"))
        .join(Report, Report.reporter_id == CampaignMember.reporter_id)
        .where(
            CampaignMember.campaign_id == campaign.id,
            Report.created_at >= campaign.first_report_at - timedelta(days=1),
            Report.created_at <= campaign.last_report_at + timedelta(days=1),
        )
        .group_by(CampaignMember.reporter_id)
        .order_by(sa.desc("n"), CampaignMember.reporter_id)
        .limit(GRAPH_MEMBERS)
    ).all()
    names = [m.reporter_id for m in members]
    if not names:
        return None
    pairs = session.execute(
        sa.select(Report.reporter_id, Report.target_id, sa.func.count())
        .where(
            Report.reporter_id.in_(names),
            Report.created_at >= campaign.first_report_at - timedelta(days=1),
            Report.created_at <= campaign.last_report_at + timedelta(days=1),
        )
        .group_by(Report.reporter_id, Report.target_id)
    ).all()
    in_campaign = set(targets)
    per_target: dict[str, int] = {}
    for _, target, n in pairs:
        per_target[target] = per_target.get(target, 0) + n
    others = sorted(
        (t for t in per_target if t not in in_campaign), key=lambda t: (-per_target[t], t)
    )[:GRAPH_OTHERS]
    shown = [t for t in targets if t in per_target] + others
    index = {t: j for j, t in enumerate(shown)}
    member_index = {m: i for i, m in enumerate(names)}
    created = dict(
        session.execute(
            sa.select(Account.account_id, Account.created_at).where(Account.account_id.in_(names))
        ).all()
    )
    young = timedelta(days=policy.credibility.new_account_days)

    def is_new(account: str) -> bool:
        at = created.get(account)
        if at is None:
            return False
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        first = campaign.first_report_at
        first = first if first.tzinfo else first.replace(tzinfo=UTC)
        return first - at < young

    edges = [
        (member_index[m], index[t], n) for m, t, n in pairs if t in index and m in member_index
    ]
    label = (
        f"Who reported whom: {len(names)} of the campaign's {campaign.n_members} reporters "
        f"(left) and the accounts they reported in its window (right); campaign targets in red, "
        f"{len(others)} other accounts in grey."
    )
    return charts.bipartite(
        [charts.Node(m.reporter_id, int(m.n), is_new(m.reporter_id)) for m in members],
        [charts.Node(t, per_target[t], t in in_campaign) for t in shown],
        edges,
        label=label,
    )


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(request: Request, viewer: CurrentViewer, campaign_id: CampaignId) -> Response:
    state = request.app.state
    with Session(state.engine) as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            return render(
                request,
                "error.html",
                viewer,
                status_code=404,
                message=f"campaign {campaign_id} does not exist",
            )
        members, targets = campaign_people(session, campaign_id, members=LISTED)
        cases = list(
            session.scalars(
                sa.select(Case)
                .where(Case.target_id.in_(targets))
                .order_by(Case.status != "open", Case.id.desc())
                .limit(LISTED)
            )
        )
        proposals = _proposals(session, campaign_id)
        return render(
            request,
            "campaign.html",
            viewer,
            campaign=campaign,
            members=members,
            targets=targets,
            cases=cases,
            signals=(campaign.evidence or {}).get("signals", []),
            graph=_graph(session, campaign, targets, state.policy),
            proposals=proposals,
        )


def _proposals(session: Session, campaign_id: int) -> list[Appeal]:
    """The reversals that confirming this campaign proposed (remediation appeals)."""
    ids = [
        int(subject)
        for subject, payload in session.execute(
            sa.select(AuditEntry.subject_id, AuditEntry.payload).where(
                AuditEntry.event == "remediation_proposed"
            )
        )
        if (payload or {}).get("campaign_id") == campaign_id
    ]
    if not ids:
        return []
    return list(session.scalars(sa.select(Appeal).where(Appeal.id.in_(ids)).order_by(Appeal.id)))


@router.post("/campaigns/{campaign_id}/verdict")
def campaign_verdict(
    request: Request, viewer: CurrentViewer, form: Posted, campaign_id: CampaignId
) -> Response:
    """Confirm or dismiss; confirming marks its reports unfounded and proposes reversals."""
    state = request.app.state
    back = f"{COOKIE_PATH}/campaigns/{campaign_id}"
    try:
        with audit.via_key(viewer.principal.key_id):
            result = record_campaign_verdict(
                state.engine,
                campaign_id,
                viewer.actor,
                status=form.get("status"),
                policy=state.policy,
                note=form.get("note")[:2000] or None,
            )
    except ReportGuardError as exc:
        return redirect(request, back, flash=f"Not recorded: {exc}")
    message = f"Campaign {campaign_id} {result['status']}."
    if result["status"] == "confirmed":
        n = len(result["remediation_appeals"])
        message += (
            f" {result['reports_marked_unfounded']} reports marked manifestly unfounded; "
            f"{n} reversal proposal{'s' if n != 1 else ''} in the appeals queue."
        )
    return redirect(request, back, flash=message)
