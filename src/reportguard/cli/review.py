"""``reportguard triage``, ``queue`` and ``automate``: cases scored, the queue read, the
policy's automatic actions taken."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from reportguard.cli.common import console, open_db, plural, settings_of

app = typer.Typer()


@app.command()
def triage(ctx: typer.Context) -> None:
    """Put new reports into cases and re-score every open case (credibility, voices, severity)."""
    from reportguard.pipeline import batch

    settings = settings_of(ctx)
    engine = open_db(ctx)
    with console.status("scoring open cases", spinner="dots"):
        summary = batch.triage(engine, policy=settings.policy())
    engine.dispose()
    console.print(
        f"{summary.attached:,} new reports into cases ({summary.opened:,} cases opened); "
        f"{summary.scored:,} open cases scored, {summary.shielded:,} shielded by a campaign"
    )


@app.command()
def queue(  # noqa: PLR0917 - Typer maps parameters to options
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many cases to show.")] = 20,
    reason: Annotated[str | None, typer.Option(help="Only cases resting on this reason.")] = None,
    shielded: Annotated[
        bool | None, typer.Option("--shielded/--not-shielded", help="Only (not) shielded cases.")
    ] = None,
    campaign: Annotated[
        str | None,
        typer.Option(help="Only cases against targets of this campaign (its number or key)."),
    ] = None,
    disputes: Annotated[
        bool,
        typer.Option(
            "--disputes", help="The dispute queue (accounts reporting each other) instead."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show the top of the moderation queue, each case with why it ranks where it does."""
    from reportguard.triage.cases import case_summary
    from reportguard.triage.cases import queue as open_queue

    engine = open_db(ctx)
    campaign_id = None
    if campaign is not None:
        from sqlalchemy.orm import Session

        from reportguard.detect.persist import find_campaign

        with Session(engine) as session:
            campaign_id = find_campaign(session, campaign).id
    cases = open_queue(
        engine,
        limit=limit,
        queue="dispute" if disputes else "violation",
        reason=reason,
        shielded=shielded,
        campaign_id=campaign_id,
    )
    engine.dispose()
    rows = [case_summary(case) for case in cases]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    if not rows:
        console.print("no open cases (run `reportguard triage` after importing reports)")
        return
    table = Table(box=box.SIMPLE_HEAD, title="open cases by priority")
    for name in (
        "case",
        "target",
        "priority",
        "P(violation)",
        "reason",
        "reports",
        "voices",
        "why",
    ):
        table.add_column(name, overflow="fold")
    for row in rows:
        why = " ".join(row["why"][:2])
        if row["shielded"]:
            why = "[yellow]SHIELDED[/yellow] " + why
        table.add_row(
            str(row["id"]),
            row["target_id"],
            f"{row['priority']:.2f}",
            f"{row['probability']:.2f}" if row["probability"] is not None else "-",
            row["reason"] or "-",
            str(row["reports"]),
            str(row["voices"]),
            why,
        )
    console.print(table)


@app.command()
def automate(ctx: typer.Context) -> None:
    """Action the open cases the policy lets be actioned automatically (never shielded ones)."""
    from reportguard.moderation.automation import auto_enforce

    settings = settings_of(ctx)
    policy = settings.policy()
    if not policy.automation.enabled:
        console.print(
            "automation is off in the policy ([automation] enabled = false): nothing done"
        )
        return
    engine = open_db(ctx)
    done = auto_enforce(engine, policy=policy)
    engine.dispose()
    console.print(f"{plural(len(done), 'case')} actioned automatically")
