"""Who may call what: API keys with roles, checked on every request, and a rate limit per key.

``Authorization: Bearer rg_<id>_<secret>`` (or ``X-API-Key``). Roles: ``ingest`` sends reports,
snapshots and appeals; ``moderator`` reads and works cases; ``admin`` may do everything. A
moderator key cannot ingest and an ingest key cannot read cases, so a leaked platform key
exposes no case data.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from limits import RateLimitItem, parse_many
from sqlalchemy.orm import Session

from reportguard.access.keys import Principal, authenticate, touch
from reportguard.access.throttle import FailedAuth
from reportguard.api.errors import ApiError

bearer = HTTPBearer(auto_error=False, description="An API key: `rg_<id>_<secret>`.")
header_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key.")
TOUCH_EVERY = 60.0  # seconds between last-used updates of one key
KEY_CACHE_SECONDS = 5.0  # a revoked key stops working within this time


class KeyCache:
    """Who a token belongs to, remembered for a few seconds: a busy platform key would
    otherwise cost a database read on every request. Only successful lookups are kept, under a
    hash of the token, so the cache holds no secrets."""

    def __init__(self, seconds: float = KEY_CACHE_SECONDS) -> None:
        self.seconds = seconds
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> Principal | None:
        with self._lock:
            entry = self._entries.get(_token_key(token))
        if entry is None or time.monotonic() - entry[0] > self.seconds:
            return None
        return entry[1]

    def put(self, token: str, principal: Principal) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[_token_key(token)] = (time.monotonic(), principal)


def _token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RateLimits:
    """A moving-window limit per key: the key's own or the default, in the `limits` syntax.

    A window keeps the times of the hits it allows (at most the limit's amount), oldest first;
    a hit drops those older than the window and is allowed while fewer remain than the amount.
    `limits` parses the specs; its in-memory storage is not used for counting because it starts
    a timer thread to expire entries, which at a few hundred requests a second meant a new
    thread every other request, started from the event loop (measured in benchmarks/README.md).
    """

    def __init__(self, default: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.default = default
        self.clock = clock
        self._parsed: dict[str, list[RateLimitItem]] = {}
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, principal: Principal) -> None:
        """Count one request of ``principal``'s key; 429 with Retry-After when over a limit."""
        spec = principal.rate_limit or self.default
        items = self._parsed.get(spec)
        if items is None:
            items = self._parsed[spec] = parse_many(spec)
        now = self.clock()
        with self._lock:
            windows = []
            for item in items:
                hits = self._hits.setdefault((principal.key_id, str(item)), deque())
                expiry = item.get_expiry()
                while hits and hits[0] <= now - expiry:
                    hits.popleft()
                if len(hits) >= item.amount:  # every limit is checked before any is counted
                    retry = max(1, int(hits[0] + expiry - now + 0.999))
                    raise ApiError(
                        429,
                        f"rate limit of {item} for this key exceeded; retry in {retry} s",
                        headers={"Retry-After": str(retry)},
                    )
                windows.append(hits)
            for hits in windows:
                hits.append(now)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "-"


def refuse_if_throttled(throttle: FailedAuth, address: str) -> None:
    """429 with Retry-After while ``address`` has failed to authenticate too often."""
    retry = throttle.wait(address)
    if retry is not None:
        raise ApiError(
            429,
            f"too many failed authentications from this address ({throttle.limit}); "
            f"retry in {retry} s",
            headers={"Retry-After": str(retry)},
        )


class KeyUse:
    """Remembers when each key was last written as used, so a busy key costs one write a minute."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def due(self, key_id: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(key_id, -TOUCH_EVERY) < TOUCH_EVERY:
                return False
            self._last[key_id] = now
            return True


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    api_key: Annotated[str | None, Depends(header_key)],
) -> Principal:
    token = credentials.credentials if credentials is not None else api_key
    if not token:
        raise ApiError(
            401,
            "an API key is required: send `Authorization: Bearer <key>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    state = request.app.state
    principal: Principal | None = state.key_cache.get(token)
    if principal is None:
        address = client_address(request)
        refuse_if_throttled(state.failed_auth, address)
        with Session(state.engine) as session:  # about 0.2 ms; rare thanks to the cache
            principal = authenticate(session, token)
        if principal is None:
            state.failed_auth.failed(address)
            raise ApiError(
                401, "the API key is unknown or revoked", headers={"WWW-Authenticate": "Bearer"}
            )
        state.key_cache.put(token, principal)
    request.state.key_id = principal.key_id  # the public id, for the access log
    if state.key_use.due(principal.key_id):
        touch(state.engine, principal.key_id, datetime.now(UTC))
    state.rate_limits.check(principal)
    return principal


def require(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting keys of these roles (and admin keys, which may do everything)."""
    allowed = {*roles, "admin"}

    async def dependency(
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Principal:
        if principal.role not in allowed:
            raise ApiError(
                403,
                f"a key with role {principal.role!r} may not do this; it needs "
                + " or ".join(sorted(allowed)),
            )
        return principal

    return dependency


Ingest = Annotated[Principal, Depends(require("ingest"))]
Moderator = Annotated[Principal, Depends(require("moderator"))]
Admin = Annotated[Principal, Depends(require("admin"))]
Filer = Annotated[Principal, Depends(require("ingest", "moderator"))]
