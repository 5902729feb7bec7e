"""Sign in with a moderator or admin key, sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from reportguard.access.keys import authenticate
from reportguard.dashboard.session import (
    COOKIE_PATH,
    CSRF_FIELD,
    LOGIN_COOKIE,
    SESSION_COOKIE,
)
from reportguard.dashboard.web import ROLES, CurrentViewer, Posted, redirect, render, signer
from reportguard.store import audit

router = APIRouter()
LOGIN_SECONDS = 3600


def _safe_next(path: str | None) -> str:
    """Only a path inside the dashboard: never an open redirect to another site."""
    if path and path.startswith(COOKIE_PATH + "/") and not path.startswith("//"):
        return path
    return COOKIE_PATH + "/"


def _login_page(
    request: Request, next_path: str, *, error: str | None, status_code: int
) -> Response:
    sign = signer(request)
    nonce = sign.new_login_nonce()
    response = render(
        request,
        "login.html",
        None,
        status_code=status_code,
        token=sign.login_token(nonce),
        next_path=_safe_next(next_path),
        error=error,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=LOGIN_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next_path: Annotated[str, Query(alias="next")] = "") -> Response:
    return _login_page(request, next_path, error=None, status_code=200)


@router.post("/login")
def login(
    request: Request,
    key: Annotated[str, Form(max_length=300)] = "",
    token: Annotated[str, Form(alias=CSRF_FIELD, max_length=100)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "",
) -> Response:
    """Check the key once; the session cookie then names the key, never its secret."""
    sign = signer(request)
    if not sign.check_login(request.cookies.get(LOGIN_COOKIE), token):
        return _login_page(
            request,
            next_path,
            error="This sign-in form expired or did not come from this dashboard; try again.",
            status_code=403,
        )
    throttle = request.app.state.failed_auth
    address = request.client.host if request.client else "-"
    wait = throttle.wait(address)
    if wait is not None:
        return _login_page(
            request,
            next_path,
            error=f"Too many failed sign-ins from this address; try again in {wait} s.",
            status_code=429,
        )
    with Session(request.app.state.engine) as session:
        principal = authenticate(session, key.strip())
    if principal is None:
        throttle.failed(address)
        return _login_page(
            request, next_path, error="That key is unknown or revoked.", status_code=401
        )
    if principal.role not in ROLES:
        return _login_page(
            request,
            next_path,
            error=f"A key with role {principal.role!r} cannot use the dashboard; "
            "it needs a moderator or admin key.",
            status_code=403,
        )
    with Session(request.app.state.engine) as session, session.begin():
        audit.record(
            session,
            actor=principal.actor,
            event="dashboard_sign_in",
            subject_type="api_key",
            subject_id=principal.key_id,
            payload={},
        )
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        sign.new_session(principal.key_id),
        max_age=int(sign.max_age_seconds),
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/logout")
def logout(request: Request, viewer: CurrentViewer, form: Posted) -> Response:
    response = redirect(request, COOKIE_PATH + "/login", flash="Signed out.")
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response
