"""Engine factory: SQLite (WAL) as the embedded default, PostgreSQL through the same code.

Engines are built on request, never at import time, so each test and each app gets its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, OperationalError

from reportguard.errors import ConfigError


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    """WAL lets readers (dashboard, API) work while one writer imports."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # A fixed 32 MiB page cache per connection; sorts (index builds) spill to temporary
        # files. A bulk import's peak memory then does not grow with the size of the file.
        cursor.execute("PRAGMA cache_size=-32768")
        cursor.close()

    return on_connect


def create_engine(
    url: str,
    *,
    migrate: bool = True,
    echo: bool = False,
    busy_timeout_ms: int = 30_000,
    refuse_behind: bool = False,
) -> Engine:
    """Open a database and bring its schema to the newest migration.

    With ``migrate=False`` the schema is left as it is; ``refuse_behind`` then refuses (with the
    command that upgrades it) a database whose schema is not the newest, instead of opening it
    (``REPORTGUARD_MIGRATE_ON_OPEN=false``: upgrades happen when an operator runs them).
    ``busy_timeout_ms`` is how long an SQLite connection waits for another writer's lock before
    it reports "database is locked". Raises ConfigError with the database named (password
    hidden) when it cannot be reached.
    """
    try:
        parsed = sa.make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"not a database URL or path: {url!r}") from exc
    shown = parsed.render_as_string(hide_password=True)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            parent = Path(database).expanduser().resolve().parent
            if not parent.is_dir():
                raise ConfigError(f"{shown}: folder {parent} does not exist")
        kwargs["connect_args"] = {"timeout": busy_timeout_ms / 1000}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise ConfigError(f"{shown}: cannot use this database: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except (OperationalError, sqlite3.Error) as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise ConfigError(f"cannot open database {shown}: {reason}") from exc
    if migrate:
        from reportguard.store.indexes import ensure_indexes
        from reportguard.store.migrate import upgrade

        upgrade(engine)
        ensure_indexes(engine)  # e.g. after an import that deferred them was killed
    elif refuse_behind:
        from reportguard.store.migrate import current_revision, head_revision

        current, head = current_revision(engine), head_revision()
        if current != head:
            engine.dispose()
            raise ConfigError(
                f"database {shown} is at schema {current or 'none (empty)'}, this version needs "
                f"{head}; back it up, then run `reportguard db upgrade` (migrations on open are "
                "off: REPORTGUARD_MIGRATE_ON_OPEN=false)"
            )
    return engine
