"""What every dashboard page shares: who is signed in, checked forms, templates, flashes.

Pages depend on :data:`CurrentViewer` (a signed-in moderator or admin; anyone else is sent to the
sign-in page) and, for forms, on :data:`Posted` (the form's fields, refused with 403 unless its
CSRF token matches the session).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from reportguard.access.keys import Principal, principal_by_id
from reportguard.dashboard.session import (
    COOKIE_PATH,
    CSRF_FIELD,
    FLASH_COOKIE,
    SESSION_COOKIE,
    SessionData,
    Signer,
)

ROLES = ("moderator", "admin")
# Pages load nothing from elsewhere and may not be framed (no clickjacking of a decision form).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Viewer:
    """A signed-in moderator or admin, and the CSRF token their forms carry."""

    principal: Principal
    session: SessionData
    csrf: str

    @property
    def actor(self) -> str:
        return self.principal.actor

    @property
    def is_admin(self) -> bool:
        return self.principal.role == "admin"


class SignInRequiredError(Exception):
    """No valid session: the handler sends the browser to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class FormRefusedError(Exception):
    """A form whose CSRF token is missing or wrong."""


def templates() -> Jinja2Templates:
    """The dashboard's templates, with its filters (autoescaping is on for .html)."""
    env = Jinja2Templates(directory=str(files("reportguard.dashboard") / "templates"))
    env.env.filters["when"] = when
    env.env.filters["ago"] = ago
    env.env.filters["when_epoch"] = lambda t: when(datetime.fromtimestamp(t, UTC))
    env.env.globals["CSRF_FIELD"] = CSRF_FIELD
    return env


def when(value: datetime | str | None) -> str:
    """A time as moderators read it: ``2026-11-24 20:31 UTC``."""
    if value is None:
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in the largest unit that fits: ``3 h``, ``2 d``."""
    if value is None:
        return "-"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - value).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:.0f} {unit}"
    return "now"


def signer(request: Request) -> Signer:
    dashboard: Any = request.app.state.dashboard
    result: Signer = dashboard.signer
    return result


async def get_viewer(request: Request) -> Viewer:
    """The signed-in moderator or admin; anyone else goes to the sign-in page."""
    sign = signer(request)
    session = sign.read_session(request.cookies.get(SESSION_COOKIE))
    principal = None
    if session is not None:
        with Session(request.app.state.engine) as db:
            principal = principal_by_id(db, session.key_id)
    if session is None or principal is None or principal.role not in ROLES:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequiredError(target)
    request.state.key_id = principal.key_id  # the public id, for the access log
    return Viewer(principal=principal, session=session, csrf=sign.csrf_token(session))


CurrentViewer = Annotated[Viewer, Depends(get_viewer)]


class Fields:
    """A checked form's text fields (files are not accepted anywhere in the dashboard)."""

    def __init__(self, form: FormData) -> None:
        self._form = form

    def get(self, name: str, default: str = "") -> str:
        value = self._form.get(name)
        return value.strip() if isinstance(value, str) else default

    def getlist(self, name: str) -> list[str]:
        return [v for v in self._form.getlist(name) if isinstance(v, str)]


async def posted_form(request: Request, viewer: CurrentViewer) -> Fields:
    """The form's fields, once its CSRF token has been checked against the session."""
    form = await request.form(max_files=0, max_fields=2000)
    token = form.get(CSRF_FIELD)
    if not signer(request).check_csrf(viewer.session, token if isinstance(token, str) else None):
        raise FormRefusedError
    return Fields(form)


Posted = Annotated[Fields, Depends(posted_form)]


def render(
    request: Request,
    name: str,
    viewer: Viewer | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page from its template; a flash message left by the last form is shown once."""
    flash = unquote(request.cookies.get(FLASH_COOKIE) or "") or None
    page: Any = request.app.state.dashboard.templates
    response: HTMLResponse = page.TemplateResponse(
        request,
        name,
        {"viewer": viewer, "flash": flash, "policy": request.app.state.policy, **context},
        status_code=status_code,
    )
    if flash:
        response.delete_cookie(FLASH_COOKIE, path=COOKIE_PATH)
    response.headers.update(SECURITY_HEADERS)
    return response


def redirect(request: Request, path: str, *, flash: str | None = None) -> Response:
    """After a form: back to a page (303, so a reload does not post again), with a message."""
    response = RedirectResponse(path, status_code=303)
    if flash:
        response.set_cookie(
            FLASH_COOKIE,
            quote(flash[:500]),
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


def sign_in_path(next_path: str) -> str:
    return f"{COOKIE_PATH}/login?next={quote(next_path, safe='')}"
