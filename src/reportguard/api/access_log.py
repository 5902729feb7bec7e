"""One line per request for the operator: what was asked, the answer, how long, which key.

uvicorn's own access log prints the client's raw address and the query string (where a
dashboard redirect may carry a path, and a careless client a key). This one prints the path
without the query, the key's public id (never its secret) and the client's address only as a
short keyed hash, so the log can tell one client from another without storing who they are.

Every request gets an id: the client's ``X-Request-ID`` when it is a short plain token, else a
new one. It is sent back in the same header, bound to the logging context for everything logged
while the request is served (an internal error's log entry carries it), and written with the
line's fields as structured data, which the JSON log format shows (``serve --log-format json``).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOGGER = "reportguard.access"
REQUEST_ID = "x-request-id"
_PLAIN_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id(scope: Scope) -> str:
    """The client's request id if it is a short plain token (never echo anything else)."""
    given = dict(scope.get("headers") or []).get(REQUEST_ID.encode(), b"").decode("latin-1")
    return given if _PLAIN_ID.match(given) else secrets.token_hex(8)


class AccessLog:
    """ASGI middleware that writes one line per HTTP request to the ``reportguard.access`` log."""

    def __init__(self, app: ASGIApp, hash_address: Callable[[str], str]) -> None:
        self.app = app
        self.hash_address = hash_address
        self.log = logging.getLogger(LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        started = time.perf_counter()
        status = [500]  # what the client sees if the app fails before answering
        sent = [0]

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID.encode(), rid.encode()),
                ]
            elif message["type"] == "http.response.body":
                sent[0] += len(message.get("body", b""))
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=rid):
            try:
                await self.app(scope, receive, watch)
            finally:
                if self.log.isEnabledFor(logging.INFO):
                    seconds = time.perf_counter() - started
                    self.log.info(
                        self.line(scope, status[0], sent[0], seconds),
                        extra=self.fields(scope, status[0], sent[0], seconds),
                    )

    def fields(self, scope: Scope, status: int, sent: int, seconds: float) -> dict[str, object]:
        """The line as data, for the JSON log format."""
        client = scope.get("client")
        return {
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "bytes": sent,
            "duration_ms": round(seconds * 1000, 1),
            "key": (scope.get("state") or {}).get("key_id"),
            "client": self.hash_address(client[0])[:12] if client else None,
        }

    def line(self, scope: Scope, status: int, sent: int, seconds: float) -> str:
        """``GET /v1/cases 200 1,234 B 3.1 ms key=rgk_x client=1a2b3c4d``."""
        client = scope.get("client")
        address = self.hash_address(client[0])[:12] if client else "-"
        key = (scope.get("state") or {}).get("key_id") or "-"
        return (
            f"{scope['method']} {scope['path']} {status} {sent:,} B {seconds * 1000:.1f} ms "
            f"key={key} client={address}"
        )
