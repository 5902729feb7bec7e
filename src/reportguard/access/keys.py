"""API keys: who may call the HTTP API, in which role, at what rate.

A key is shown once, when it is created: ``rg_<key id>_<secret>``. Only the key id and a SHA-256
hash of the secret are stored; the secret is 256 random bits, so a fast hash is as safe as a slow
one, and the comparison is in constant time. Roles nest: ``admin`` may do anything, ``moderator``
reads and works cases, ``ingest`` (the platform's systems) sends reports, snapshots and appeals.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.errors import ReportGuardError
from reportguard.store import audit
from reportguard.store.models import ApiKey

Role = Literal["ingest", "moderator", "admin"]
ROLES: tuple[Role, ...] = ("ingest", "moderator", "admin")
PREFIX = "rg"


class KeyConfigError(ReportGuardError):
    """A key that cannot be created or revoked as asked."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's public id, its name (the moderator's name) and role."""

    key_id: str
    name: str
    role: Role
    rate_limit: str | None = None

    @property
    def actor(self) -> str:
        return self.name


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_rate_limit(value: str | None) -> str | None:
    """Parse a limit like ``100/second`` or ``10/second;1000/hour`` (the `limits` notation)."""
    if value is None:
        return None
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError as exc:
        raise KeyConfigError(
            f"rate limit {value!r} is not understood; write it like 100/second or 6000/minute"
        ) from exc
    return value


def create_key(
    engine: Engine,
    name: str,
    role: str,
    *,
    rate_limit: str | None = None,
    actor: str = "cli",
) -> tuple[Principal, str]:
    """Create a key; returns it and the token, which is never shown again."""
    if role not in ROLES:
        raise KeyConfigError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    name = name.strip()
    if not name or len(name) > 200:
        raise KeyConfigError("a key needs a name of 1 to 200 characters (the moderator or system)")
    check_rate_limit(rate_limit)
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        session.add(
            ApiKey(
                key_id=key_id,
                name=name,
                role=role,
                secret_hash=_hash(secret),
                created_at=now,
                rate_limit=rate_limit,
            )
        )
        audit.record(
            session,
            actor=actor,
            event="api_key_created",
            subject_type="api_key",
            subject_id=key_id,
            payload={"name": name, "role": role, "rate_limit": rate_limit},
            at=now,
        )
    principal = Principal(key_id=key_id, name=name, role=role, rate_limit=rate_limit)
    return principal, f"{PREFIX}_{key_id}_{secret}"


def list_keys(engine: Engine, *, include_revoked: bool = False) -> list[ApiKey]:
    query = sa.select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(query))


def revoke_key(engine: Engine, key_id: str, *, actor: str = "cli") -> ApiKey:
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        key = session.scalar(sa.select(ApiKey).where(ApiKey.key_id == key_id))
        if key is None:
            raise KeyConfigError(f"no API key with id {key_id!r} (see `reportguard keys list`)")
        if key.revoked_at is None:
            key.revoked_at = now
            audit.record(
                session,
                actor=actor,
                event="api_key_revoked",
                subject_type="api_key",
                subject_id=key_id,
                payload={"name": key.name, "role": key.role},
                at=now,
            )
        return key


def split_token(token: str) -> tuple[str, str] | None:
    """``rg_<id>_<secret>`` -> (id, secret); None for anything else."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def authenticate(session: Session, token: str) -> Principal | None:
    """The key's principal, or None when the token is unknown, wrong or revoked."""
    parts = split_token(token)
    if parts is None:
        return None
    key_id, secret = parts
    row = session.execute(
        sa.select(ApiKey.name, ApiKey.role, ApiKey.secret_hash, ApiKey.rate_limit).where(
            ApiKey.key_id == key_id, ApiKey.revoked_at.is_(None)
        )
    ).first()
    # Compare even when the key is unknown, so timing does not tell which key ids exist.
    expected = row.secret_hash if row is not None else _hash("")
    if not hmac.compare_digest(expected, _hash(secret)) or row is None:
        return None
    return Principal(key_id=key_id, name=row.name, role=row.role, rate_limit=row.rate_limit)


def principal_by_id(session: Session, key_id: str) -> Principal | None:
    """The principal of an active key by its public id (a dashboard session names its key)."""
    row = session.execute(
        sa.select(ApiKey.name, ApiKey.role, ApiKey.rate_limit).where(
            ApiKey.key_id == key_id, ApiKey.revoked_at.is_(None)
        )
    ).first()
    if row is None:
        return None
    return Principal(key_id=key_id, name=row.name, role=row.role, rate_limit=row.rate_limit)


def touch(engine: Engine, key_id: str, at: datetime) -> None:
    """Record when a key was last used (called at most once a minute per key)."""
    with engine.begin() as conn:
        conn.execute(sa.update(ApiKey).where(ApiKey.key_id == key_id).values(last_used_at=at))
