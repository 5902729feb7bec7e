"""Store detected campaigns, idempotently: re-running detection updates, never duplicates.

A campaign's key is stable (its targets and first report time), so a second run over the same
reports finds the same keys. A campaign a moderator already confirmed or dismissed keeps that
status; its members, reports and evidence are refreshed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.detect.campaigns import FoundCampaign
from reportguard.errors import ReportGuardError
from reportguard.notices.compose import protection_notices
from reportguard.policy import Policy
from reportguard.store.models import (
    Campaign,
    CampaignMember,
    CampaignReport,
    CampaignTarget,
    Report,
    ReportScore,
)
from reportguard.store.sql import chunked


def store_campaigns(
    engine: Engine, campaigns: list[FoundCampaign], *, policy: Policy | None = None
) -> int:
    """Insert or refresh campaigns with their members, targets and reports; returns how many.

    With a ``policy``, each target of an active campaign gets a protection notice (once).
    """
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        for found in campaigns:
            row = session.scalar(sa.select(Campaign).where(Campaign.campaign_key == found.key))
            if row is None:
                row = Campaign(campaign_key=found.key, status="active", detected_at=now)
                session.add(row)
            row.score = found.score
            row.first_report_at = found.first_report_at
            row.last_report_at = found.last_report_at
            row.n_members = len(found.members)
            row.n_targets = len(found.targets)
            row.n_reports = len(found.report_ids)
            row.evidence = {"signals": found.evidence}
            session.flush()
            # Only what changed: a growing campaign adds rows, it does not rewrite them all
            # (a live feed re-stores a campaign on every pass that touches it).
            _sync(session, CampaignMember, "reporter_id", row.id, set(found.members), score=1.0)
            _sync(session, CampaignTarget, "target_id", row.id, set(found.targets))
            _sync(
                session,
                CampaignReport,
                "report_pk",
                row.id,
                set(_report_pks(session, found.report_ids)),
            )
            if policy is not None and row.status == "active":
                protection_notices(session, policy, row, sorted(found.targets), now=now)
    return len(campaigns)


def store_report_scores(engine: Engine, scores: pl.DataFrame, *, chunk: int = 20_000) -> int:
    """Replace the stored scores of the reports in ``scores`` (``detect.report_scores``); returns
    how many were written. One transaction: a crash leaves the previous scores whole."""
    if scores.is_empty():
        return 0
    now = datetime.now(UTC)
    table = ReportScore.__table__
    assert isinstance(table, sa.Table)
    written = 0
    with engine.begin() as conn:
        ids = scores["report_id"].to_list()
        pks: list[tuple[int, str]] = []
        for i in range(0, len(ids), chunk):
            part = ids[i : i + chunk]
            pks.extend(
                conn.execute(
                    sa.select(Report.id, Report.report_id).where(Report.report_id.in_(part))
                ).all()
            )
        keyed = pl.DataFrame(
            pks, schema={"report_pk": pl.Int64, "report_id": pl.Utf8}, orient="row"
        )
        rows = keyed.join(scores, on="report_id").select("report_pk", "stream", "score", "suspect")
        found = rows["report_pk"].to_list()
        for i in range(0, len(found), chunk):
            conn.execute(sa.delete(table).where(table.c.report_pk.in_(found[i : i + chunk])))
        for piece in rows.iter_slices(chunk):
            values = [{**row, "scored_at": now} for row in piece.iter_rows(named=True)]
            conn.execute(sa.insert(table), values)
            written += len(values)
    return written


def _report_pks(session: Session, report_ids: list[str]) -> list[int]:
    pks: list[int] = []
    for i in range(0, len(report_ids), 20_000):
        chunk = report_ids[i : i + 20_000]
        pks.extend(session.scalars(sa.select(Report.id).where(Report.report_id.in_(chunk))).all())
    return pks


def _sync(
    session: Session,
    table: type[CampaignMember] | type[CampaignTarget] | type[CampaignReport],
    column: str,
    campaign_id: int,
    wanted: set[Any],
    **extra: Any,
) -> None:
    """Make the campaign's rows in ``table`` exactly ``wanted``, touching only the difference."""
    col = getattr(table, column)
    have = set(session.scalars(sa.select(col).where(table.campaign_id == campaign_id)))
    gone = sorted(have - wanted)
    for chunk in chunked(gone):
        session.execute(sa.delete(table).where(table.campaign_id == campaign_id, col.in_(chunk)))
    new = sorted(wanted - have)
    if new:
        session.execute(
            sa.insert(table), [{"campaign_id": campaign_id, column: v, **extra} for v in new]
        )


class CampaignNotFoundError(ReportGuardError):
    """A campaign reference (number, key or key prefix) that names no stored campaign."""


def find_campaign(session: Session, ref: str | int) -> Campaign:
    """The campaign a person named by its number (``12``), its key or a unique key prefix.

    ``detect`` prints keys, the dashboard and the API show numbers: either works everywhere.
    """
    text = str(ref).strip()
    if text.isdigit():
        found = session.get(Campaign, int(text))
        if found is not None:
            return found
    if len(text) >= 4:
        rows = session.scalars(
            sa.select(Campaign).where(Campaign.campaign_key.startswith(text.lower())).limit(2)
        ).all()
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            raise CampaignNotFoundError(
                f"campaign {text!r}: more than one key starts so; give more of it"
            )
    raise CampaignNotFoundError(
        f"campaign {text} does not exist: give its number or key "
        "(`reportguard campaign list` shows both)"
    )


def campaign_numbers(engine: Engine, keys: list[str]) -> dict[str, int]:
    """Each stored campaign key's number, so a printout can show both."""
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for part in chunked(sorted(set(keys))):
            query = sa.select(Campaign.campaign_key, Campaign.id).where(
                Campaign.campaign_key.in_(part)
            )
            out.update((key, number) for key, number in conn.execute(query))
    return out
