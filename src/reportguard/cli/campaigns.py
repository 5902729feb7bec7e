"""``reportguard campaign list|show|confirm|dismiss``: the detected campaigns, and a verdict on one.

A campaign is named by its number or its key (or a unique start of the key): ``detect`` prints
both, the dashboard and the API show the number.
"""

from __future__ import annotations

from typing import Annotated

import typer

from reportguard.cli.common import console, open_db, plural, settings_of

app = typer.Typer(
    name="campaign",
    help="List, show, confirm or dismiss the detected campaigns.",
    no_args_is_help=True,
)
REF_HELP = "The campaign's number or key (a unique start of the key is enough)."
STATUSES = ("active", "confirmed", "dismissed")


@app.command("list")
def campaign_list(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option(help="Only campaigns with this status: active, confirmed or dismissed."),
    ] = None,
    limit: Annotated[int, typer.Option(help="How many to print, highest score first.")] = 50,
) -> None:
    """The stored campaigns, highest score first, with number and key."""
    import sqlalchemy as sa
    from rich import box
    from rich.table import Table

    from reportguard.errors import ReportGuardError
    from reportguard.store.models import Campaign

    if status is not None and status not in STATUSES:
        raise ReportGuardError(f"--status must be one of {', '.join(STATUSES)}, not {status!r}")
    engine = open_db(ctx)
    query = sa.select(Campaign).order_by(Campaign.score.desc(), Campaign.id)
    count = sa.select(sa.func.count()).select_from(Campaign)
    if status is not None:
        query, count = (
            query.where(Campaign.status == status),
            count.where(Campaign.status == status),
        )
    with engine.connect() as conn:
        total = int(conn.execute(count).scalar_one())
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        rows = session.scalars(query.limit(limit)).all()
        table = Table(box=box.SIMPLE_HEAD, title_justify="left")
        for column in (
            "number",
            "key",
            "status",
            "score",
            "members",
            "targets",
            "members' reports",
        ):
            table.add_column(column, justify="right" if column not in ("key", "status") else "left")
        table.add_column("first to last report (UTC)")
        for c in rows:
            table.add_row(
                str(c.id),
                c.campaign_key,
                c.status,
                f"{c.score:.2f}",
                f"{c.n_members:,}",
                f"{c.n_targets:,}",
                f"{c.n_reports:,}",
                f"{c.first_report_at:%Y-%m-%d %H:%M} to {c.last_report_at:%Y-%m-%d %H:%M}",
            )
    engine.dispose()
    what = f"{status} campaign" if status else "campaign"
    console.print(f"{plural(total, what)} stored.")
    if rows:
        console.print(table)
    if total > len(rows):
        console.print(f"... and {total - len(rows):,} more (--limit)")


@app.command("show")
def campaign_show(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help=REF_HELP)],
) -> None:
    """One campaign: its evidence signal by signal, and its targets."""
    import sqlalchemy as sa
    from rich import box
    from rich.table import Table
    from sqlalchemy.orm import Session

    from reportguard.detect.persist import find_campaign
    from reportguard.store.models import CampaignTarget

    engine = open_db(ctx)
    with Session(engine) as session:
        c = find_campaign(session, campaign)
        targets = session.scalars(
            sa.select(CampaignTarget.target_id)
            .where(CampaignTarget.campaign_id == c.id)
            .order_by(CampaignTarget.target_id)
        ).all()
        decided = f", {c.status} by {c.decided_by}" if c.decided_by else ""
        console.print(
            f"campaign {c.id} (key {c.campaign_key}): {c.status}{decided}; score {c.score:.2f}; "
            f"{plural(c.n_members, 'member')}, {plural(c.n_targets, 'target')}, "
            f"{plural(c.n_reports, 'report')} by members, {c.first_report_at:%Y-%m-%d %H:%M} to "
            f"{c.last_report_at:%Y-%m-%d %H:%M} UTC",
            highlight=False,
        )
        table = Table(
            box=box.SIMPLE_HEAD,
            title_justify="left",
            caption="A wave's figures count everyone who reported its target in the wave, "
            "members or not.",
            caption_justify="left",
        )
        table.add_column("signal", style="bold")
        table.add_column("surprise", justify="right")
        table.add_column("evidence")
        for item in (c.evidence or {}).get("signals", []):
            surprise = item.get("surprise")
            table.add_row(
                item.get("signal", ""),
                "" if surprise is None else f"{surprise:.0f}",
                item.get("sentence", ""),
            )
        console.print(table)
        console.print("targets: " + ", ".join(targets), highlight=False)
    engine.dispose()


@app.command("confirm")
def campaign_confirm(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help=REF_HELP)],
    moderator: Annotated[str, typer.Option("--as", help="Who confirms it (for the audit log).")],
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
) -> None:
    """Confirm a campaign: its reports become manifestly unfounded, its members lose credibility."""
    _judge(ctx, campaign, moderator, "confirmed", note)


@app.command("dismiss")
def campaign_dismiss(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help=REF_HELP)],
    moderator: Annotated[str, typer.Option("--as", help="Who dismisses it (for the audit log).")],
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
) -> None:
    """Dismiss a campaign: its reports count as ordinary reports again and the shield lifts."""
    _judge(ctx, campaign, moderator, "dismissed", note)


def _judge(ctx: typer.Context, ref: str, moderator: str, status: str, note: str | None) -> None:
    from sqlalchemy.orm import Session

    from reportguard.detect.persist import find_campaign
    from reportguard.pipeline.verdicts import record_campaign_verdict

    settings = settings_of(ctx)
    engine = open_db(ctx)
    with Session(engine) as session:
        found = find_campaign(session, ref)
        campaign_id, key = found.id, found.campaign_key
    result = record_campaign_verdict(
        engine, campaign_id, moderator, status=status, policy=settings.policy(), note=note
    )
    engine.dispose()
    console.print(
        f"campaign {campaign_id} (key {key}) {status}; "
        f"{plural(result['reports_marked_unfounded'], 'report')} marked manifestly unfounded, "
        f"credibility lowered for {plural(len(result['credibility']), 'reporter')}",
        highlight=False,
    )
