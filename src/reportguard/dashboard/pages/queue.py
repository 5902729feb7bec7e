"""The queue: open cases by priority, filtered, each row saying why it ranks where it does."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reportguard.dashboard.session import COOKIE_PATH
from reportguard.dashboard.web import Viewer, render
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
    viewer: Viewer,
    reason: Annotated[str, Query(max_length=64)] = "",
    shielded: Annotated[str, Query(pattern="^(|yes|no)$")] = "",
    campaign: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    min_age_hours: Annotated[float | None, Query(ge=0, le=1e6)] = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Response:
    """Open cases, highest priority first."""
    filters: dict[str, Any] = {
        "status": "open",
        "reason": reason or None,
        "shielded": _flag(shielded),
        "campaign_id": campaign,
        "min_age_hours": min_age_hours,
    }
    engine = request.app.state.engine
    rows = [
        {**case_summary(c), "opened": c.opened_at}
        for c in queue(engine, limit=PAGE, offset=offset, **filters)
    ]
    total = queue_size(engine, **filters)
    chosen = {
        k: v
        for k, v in {
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
        total=total,
        offset=offset,
        page=PAGE,
        chosen=chosen,
        previous=at(max(offset - PAGE, 0)) if offset > 0 else None,
        next=at(offset + PAGE) if offset + PAGE < total else None,
    )
