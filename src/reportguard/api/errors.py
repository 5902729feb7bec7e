"""Every error the API gives is JSON of one shape; none is a stack trace.

``{"error": {"status": 422, "code": "invalid_request", "message": "...", "details": [...]}}``.
Validation errors name the field (and, for records in a batch, the record's index); an
unexpected failure is logged with an id that the response carries, so an operator can find it.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reportguard.errors import Problem, ReportGuardError

log = logging.getLogger("reportguard.api")

CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "not_ready",
}


#: The HTTP answer to each kind of domain error; the stages below the API know no status codes.
PROBLEM_STATUS = {
    Problem.invalid: 422,
    Problem.not_found: 404,
    Problem.conflict: 409,
    Problem.forbidden: 403,
}


class ErrorDetail(BaseModel):
    field: str
    message: str
    index: int | None = None


class ErrorInfo(BaseModel):
    status: int
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorBody(BaseModel):
    error: ErrorInfo


class ApiError(Exception):
    """Raised by routes; turned into the JSON error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        details: list[ErrorDetail] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []
        self.headers = headers


def error_response(
    status: int,
    message: str,
    *,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(
        error=ErrorInfo(
            status=status,
            code=CODES.get(status, "error"),
            message=message,
            details=details or [],
        )
    )
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "")


def _page(request: Request, status: int, message: str) -> Response | None:
    """An HTML error page for a browser page (the dashboard registers the renderer), else None."""
    pages = getattr(request.app.state, "error_pages", None)
    if pages is None or not request.url.path.startswith(pages.prefix):
        return None
    answer: Response = pages.render(request, status, message)
    return answer


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the same JSON shape (HTML on the pages of
    the dashboard, which registers ``app.state.error_pages``)."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, details=exc.details, headers=exc.headers)

    @app.exception_handler(ReportGuardError)
    async def _domain(_request: Request, exc: ReportGuardError) -> JSONResponse:
        return error_response(PROBLEM_STATUS[exc.problem], str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        broken = [e for e in exc.errors() if e.get("type") == "json_invalid"]
        if broken:  # not a request that breaks the schema, but no JSON at all: 400
            where = (broken[0].get("ctx") or {}).get("error", "")
            return error_response(
                400, "the body is not valid JSON" + (f" ({where})" if where else "")
            )
        details = [
            ErrorDetail(field=_location(tuple(e.get("loc", ()))), message=str(e.get("msg", "")))
            for e in exc.errors()
        ]
        page = _page(
            request,
            422,
            "Not a valid address: " + "; ".join(f"{d.field}: {d.message}" for d in details),
        )
        return page or error_response(422, "the request is not valid", details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else CODES.get(exc.status_code, "")
        headers = getattr(exc, "headers", None)  # Allow on a 405, say: pages keep them too
        page = _page(request, exc.status_code, message)
        if page is not None:
            page.headers.update(headers or {})
            return page
        return error_response(exc.status_code, message, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        incident = secrets.token_hex(6)
        log.exception("internal error %s on %s %s", incident, request.method, request.url.path)
        message = f"internal error; the server log has the details under id {incident}"
        return _page(request, 500, message) or error_response(500, message)


class BodyLimit:
    """Refuses a request body larger than ``max_bytes`` with 413, whether or not it declares
    its length (a chunked upload is counted as it arrives)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"the request body is larger than the limit of {self.max_bytes:,} bytes"
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(413, message)(scope, receive, send)
            return
        # Read the body here (never more than the limit) and hand it on once complete.
        body = bytearray()
        while True:
            incoming = await receive()
            if incoming["type"] != "http.request":
                await self.app(scope, _replay([incoming]), send)
                return
            body += incoming.get("body", b"")
            if len(body) > self.max_bytes:
                await error_response(413, message)(scope, receive, send)
                return
            if not incoming.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": bytes(body), "more_body": False}
        await self.app(scope, _replay([whole], then=receive), send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    """A ``receive`` that gives ``messages`` first, then waits on the real one (disconnects)."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the errors a route can give."""
    return {status: {"model": ErrorBody, "description": CODES[status]} for status in statuses}
