"""The queue: open cases by priority, filtered, each row saying why it ranks where it does."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reportguard.dashboard.session import COOKIE_PATH
from reportguard.dashboard.web import CurrentViewer, render
from reportguard.triage.cases import case_summary, queue, queue_size

router = APIRouter()
PAGE = 50


def _flag(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


@router.get("", include_in_schema=False)
def root() -> Response:
    return RedirectResponse(COOKIE_PATH + "/", status_code=307)


@router.get("/", response_class=HTMLResponse)
def queue_page(  # noqa: PLR0917 - FastAPI maps parameters to query fields
    request: Request,
    viewer: CurrentViewer,
    queue_name: Annotated[str, Query(alias="queue", pattern="^(violation|dispute)$")] = "violation",
    reason: Annotated[str, Query(max_length=64)] = "",
    shielded: Annotated[str, Query(pattern="^(|yes|no)$")] = "",
    campaign: Annotated[str, Query(max_length=20)] = "",
    min_age_hours: Annotated[str, Query(max_length=20)] = "",
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Response:
    """Open cases, highest priority first. The filter form sends empty fields as empty strings,
    which mean "any"."""
    try:
        campaign_id = int(campaign) if campaign else None
        min_age = float(min_age_hours) if min_age_hours else None
    except ValueError:
        campaign_id = min_age = -1
    if (campaign_id is not None and not 1 <= campaign_id <= 2**62) or (
        min_age is not None and not 0 <= min_age <= 1e6
    ):
        return render(
            request,
            "error.html",
            viewer,
            status_code=422,
            message="Campaign # is a campaign number; open at least is a number of hours.",
        )
    filters: dict[str, Any] = {
        "status": "open",
        "queue": queue_name,
        "reason": reason or None,
        "shielded": _flag(shielded),
        "campaign_id": campaign_id,
        "min_age_hours": min_age,
    }
    engine = request.app.state.engine
    rows = [
        {**case_summary(c), "opened": c.opened_at}
        for c in queue(engine, limit=PAGE, offset=offset, **filters)
    ]
    total = queue_size(engine, **filters)
    # Each tab names its whole queue, so the two add up to every open case the CLI counts.
    tabs = {q: queue_size(engine, status="open", queue=q) for q in ("violation", "dispute")}
    chosen = {
        k: v
        for k, v in {
            "queue": queue_name if queue_name != "violation" else "",
            "reason": reason,
            "shielded": shielded,
            "campaign": campaign,
            "min_age_hours": min_age_hours,
        }.items()
        if v not in ("", None)
    }

    def at(new_offset: int) -> str:
        return "?" + urlencode({**chosen, "offset": new_offset})

    return render(
        request,
        "queue.html",
        viewer,
        rows=rows,
        queue_name=queue_name,
        total=total,
        tabs=tabs,
        filtered=any(k != "queue" for k in chosen),
        offset=offset,
        page=PAGE,
        chosen=chosen,
        previous=at(max(offset - PAGE, 0)) if offset > 0 else None,
        next=at(offset + PAGE) if offset + PAGE < total else None,
    )
