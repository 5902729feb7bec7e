"""The moderators' dashboard: server-rendered pages under ``/dashboard``, served by the API's
process and calling the same functions the API calls (review, appeals, triage, audit).

Pages: sign-in, the queue, a case, campaigns, appeals, the misuse ledger, the audit log and
transparency figures. Charts are SVG drawn on the server; the one script only adds conveniences
(the form still works without it).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from reportguard.config import Settings
from reportguard.dashboard.pages import appeals, auth, campaigns, cases, queue, records
from reportguard.dashboard.session import COOKIE_PATH, Signer
from reportguard.dashboard.web import (
    FormRefusedError,
    SignInRequiredError,
    render,
    sign_in_path,
    templates,
)


@dataclass
class DashboardState:
    signer: Signer
    templates: Jinja2Templates


@dataclass
class ErrorPages:
    """How the API's error handlers answer under ``prefix``: a page, not JSON."""

    prefix: str

    @staticmethod
    def render(request: Request, status: int, message: str) -> Response:
        return render(request, "error.html", None, status_code=status, message=message)


def install(app: FastAPI, settings: Settings, *, secret: bytes) -> None:
    """Add the dashboard's pages, static files and error handling to ``app``; sessions are
    signed with a key derived from ``secret`` (the deployment's secret key)."""
    app.state.dashboard = DashboardState(
        signer=Signer(secret, max_age_seconds=settings.dashboard_session_hours * 3600),
        templates=templates(),
    )
    app.state.error_pages = ErrorPages(prefix=COOKIE_PATH)
    for module in (auth, queue, cases, campaigns, appeals, records):
        app.include_router(module.router, prefix=COOKIE_PATH, include_in_schema=False)
    app.mount(
        COOKIE_PATH + "/static",
        StaticFiles(directory=str(files("reportguard.dashboard") / "static")),
        name="dashboard-static",
    )

    @app.exception_handler(SignInRequiredError)
    async def _sign_in(request: Request, exc: SignInRequiredError) -> Response:
        return RedirectResponse(sign_in_path(exc.next_path), status_code=303)

    @app.exception_handler(FormRefusedError)
    async def _refused(request: Request, exc: FormRefusedError) -> HTMLResponse:
        return render(
            request,
            "error.html",
            None,
            status_code=403,
            message="This form was refused: its security token is missing or does not match "
            "your session. Reload the page and submit it again.",
        )

    @app.get("/", include_in_schema=False)
    def _home() -> Response:
        return RedirectResponse(COOKIE_PATH + "/", status_code=307)
