"""Bulk writes of validated records: one statement per batch, idempotent on the natural key.

The ORM costs more per row than validation does, so these paths hand the driver one prepared
statement and a list of tuples (``executemany``). ``ON CONFLICT DO NOTHING`` on ``report_id``
makes a re-run after a crash store each report exactly once, and the driver's summed rowcount
tells new reports from duplicates exactly on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, Engine

from reportguard.store.models import Account, Report

REPORT_COLUMNS = (
    "report_id",
    "reporter_id",
    "target_id",
    "content_id",
    "reason",
    "text",
    "created_at",
    "source",
    "referrer",
    "ip_hash",
    "device_hash",
    "ingest_run_id",
)
ACCOUNT_COLUMNS = (
    "account_id",
    "created_at",
    "followers",
    "following",
    "posts",
    "handle",
    "verified",
    "snapshot_at",
)


class BulkWriter:
    """Prepared bulk statements for one engine's dialect."""

    def __init__(self, engine: Engine) -> None:
        self.dialect_name = engine.dialect.name
        if self.dialect_name == "sqlite":
            insert: Any = sqlite.insert
            dialect: Dialect = sqlite.dialect(paramstyle="qmark")
        elif self.dialect_name == "postgresql":
            insert = postgresql.insert
            dialect = postgresql.psycopg.dialect(paramstyle="format")  # type: ignore[no-untyped-call]
        else:  # pragma: no cover - guarded by the engine factory's supported URLs
            raise ValueError(f"unsupported database: {self.dialect_name}")

        reports = (
            insert(Report.__table__).inline().on_conflict_do_nothing(index_elements=["report_id"])
        )
        self._report_sql, self._report_order = _compile(reports, dialect, REPORT_COLUMNS)

        accounts = insert(Account.__table__).inline()
        newer = accounts.excluded.snapshot_at >= Account.__table__.c.snapshot_at
        accounts = accounts.on_conflict_do_update(
            index_elements=["account_id"],
            set_={c: accounts.excluded[c] for c in ACCOUNT_COLUMNS if c != "account_id"},
            where=newer,
        )
        self._account_sql, self._account_order = _compile(accounts, dialect, ACCOUNT_COLUMNS)

    def insert_reports(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
        """Insert reports not stored yet; returns how many were new."""
        return self._executemany(conn, self._report_sql, self._report_order, rows)

    def upsert_accounts(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
        """Insert or refresh account snapshots (an older snapshot never overwrites a newer one)."""
        return self._executemany(conn, self._account_sql, self._account_order, rows)

    @staticmethod
    def _executemany(
        conn: Connection, sql: str, order: itemgetter[Any], rows: Sequence[dict[str, Any]]
    ) -> int:
        if not rows:
            return 0
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(sql, [order(row) for row in rows])
            return int(cursor.rowcount)
        finally:
            cursor.close()


def _compile(stmt: Any, dialect: Dialect, columns: Sequence[str]) -> tuple[str, itemgetter[Any]]:
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
    names = compiled.positiontup
    return str(compiled), itemgetter(*names)
