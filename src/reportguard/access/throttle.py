"""Failed authentications counted per client address, so that keys cannot be guessed at speed.

Both edges that take a key use it: the API (429 with Retry-After) and the dashboard's sign-in.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from limits import parse_many


class FailedAuth:
    """Failed authentications per client address in a moving window (``limit`` in the `limits`
    syntax, e.g. ``20/minute``). Over it, the address is refused (the API answers 429) before its
    next key is even looked up. Successes are not counted, and a key already known good (cached)
    is not refused. Behind a reverse proxy the address is the one it forwards (uvicorn's proxy
    headers); kept in memory only, never written anywhere."""

    def __init__(self, limit: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        items = parse_many(limit)
        self.amount = min(item.amount for item in items)
        self.window = float(max(item.get_expiry() for item in items))
        self.limit = limit
        self.clock = clock
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float] | None:
        fails = self._fails.get(address)
        while fails and fails[0] <= now - self.window:
            fails.popleft()
        return fails

    def wait(self, address: str) -> int | None:
        """Seconds ``address`` must wait before its next try, or None while under the limit."""
        now = self.clock()
        with self._lock:
            fails = self._recent(address, now)
            if fails is None or len(fails) < self.amount:
                return None
            return max(1, int(fails[0] + self.window - now + 0.999))

    def failed(self, address: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._fails) > 100_000:  # a flood of addresses: forget, never grow unbounded
                self._fails.clear()
            fails = self._recent(address, now)
            if fails is None:
                fails = self._fails[address] = deque()
            fails.append(now)
