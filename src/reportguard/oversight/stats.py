"""What the database holds, for ``reportguard stats`` and the API's health views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from reportguard.store import models as m


def database_stats(engine: Engine, *, top_reasons: int = 10) -> dict[str, Any]:
    """Counts and ranges of what is stored; cheap enough to run on every call of ``stats``."""
    r = m.Report.__table__.c
    with engine.connect() as conn:
        totals = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.count(sa.distinct(r.reporter_id)),
                sa.func.count(sa.distinct(r.target_id)),
                sa.func.count(sa.distinct(r.content_id)),
                sa.func.min(r.created_at),
                sa.func.max(r.created_at),
                sa.func.count(r.ip_hash),
                sa.func.count(r.device_hash),
            )
        ).one()
        reasons = conn.execute(
            sa.select(r.reason, sa.func.count().label("n"))
            .group_by(r.reason)
            .order_by(sa.desc("n"), r.reason)
            .limit(top_reasons)
        ).all()
        counts = {
            name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for name, table in (
                ("accounts", m.Account.__table__),
                ("campaigns", m.Campaign.__table__),
                ("cases", m.Case.__table__),
                ("decisions", m.Decision.__table__),
                ("actions", m.Action.__table__),
                ("appeals", m.Appeal.__table__),
            )
        }
        runs = (
            conn.execute(
                sa.select(m.IngestRun.__table__)
                .order_by(m.IngestRun.__table__.c.id.desc())
                .limit(5)
            )
            .mappings()
            .all()
        )
    first, last = (_as_datetime(totals[4]), _as_datetime(totals[5]))
    return {
        "reports": totals[0],
        "reporters": totals[1],
        "targets": totals[2],
        "contents": totals[3],
        "first_report_at": first.isoformat() if first else None,
        "last_report_at": last.isoformat() if last else None,
        "reports_with_ip_hash": totals[6],
        "reports_with_device_hash": totals[7],
        "top_reasons": [{"reason": reason, "reports": n} for reason, n in reasons],
        **counts,
        "recent_imports": [
            {
                "source": run["source"],
                "status": run["status"],
                "records": run["records"],
                "accepted": run["accepted"],
                "duplicates": run["duplicates"],
                "rejected": run["rejected"],
                "accounts": run["accounts"],
            }
            for run in runs
        ],
    }


def _as_datetime(value: Any) -> datetime | None:
    """min/max bypass the column type on SQLite and come back as text."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
