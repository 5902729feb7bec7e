"""Alembic migrations run from inside the package, so an installed copy upgrades its database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from reportguard.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at our migrations; the engine travels in ``attributes``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return script.get_current_head()


def newest_file_revision() -> str:
    """The head as the migration files name it (``0007_...py`` is revision ``0007``).

    Every command opens the database, and reading Alembic's script directory costs a few tenths
    of a second; the numbered file names say the same, which a test holds to Alembic's answer.
    """
    names = sorted(p.name for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    return names[-1][:4]


def _stored_revision(engine: Engine) -> str | None:
    """The database's revision read with one query, or None (no table, a fresh database)."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply pending migrations; a no-op on an up-to-date database."""
    if revision == "head" and _stored_revision(engine) == newest_file_revision():
        return
    from alembic import command

    if revision == "head" and current_revision(engine) == head_revision():
        return
    try:
        command.upgrade(alembic_config(engine), revision)
    except SQLAlchemyError as exc:
        shown = engine.url.render_as_string(hide_password=True)
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise ConfigError(
            f"cannot bring database {shown} to the current schema: {reason}. "
            "Is it a database of another application? Point --db at an empty or ReportGuard one."
        ) from exc
