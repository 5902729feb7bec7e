"""``reportguard db``: the operator's database commands: backup, restore, schema, retention.

``backup`` and ``restore`` work while nothing needs stopping for the backup (SQLite's online
backup API, ``pg_dump``); ``restore`` wants the server stopped. ``current`` and ``upgrade``
open the database without migrating it, so they can run where migrations on open are off.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reportguard.cli.common import console, open_db, settings_of

if TYPE_CHECKING:  # SQLAlchemy loads when a command runs, not for --help
    from sqlalchemy.engine import Engine

app = typer.Typer(
    name="db", help="Back up, restore, upgrade and prune the database.", no_args_is_help=True
)


def _bare(ctx: typer.Context, *, create: bool = False) -> Engine:
    """The database opened as it is: no migration, no refusal."""
    return open_db(ctx, create=create, bare=True)


@app.command("backup")
def db_backup(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The backup file to write (must not exist).")],
) -> None:
    """Write a consistent copy of the database while it is in use (SQLite: online backup API;
    PostgreSQL: pg_dump's custom format). Keep the secret key's backup with it."""
    from reportguard.store import audit
    from reportguard.store.backup import backup

    engine = _bare(ctx)
    backup(engine, path)
    chain = audit.verify(engine)
    engine.dispose()
    console.print(
        f"backup written to {path} ({path.stat().st_size:,} bytes); "
        f"audit head at the time {chain.head[:16]}"
    )


@app.command("restore")
def db_restore(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A backup written by `db backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that already holds data.")
    ] = False,
) -> None:
    """Replace the database with a backup (stop the server first); checks the audit chain."""
    import sqlalchemy as sa

    from reportguard.errors import ConfigError
    from reportguard.store import audit
    from reportguard.store.backup import restore
    from reportguard.store.database import create_engine

    engine = _bare(ctx, create=True)
    with engine.connect() as conn:
        tables = sa.inspect(conn).get_table_names()
    if "alembic_version" in tables and not force:
        engine.dispose()
        raise ConfigError(
            "the database already holds a ReportGuard schema; give --force to replace it"
        )
    restore(engine, path)
    engine.dispose()
    engine = create_engine(settings_of(ctx).resolved_database_url(), migrate=False)
    chain = audit.verify(engine)
    engine.dispose()
    if not chain.ok:
        raise ConfigError(f"restored, but the audit chain does not verify: {chain.problems[0]}")
    console.print(f"restored from {path}; audit log intact: {chain.entries:,} entries")


@app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the schema version of the database and the one this version of ReportGuard needs."""
    from reportguard.store.migrate import current_revision, head_revision

    engine = _bare(ctx)
    current, head = current_revision(engine), head_revision()
    engine.dispose()
    state = "up to date" if current == head else "behind: run `reportguard db upgrade`"
    console.print(f"schema {current or 'none'} (this version needs {head}): {state}")


@app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply the migrations this version needs (back the database up first)."""
    from reportguard.store.database import create_engine
    from reportguard.store.migrate import current_revision, head_revision

    before = current_revision(_bare(ctx, create=True))
    engine = create_engine(settings_of(ctx).resolved_database_url(), migrate=True)
    engine.dispose()
    after = head_revision()
    if before == after:
        console.print(f"schema {after}: already up to date")
    else:
        console.print(f"schema upgraded from {before or 'none'} to {after}")


@app.command("prune")
def db_prune(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what the policy would remove; remove nothing.")
    ] = False,
) -> None:
    """Apply the policy's [retention]: remove hashed identifiers, then texts, then reports older
    than it keeps (never those of open cases), and stored retry answers."""
    from reportguard.store.retention import Keep, prune

    policy = settings_of(ctx).policy().retention
    keep = Keep(
        identifiers=timedelta(days=policy.identifier_days),
        texts=timedelta(days=policy.text_days),
        reports=timedelta(days=policy.report_days),
        answers=timedelta(days=policy.answer_days),
    )
    engine = open_db(ctx)
    pruned = prune(engine, keep, now=datetime.now(UTC), dry_run=dry_run)
    engine.dispose()
    verb = "would remove" if dry_run else "removed"
    console.print(
        f"{verb}: hashed identifiers of {pruned.identifiers:,} reports (older than "
        f"{policy.identifier_days} days), texts of {pruned.texts:,} (older than "
        f"{policy.text_days} days), {pruned.reports:,} reports (older than "
        f"{policy.report_days} days, none of an open case), {pruned.answers:,} stored answers"
    )


@app.command("erase")
def db_erase(
    ctx: typer.Context,
    account_id: Annotated[str, typer.Argument(help="The platform's id of the account.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do it without asking.")] = False,
) -> None:
    """Erase one account's data on its request: the texts, referrers and hashed identifiers of
    its reports, its account snapshot, its appeal statements and the notices sent to it. The
    audit log keeps its entries (docs/operations.md says what they hold)."""
    from reportguard.store.retention import erase_account

    if not yes and not typer.confirm(f"Erase the data of account {account_id}?"):
        raise typer.Exit(code=1)
    engine = open_db(ctx)
    erased = erase_account(engine, account_id, actor="operator", now=datetime.now(UTC))
    engine.dispose()
    console.print(
        f"erased for {account_id}: {erased.reports:,} reports' texts and identifiers, "
        f"{erased.account} account snapshot, {erased.appeals:,} appeal statements, "
        f"{erased.notices:,} notices"
    )
