"""What every command shares: the consoles, the settings the root callback parsed, the database.

Command modules import from here, never from the root app, so the command line has no import
circle: :mod:`reportguard.cli.main` adds each module's app and nothing imports it back.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from reportguard.config import Settings

# Wider than 80 columns when writing to a file or a CI log, so tables stay readable.
console = Console(width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True, soft_wrap=True)


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root callback built from the environment and ``--db``."""
    settings = ctx.find_root().obj
    from reportguard.config import Settings

    assert isinstance(settings, Settings)
    return settings


def open_db(ctx: typer.Context, *, create: bool = False, bare: bool = False) -> Engine:
    """The database the settings name, migrated on open (or refused when behind, as the
    settings say; ``bare``: opened as it is, for the commands that manage the schema).

    Only commands that fill a database (``ingest``) create one; the others refuse a SQLite file
    that is not there unless ``--create`` says so, because a mistyped ``--db`` would otherwise
    answer every question about an empty new database with zeros.
    """
    import sqlalchemy as sa

    from reportguard.errors import ConfigError
    from reportguard.store.database import create_engine

    settings = settings_of(ctx)
    url = settings.resolved_database_url()
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return create_engine(url)  # which names the bad URL
    database = parsed.database or ""
    allowed = create or bool(ctx.find_root().meta.get("create"))
    if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:"):
        path = Path(database).expanduser()
        if not path.exists() and not allowed:
            raise ConfigError(
                f"no database at {path} (the file does not exist): check --db "
                "(or REPORTGUARD_DATABASE_URL), or give "
                "--create to start an empty one"
            )
    return create_engine(url, migrate=False) if bare else create_engine(url, **settings.on_open())


def time_option(value: str, name: str) -> datetime:
    """An ISO 8601 option value as an aware time (UTC when it names no offset)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint=name) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def epoch_option(value: str | None, name: str) -> int | None:
    return None if value is None else int(time_option(value, name).timestamp())


def plural(count: int, noun: str) -> str:
    """``1 campaign``, ``3 campaigns``: counts printed to people read as sentences."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def command_name() -> str:
    """How to run ReportGuard again from this shell: ``reportguard`` only when that is on PATH and
    is this installation, else the path of the script that is running (in a venv that was not
    activated, ``reportguard`` alone is not found)."""
    import shutil
    import sys
    from pathlib import Path

    script = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    found = shutil.which("reportguard")
    if script is not None and script.name == "reportguard":
        if found is not None and Path(found).resolve() == script:
            return "reportguard"
        return str(script)
    if found is not None and Path(found).parent == Path(sys.executable).parent:
        return "reportguard"
    return f"{sys.executable} -m reportguard.cli"


def print_access_log() -> None:
    """Send the server's access log (``reportguard.access``) to stderr, one UTC-stamped line per
    request, in place of uvicorn's, which prints raw addresses and query strings."""
    import logging
    import time

    log = logging.getLogger("reportguard.access")
    if any(getattr(h, "reportguard_access", False) for h in log.handlers):
        return
    handler = logging.StreamHandler()
    formatter = logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.reportguard_access = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
