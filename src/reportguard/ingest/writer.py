"""Bulk writes of validated records: one statement per batch, idempotent on the natural key.

``ON CONFLICT DO NOTHING`` on ``report_id`` makes a re-run after a crash store each report exactly
once, and the statement's rowcount tells new reports from duplicates exactly.

SQLite gets the whole batch as one JSON text parameter (``INSERT ... SELECT ... FROM json_each``):
SQLite then does all the work in one call with Python's GIL released, so the import's validation
thread keeps running; ``executemany`` would take the GIL back for every row it binds.
PostgreSQL gets ``executemany`` (pipelined by psycopg); the server works in its own process.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql
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
_ACCOUNT_UPDATES = [c for c in ACCOUNT_COLUMNS if c != "account_id"]


def _table(model: type[Report] | type[Account]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _sqlite_json_insert(table: str, columns: Sequence[str], conflict: str) -> str:
    # "WHERE true" resolves SQLite's parsing ambiguity between a join's ON and ON CONFLICT.
    # Table and column names are constants of this module, never input.
    picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
    head = f"INSERT INTO {table} ({', '.join(columns)})"
    return " ".join((head, "SELECT", picks, "FROM json_each(?) WHERE true", conflict))


class BulkWriter:
    """Prepared bulk statements for one engine's dialect."""

    def __init__(self, engine: Engine) -> None:
        self.dialect_name = engine.dialect.name
        self._reports = itemgetter(*REPORT_COLUMNS)
        self._accounts = itemgetter(*ACCOUNT_COLUMNS)
        if self.dialect_name == "sqlite":
            self._report_sql = _sqlite_json_insert(
                "reports", REPORT_COLUMNS, "ON CONFLICT (report_id) DO NOTHING"
            )
            updates = ", ".join(f"{c} = excluded.{c}" for c in _ACCOUNT_UPDATES)
            self._account_sql = _sqlite_json_insert(
                "accounts",
                ACCOUNT_COLUMNS,
                f"ON CONFLICT (account_id) DO UPDATE SET {updates} "
                "WHERE excluded.snapshot_at >= accounts.snapshot_at",
            )
        elif self.dialect_name == "postgresql":
            dialect: Dialect = postgresql.psycopg.dialect(paramstyle="format")  # type: ignore[no-untyped-call]
            reports = postgresql.insert(_table(Report)).inline()
            reports = reports.on_conflict_do_nothing(index_elements=["report_id"])
            self._report_sql = str(
                reports.compile(dialect=dialect, column_keys=list(REPORT_COLUMNS))
            )
            accounts = postgresql.insert(_table(Account)).inline()
            accounts = accounts.on_conflict_do_update(
                index_elements=["account_id"],
                set_={c: accounts.excluded[c] for c in _ACCOUNT_UPDATES},
                where=accounts.excluded.snapshot_at >= _table(Account).c.snapshot_at,
            )
            self._account_sql = str(
                accounts.compile(dialect=dialect, column_keys=list(ACCOUNT_COLUMNS))
            )
        else:  # pragma: no cover - the engine factory only opens these two
            raise ValueError(f"unsupported database: {self.dialect_name}")

    def insert_reports(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
        """Insert reports not stored yet; returns how many were new."""
        return self._write(conn, self._report_sql, self._reports, rows)

    def upsert_accounts(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
        """Insert or refresh account snapshots (an older snapshot never overwrites a newer one)."""
        return self._write(conn, self._account_sql, self._accounts, rows)

    def _write(
        self, conn: Connection, sql: str, order: itemgetter[Any], rows: Sequence[dict[str, Any]]
    ) -> int:
        if not rows:
            return 0
        cursor = conn.connection.cursor()
        try:
            if self.dialect_name == "sqlite":
                # Text, not bytes: SQLite 3.45+ reads a BLOB argument as binary JSONB.
                payload = orjson.dumps([order(row) for row in rows]).decode()
                cursor.execute(sql, (payload,))
            else:
                cursor.executemany(sql, [order(row) for row in rows])
            return int(cursor.rowcount)
        finally:
            cursor.close()
