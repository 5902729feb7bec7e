"""What every command shares: the consoles, the settings the root callback parsed, the database.

Command modules import from here, never from the root app, so the command line has no import
circle: :mod:`reportguard.cli.main` adds each module's app and nothing imports it back.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import typer
from rich.console import Console
from sqlalchemy.engine import Engine

from reportguard.config import Settings

# Wider than 80 columns when writing to a file or a CI log, so tables stay readable.
console = Console(width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True, soft_wrap=True)


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root callback built from the environment and ``--db``."""
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def open_db(ctx: typer.Context) -> Engine:
    """The database the settings name, created and migrated on first use."""
    from reportguard.store.database import create_engine

    return create_engine(settings_of(ctx).resolved_database_url())


def time_option(value: str, name: str) -> datetime:
    """An ISO 8601 option value as an aware time (UTC when it names no offset)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint=name) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def epoch_option(value: str | None, name: str) -> int | None:
    return None if value is None else int(time_option(value, name).timestamp())
