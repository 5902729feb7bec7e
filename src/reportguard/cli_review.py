"""Commands from triage on: the queue, campaign verdicts, the policy file and the audit log.

Registered on the main app by :mod:`reportguard.cli`; each is a thin layer over the Python API.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from reportguard.cli import _open, _settings, _time_option, app, console, err_console

policy_app = typer.Typer(help="Check and show the enforcement policy.", no_args_is_help=True)
audit_app = typer.Typer(help="Verify the hash-chained audit log.", no_args_is_help=True)
campaign_app = typer.Typer(help="Confirm or dismiss a detected campaign.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
app.add_typer(audit_app, name="audit")
export_app = typer.Typer(help="Export figures for reports and regulators.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Deliver queued events to the platform.", no_args_is_help=True)
app.add_typer(campaign_app, name="campaign")
app.add_typer(export_app, name="export")
app.add_typer(webhooks_app, name="webhooks")


@app.command()
def triage(ctx: typer.Context) -> None:
    """Put new reports into cases and re-score every open case (credibility, voices, severity)."""
    from reportguard.triage.cases import refresh_cases

    settings = _settings(ctx)
    engine = _open(ctx)
    with console.status("scoring open cases", spinner="dots"):
        summary = refresh_cases(engine, policy=settings.policy())
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
        int | None, typer.Option(help="Only cases against targets of this campaign.")
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

    engine = _open(ctx)
    cases = open_queue(
        engine,
        limit=limit,
        queue="dispute" if disputes else "violation",
        reason=reason,
        shielded=shielded,
        campaign_id=campaign,
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


@campaign_app.command("confirm")
def campaign_confirm(
    ctx: typer.Context,
    campaign_id: Annotated[int, typer.Argument(help="The campaign's number.")],
    moderator: Annotated[str, typer.Option("--as", help="Who confirms it (for the audit log).")],
    note: Annotated[str | None, typer.Option(help="Why.")] = None,
) -> None:
    """Confirm a campaign: its reports become manifestly unfounded, its members lose credibility."""
    _judge(ctx, campaign_id, moderator, "confirmed", note)


@campaign_app.command("dismiss")
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
    from reportguard.review import judge_campaign
    from reportguard.triage.cases import refresh_cases

    settings = _settings(ctx)
    engine = _open(ctx)
    result = judge_campaign(
        engine, campaign_id, moderator, status=status, policy=settings.policy(), note=note
    )
    refresh_cases(engine, policy=settings.policy())
    engine.dispose()
    console.print(
        f"campaign {campaign_id} {status}; {result['reports_marked_unfounded']:,} reports marked "
        f"manifestly unfounded, {len(result['credibility']):,} reporters' credibility lowered"
    )


@policy_app.command("check")
def policy_check(
    path: Annotated[Path, typer.Argument(help="A policy file (TOML).")],
) -> None:
    """Validate a policy file and explain every problem in it."""
    from reportguard.policy import load_policy

    policy = load_policy(path)
    console.print(
        f"{path}: valid. {len(policy.reasons)} reasons, a ladder of {len(policy.ladder)} rungs, "
        f"strikes expire after {policy.strikes.expiry_days} days, appeals open "
        f"{policy.appeals.window_days} days, automation "
        + ("on" if policy.automation.enabled else "off")
    )


@policy_app.command("show")
def policy_show(ctx: typer.Context) -> None:
    """Print the policy in force (REPORTGUARD_POLICY_FILE, or the default) as JSON."""
    console.print_json(_settings(ctx).policy().model_dump_json())


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Recompute the audit log's hash chain; exit 1 if any entry was altered or removed."""
    from reportguard import audit

    engine = _open(ctx)
    result = audit.verify(engine)
    engine.dispose()
    if result.ok:
        console.print(f"audit log intact: {result.entries:,} entries, head {result.head}")
        return
    for problem in result.problems:
        err_console.print(f"[red]tampered:[/red] {problem}", highlight=False)
    raise typer.Exit(1)


@app.command()
def automate(ctx: typer.Context) -> None:
    """Action the open cases the policy lets be actioned automatically (never shielded ones)."""
    from reportguard.enforce.automation import auto_enforce

    settings = _settings(ctx)
    policy = settings.policy()
    if not policy.automation.enabled:
        console.print(
            "automation is off in the policy ([automation] enabled = false): nothing done"
        )
        return
    engine = _open(ctx)
    done = auto_enforce(engine, policy=policy)
    engine.dispose()
    console.print(f"{len(done):,} cases actioned automatically")


@export_app.command("transparency")
def export_transparency(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--from", help="Start of the period (ISO 8601).")],
    end: Annotated[str, typer.Option("--to", help="End of the period, exclusive (ISO 8601).")],
    out: Annotated[Path, typer.Option(help="Folder for transparency.json and .csv.")] = Path("."),
) -> None:
    """Counts for a transparency report: reports, decisions, actions, appeals, misuse."""
    from reportguard import transparency

    first, last = _time_option(start, "--from"), _time_option(end, "--to")
    if last <= first:
        raise typer.BadParameter("--to must be after --from", param_hint="--to")
    engine = _open(ctx)
    data = transparency.figures(engine, start=first, end=last)
    engine.dispose()
    json_path, csv_path = transparency.write(data, out)
    console.print(
        f"{data['reports_total']:,} reports, {sum(data['decisions_by_outcome'].values()):,} "
        f"decisions, {sum(data['actions_by_type'].values()):,} actions; wrote {json_path} and "
        f"{csv_path}"
    )


@webhooks_app.command("deliver")
def webhooks_deliver(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="One pass over due events, then exit.")
    ] = False,
    interval: Annotated[float, typer.Option(min=0.5, help="Seconds between passes.")] = 5.0,
) -> None:
    """Post due events to REPORTGUARD_WEBHOOK_URL, signed; retry failures with backoff."""
    import time

    from reportguard.enforce.webhooks import Dispatcher
    from reportguard.errors import ConfigError
    from reportguard.notices.send import acknowledge_pending

    settings = _settings(ctx)
    if not settings.webhook_url:
        raise ConfigError("no webhook address: set REPORTGUARD_WEBHOOK_URL")
    engine = _open(ctx)
    dispatcher = Dispatcher(
        engine, url=settings.webhook_url, secret=settings.webhook_signing_secret()
    )
    policy = settings.policy()
    after_id = 0
    while True:
        _, after_id = acknowledge_pending(engine, policy, after_id=after_id)  # receipts first
        report = dispatcher.deliver_due()
        if report.attempted or once:
            console.print(
                f"{report.delivered} delivered, {report.failed} to retry, {report.gave_up} given up"
            )
        if once:
            break
        time.sleep(interval)
    engine.dispose()
