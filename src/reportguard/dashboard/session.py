"""Dashboard sessions and CSRF tokens, signed with a key derived from the deployment's secret.

A moderator signs in with an API key once; the browser then holds a session cookie that names
the key (never its secret) and is signed, so it cannot be forged or altered. Every request checks
that the key is still active: revoking a key ends its dashboard sessions at once.

CSRF: each form carries a token bound to the session (an HMAC of the session's nonce). A page
from another site can make the browser send the cookie (SameSite=Strict already stops most of
that), but it cannot read the token. The sign-in form, which has no session yet, binds its token
to a short-lived pre-session cookie instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

SESSION_COOKIE = "rg_session"
LOGIN_COOKIE = "rg_login"
FLASH_COOKIE = "rg_flash"
CSRF_FIELD = "csrf_token"
COOKIE_PATH = "/dashboard"


@dataclass(frozen=True)
class SessionData:
    """What a valid session cookie says: which key, since when, and its nonce."""

    key_id: str
    issued: int
    nonce: str


class Signer:
    """Signs and checks session cookies and CSRF tokens."""

    def __init__(self, secret: bytes, *, max_age_seconds: float) -> None:
        self._key = hmac.new(secret, b"reportguard dashboard v1", hashlib.sha256).digest()
        self.max_age_seconds = max_age_seconds

    def _mac(self, message: str) -> str:
        digest = hmac.new(self._key, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _valid(self, message: str, mac: str) -> bool:
        return hmac.compare_digest(self._mac(message), mac)

    def new_session(self, key_id: str, *, now: float | None = None) -> str:
        """A cookie value for a fresh session of ``key_id``."""
        issued = int(now if now is not None else time.time())
        payload = f"{key_id}.{issued}.{secrets.token_urlsafe(18)}"
        return f"{payload}.{self._mac('session|' + payload)}"

    def read_session(self, value: str | None, *, now: float | None = None) -> SessionData | None:
        """The session a cookie names, or None if it is missing, altered or too old."""
        if not value:
            return None
        parts = value.split(".")
        if len(parts) != 4:
            return None
        key_id, issued, nonce, mac = parts
        if not issued.isdigit() or not self._valid(f"session|{key_id}.{issued}.{nonce}", mac):
            return None
        age = (now if now is not None else time.time()) - int(issued)
        if age < 0 or age > self.max_age_seconds:
            return None
        return SessionData(key_id=key_id, issued=int(issued), nonce=nonce)

    def csrf_token(self, session: SessionData) -> str:
        return self._mac(f"csrf|{session.key_id}|{session.nonce}")

    def check_csrf(self, session: SessionData, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(session), token or "")

    @staticmethod
    def new_login_nonce() -> str:
        return secrets.token_urlsafe(18)

    def login_token(self, nonce: str) -> str:
        return self._mac(f"login|{nonce}")

    def check_login(self, nonce: str | None, token: str | None) -> bool:
        if not nonce or not token:
            return False
        return hmac.compare_digest(self.login_token(nonce), token)
