"""Store detected campaigns, idempotently: re-running detection updates, never duplicates.

A campaign's key is stable (its targets and first report time), so a second run over the same
reports finds the same keys. A campaign a moderator already confirmed or dismissed keeps that
status; its members, reports and evidence are refreshed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reportguard.detect.engine import FoundCampaign
from reportguard.store.models import (
    Campaign,
    CampaignMember,
    CampaignReport,
    CampaignTarget,
    Report,
)


def store_campaigns(engine: Engine, campaigns: list[FoundCampaign]) -> int:
    """Insert or refresh campaigns with their members, targets and reports; returns how many."""
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
            for table in (CampaignMember, CampaignTarget, CampaignReport):
                session.execute(sa.delete(table).where(table.campaign_id == row.id))
            session.execute(
                sa.insert(CampaignMember),
                [{"campaign_id": row.id, "reporter_id": m, "score": 1.0} for m in found.members],
            )
            session.execute(
                sa.insert(CampaignTarget),
                [{"campaign_id": row.id, "target_id": t} for t in found.targets],
            )
            pks = _report_pks(session, found.report_ids)
            if pks:
                session.execute(
                    sa.insert(CampaignReport),
                    [{"campaign_id": row.id, "report_pk": pk} for pk in pks],
                )
    return len(campaigns)


def _report_pks(session: Session, report_ids: list[str]) -> list[int]:
    pks: list[int] = []
    for i in range(0, len(report_ids), 20_000):
        chunk = report_ids[i : i + 20_000]
        pks.extend(session.scalars(sa.select(Report.id).where(Report.report_id.in_(chunk))).all())
    return pks
