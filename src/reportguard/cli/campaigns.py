"""``reportguard campaign confirm|dismiss``: a moderator's verdict on a detected campaign."""

from __future__ import annotations

from typing import Annotated

import typer

from reportguard.cli.common import console, open_db, settings_of

app = typer.Typer(
    name="campaign", help="Confirm or dismiss a detected campaign.", no_args_is_help=True
)


@app.command("confirm")
def campaign_confirm(
    ctx: typer.Context,
    campaign_id: Annotated[int, typer.Argument(help="The campaign's number.")],
    moderator: Annotated[str, typer.Option("--as", help="Who confirms it (for the audit log).")],
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
) -> None:
    """Confirm a campaign: its reports become manifestly unfounded, its members lose credibility."""
    _judge(ctx, campaign_id, moderator, "confirmed", note)


@app.command("dismiss")
def campaign_dismiss(
    ctx: typer.Context,
    campaign_id: Annotated[int, typer.Argument(help="The campaign's number.")],
    moderator: Annotated[str, typer.Option("--as", help="Who dismisses it (for the audit log).")],
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
) -> None:
    """Dismiss a campaign: its reports count as ordinary reports again and the shield lifts."""
    _judge(ctx, campaign_id, moderator, "dismissed", note)


def _judge(
    ctx: typer.Context, campaign_id: int, moderator: str, status: str, note: str | None
) -> None:
    from reportguard.pipeline.verdicts import record_campaign_verdict

    settings = settings_of(ctx)
    engine = open_db(ctx)
    result = record_campaign_verdict(
        engine, campaign_id, moderator, status=status, policy=settings.policy(), note=note
    )
    engine.dispose()
    console.print(
        f"campaign {campaign_id} {status}; {result['reports_marked_unfounded']:,} reports marked "
        f"manifestly unfounded, {len(result['credibility']):,} reporters' credibility lowered"
    )
