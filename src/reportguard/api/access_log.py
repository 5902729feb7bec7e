"""One line per request for the operator: what was asked, the answer, how long, which key.

uvicorn's own access log prints the client's raw address and the query string (where a
dashboard redirect may carry a path, and a careless client a key). This one prints the path
without the query, the key's public id (never its secret) and the client's address only as a
short keyed hash, so the log can tell one client from another without storing who they are.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOGGER = "reportguard.access"


class AccessLog:
    """ASGI middleware that writes one line per HTTP request to the ``reportguard.access`` log."""

    def __init__(self, app: ASGIApp, hash_address: Callable[[str], str]) -> None:
        self.app = app
        self.hash_address = hash_address
        self.log = logging.getLogger(LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]  # what the client sees if the app fails before answering
        sent = [0]

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body":
                sent[0] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self.log.info(self.line(scope, status[0], sent[0], time.perf_counter() - started))

    def line(self, scope: Scope, status: int, sent: int, seconds: float) -> str:
        """``GET /v1/cases 200 1,234 B 3.1 ms key=rgk_x client=1a2b3c4d``."""
        client = scope.get("client")
        address = self.hash_address(client[0])[:12] if client else "-"
        key = (scope.get("state") or {}).get("key_id") or "-"
        return (
            f"{scope['method']} {scope['path']} {status} {sent:,} B {seconds * 1000:.1f} ms "
            f"key={key} client={address}"
        )
