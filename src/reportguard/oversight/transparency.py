"""Transparency figures for a period: what a DSA transparency report (Articles 15 and 24) counts.

Reports received by reason, decisions by outcome, the median time from the first report of a case
to its decision, actions by type and whether automated, reversals, appeals by kind and outcome,
and measures against misuse of the reporting function. Written as JSON and as a long CSV table.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.store.models import (
    Action,
    Appeal,
    Campaign,
    CaseReport,
    Decision,
    Report,
    ReportingRestriction,
)


def _between(column: Any, start: datetime, end: datetime) -> Any:
    return sa.and_(column >= start, column < end)


def figures(engine: Engine, *, start: datetime, end: datetime) -> dict[str, Any]:
    """Every count for reports, decisions, actions, appeals and misuse in [start, end)."""
    with Session(engine) as session:
        reasons = dict(
            session.execute(
                sa.select(Report.reason, sa.func.count())
                .where(_between(Report.created_at, start, end))
                .group_by(Report.reason)
            ).all()
        )
        decisions = session.execute(
            sa.select(Decision.outcome, Decision.decided_at, sa.func.min(Report.created_at))
            .join(CaseReport, CaseReport.case_id == Decision.case_id)
            .join(Report, Report.id == CaseReport.report_pk)
            .where(_between(Decision.decided_at, start, end))
            .group_by(Decision.id, Decision.outcome, Decision.decided_at)
        ).all()
        hours = [(d - first).total_seconds() / 3600 for _, d, first in decisions if first]
        actions = session.execute(
            sa.select(Action.kind, Action.automated, Action.status).where(
                _between(Action.created_at, start, end)
            )
        ).all()
        appeals_filed = Counter(
            session.scalars(sa.select(Appeal.kind).where(_between(Appeal.filed_at, start, end)))
        )
        appeals_decided = Counter(
            f"{kind}:{status}"
            for kind, status in session.execute(
                sa.select(Appeal.kind, Appeal.status).where(_between(Appeal.decided_at, start, end))
            )
        )
        misuse = Counter(
            session.scalars(
                sa.select(ReportingRestriction.kind).where(
                    _between(ReportingRestriction.created_at, start, end)
                )
            )
        )
        campaigns = Counter(
            session.scalars(
                sa.select(Campaign.status).where(_between(Campaign.decided_at, start, end))
            )
        )
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "reports_by_reason": dict(sorted(reasons.items())),
        "reports_total": sum(reasons.values()),
        "decisions_by_outcome": dict(Counter(o for o, _, _ in decisions)),
        "median_hours_to_decision": round(statistics.median(hours), 2) if hours else None,
        "actions_by_type": dict(Counter(k for k, _, _ in actions)),
        "actions_automated": sum(1 for _, a, _ in actions if a),
        "actions_by_humans": sum(1 for _, a, _ in actions if not a),
        "actions_reversed": sum(1 for _, _, s in actions if s == "reversed"),
        "appeals_filed_by_kind": dict(appeals_filed),
        "appeals_decided": dict(appeals_decided),
        "misuse_measures": dict(misuse),
        "campaigns_judged": dict(campaigns),
    }


def write(data: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """``transparency.json`` and ``transparency.csv`` (section, key, value) in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = out_dir / "transparency.json", out_dir / "transparency.csv"
    json_path.write_text(json.dumps(data, indent=1))
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["section", "key", "value"])
        for section, value in data.items():
            if isinstance(value, dict):
                for key, count in value.items():
                    writer.writerow([section, key, count])
            else:
                writer.writerow([section, "", value])
    return json_path, csv_path
