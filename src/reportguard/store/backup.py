"""Backups a restore can trust, taken while the server runs.

Copying an SQLite file is not a backup: recent commits live in its write-ahead log beside it
(a copy after a clean stop once lost 6 reports and 31 audit entries). SQLite's online backup API
copies a consistent snapshot of the database, log included, while others keep writing; every
transaction committed before the copy began is in it. PostgreSQL is backed up with ``pg_dump``
(one consistent snapshot, in its custom format) and restored with ``pg_restore``.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import Engine

from reportguard.errors import ConfigError

PAGES_PER_STEP = 1024  # pages copied while holding the read lock; writers go on in between


def backup(engine: Engine, target: Path) -> None:
    """Write a consistent copy of the database behind ``engine`` to ``target`` (a new file)."""
    if target.exists():
        raise ConfigError(f"{target}: already exists; choose a new file for the backup")
    if not target.parent.is_dir():
        raise ConfigError(f"{target.parent}: no such folder")
    if engine.dialect.name == "sqlite":
        _sqlite_copy(_sqlite_path(engine), target)
    else:
        _run_pg(engine, "pg_dump", ["--format=custom", "--no-owner", f"--file={target}"])


def restore(engine: Engine, source: Path) -> None:
    """Replace the database behind ``engine`` with the backup ``source``."""
    if not source.is_file():
        raise ConfigError(f"{source}: no such backup file")
    if engine.dialect.name == "sqlite":
        target = _sqlite_path(engine)
        engine.dispose()
        _check_sqlite_backup(source)
        _sqlite_copy(source, target)
    else:
        _run_pg(
            engine,
            "pg_restore",
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(source)],
        )


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database or ""
    if database in ("", ":memory:"):
        raise ConfigError("an in-memory database cannot be backed up or restored")
    return Path(database).expanduser()


def _check_sqlite_backup(source: Path) -> None:
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as conn:
            conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error as exc:
        raise ConfigError(f"{source}: not a ReportGuard SQLite backup ({exc})") from None


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup from one file to another (the target is replaced)."""
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=PAGES_PER_STEP)
            dst.execute("PRAGMA journal_mode=WAL")  # as ReportGuard opens it
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise ConfigError(f"cannot copy {source} to {target}: {exc}") from None
    finally:
        src.close()


def pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore``: on PATH, else the newest under Debian's PostgreSQL folders."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise ConfigError(f"{name} not found: install the PostgreSQL client (e.g. postgresql-client)")


def _run_pg(engine: Engine, tool: str, args: list[str]) -> None:
    url = engine.url
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # never on the command line (ps shows it)
    plain = url.set(drivername="postgresql", password=None)
    target = plain.render_as_string(hide_password=False)
    command = [pg_tool(tool), f"--dbname={target}", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise ConfigError(f"{tool} failed: {reason[-1] if reason else done.returncode}")
